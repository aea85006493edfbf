"""Anonymous reporting's periodic jobs (the abuse counters' purge lives in ``abuse``)."""

from __future__ import annotations

from havenwatch.core.periodic import periodic
from havenwatch.reporting import abuse  # noqa: F401  (registers reporting.abuse_purge)
from havenwatch.reporting.services import retention


@periodic("reporting.retention", every=300)
def purge_expired_reports() -> int:
    """Closed reports past their channel's retention are deleted (see ``services.retention``)."""
    return retention.reports_purge_due()
