"""EDIFACT COREOR import over the API: the raw interchange in, a summary or every problem out.

The segments we read are described in ``release/edifact.py``; the import and its rules in
``services/coreor.py``.
"""

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from havenwatch.core.api.common import need, principal_of
from havenwatch.core.api.problems import TITLES, problem
from havenwatch.release.edifact import MAX_BYTES
from havenwatch.release.services import coreor as coreor_services

router = Router(tags=["release: EDIFACT"])

MEDIA_TYPES = ("application/edifact", "text/plain")


class CoreorReleaseOut(Schema):
    id: int
    container: str
    act: str  # issued, updated, unchanged or revoked
    status: str


class CoreorOut(Schema):
    interchange: str
    messages: int
    issued: int
    updated: int
    unchanged: int
    revoked: int
    releases: list[CoreorReleaseOut]


COREOR_DESCRIPTION = """
Import an EDIFACT **COREOR** interchange (container release orders, directory D.95B or D.00B)
as your shipping line. Send the interchange itself as the body, with `Content-Type:
application/edifact` (or `application/EDIFACT`, or `text/plain`); any other type is a `415`.
The bytes are decoded as the UNB syntax identifier says (UNOA/UNOB ASCII, UNOC Latin-1,
UNOW/UNOY UTF-8). At most 5 MB and 10,000 containers per interchange.

What we read, per message: `BGM+129+<number>+9|5|1` (original, replacement, cancellation),
`RFF+BM` (bill of lading), `DTM+7`/`DTM+36` (valid from/until, formats 102 and 203, the
terminal's local time), `LOC+11+<UN/LOCODE>:139:6+<ISPS digits>:ISPS:ZZZ` (the terminal by
its ISPS facility number), `NAD+FW` or `NAD+CN` `+<EORI>:EORI:ZZZ` (the first release party),
optionally `NAD+CA+<EORI>:EORI:ZZZ` (must be your line), and one `EQD+CN+<container>` group
per container (which may carry its own `RFF+BM` and `DTM`).

**All or nothing.** `201` with the count of releases issued, updated (unchanged when a
replacement changes nothing) and revoked, and each release's id. Otherwise nothing is
written and the answer is a `400` problem (a `413` for an interchange over 5 MB) whose
`errors` list every problem: `message_reference` (UNH), `segment` (its position in the
interchange, from 1 for UNB), `tag`, `code`, `reason` and `message` (the reason with its
place). The refusal is audited.
"""

_BODY = {
    "requestBody": {
        "required": True,
        "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES},
    }
}


@router.post("/coreor", response={201: CoreorOut}, openapi_extra=_BODY, description=COREOR_DESCRIPTION,
             summary="Import an EDIFACT COREOR interchange: release orders as releases (shipping lines)")
def coreor_upload(request):
    actor = principal_of(request)
    need(actor, "release.issue")
    media_type = (request.content_type or "").lower()
    if media_type not in MEDIA_TYPES:
        return problem(415, "Unsupported media type",
                       _("Send the interchange itself with Content-Type application/edifact or text/plain, not "
                         "%(type)s.") % {"type": media_type or _("no type")}, code="unsupported_media_type")
    body = request.read(MAX_BYTES + 1)  # never more than one byte past the bound
    try:
        outcome = coreor_services.coreor_import(actor=actor, data=body)
    except coreor_services.CoreorImportRefused as exc:
        status = 413 if exc.code == "too_large" else exc.status
        return problem(status, TITLES[status], str(exc.message), code=exc.code, errors=exc.errors)
    return Status(201, {
        "interchange": outcome.interchange,
        "messages": outcome.messages,
        **{act: outcome.count(act) for act in ("issued", "updated", "unchanged", "revoked")},
        "releases": [{"id": release.pk, "container": release.container.number, "act": act, "status": release.status}
                     for act, release in outcome.releases],
    })
