"""Reading a container's chain of custody: every read is audited (who read which trace, in
which form), but not published: the parties are not told that an investigator looked."""

from __future__ import annotations

from django.db import transaction

from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.release.models import Container
from havenwatch.release.trace import READ_CODE, trace_export

# page: the timeline page; json and pdf: the downloads and the API's two forms.
TRACE_FORMATS = ("page", "json", "pdf")


@transaction.atomic
def trace_read(*, principal: Principal, container: Container, fmt: str) -> dict:
    """The trace document (``trace.trace_export``), its read recorded in the audit chain.

    The permission is checked by the trace itself (``release.trace`` over the container's
    port); a refusal writes nothing. The document carries the sequence number of the
    record of its own reading (``read_sequence``).
    """
    if fmt not in TRACE_FORMATS:
        raise ValueError(f"unknown trace format {fmt!r}")
    document = trace_export(principal=principal, container=container)
    record = emit(actor=principal, code=READ_CODE, subject=container, organisation_id=principal.organisation_id,
                  port_id=container.terminal.port_id,
                  data={"container": container.number, "format": fmt, "steps": len(document["steps"])},
                  publish=False)
    return {**document, "read_sequence": record.sequence}
