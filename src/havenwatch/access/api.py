"""The access app's API: gate decisions, overrides, access events and who is inside."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.access.choices import Reason
from havenwatch.access.models import AccessEvent, AccessPoint, Zone
from havenwatch.access.schemas import (
    AccessEventOut,
    DecisionIn,
    DecisionOut,
    OverrideIn,
    PresenceOut,
    reasons_out,
)
from havenwatch.access.services import gate as gate_services
from havenwatch.core.api.common import (
    Page,
    as_utc,
    get_visible,
    json_body_doc,
    need,
    principal_of,
    read_gate_body,
)
from havenwatch.core.errors import ValidationFailed

router = Router(tags=["access"])

DECISION_DESCRIPTION = """
Ask whether a credential (and a vehicle) may pass an access point now.

**Contract.** The access point is named by its id, `access_point_id` (gate controllers
are configured with it). Send the credential number read (`credential`), and where the
gate has them the number plate (`plate`, `BE:1ABC234` or raw in the port's country),
the biometric match (`biometric_match`) and the direction (`in` / `out`; by default the
point's own direction). A credential or a plate is required.

**Answer.** A decision is `200` whether it grants or refuses: `granted`, the `reasons`
(codes with labels), a `message` for the guard in the request's language
(`Accept-Language`), the stored access event's `event_id` and the security level in force.
Every decision is stored as an access event and audited.

An unknown (or not yours) access point is a `404`. A body that cannot be read is a `422`;
when it names an access point you may decide at, the attempt is still stored as an
access event with the reason `malformed_request`.
"""

_DECISION_BODY = json_body_doc(DecisionIn)


def _decision_out(event: AccessEvent) -> dict:
    reasons = reasons_out(event.reasons)
    return {
        "granted": event.granted,
        "reasons": reasons,
        "message": "; ".join(r["label"] for r in reasons),
        "event_id": event.pk,
        "access_point_id": event.access_point_id,
        "direction": event.direction,
        "security_level": event.security_level,
    }


@router.post("/decisions", response=DecisionOut, summary="Gate decision: may this credential pass now",
             description=DECISION_DESCRIPTION, openapi_extra=_DECISION_BODY)
def decision_create(request):
    actor = principal_of(request)
    need(actor, "access.decide")
    visible = AccessPoint.objects.restrict(actor, "access.decide")

    def store_malformed(point_id: int) -> None:
        point = visible.filter(pk=point_id).first()
        if point is not None:
            gate_services.gate_decide(actor=actor, access_point=point, malformed=True)

    payload = read_gate_body(request, DecisionIn, id_field="access_point_id", on_malformed=store_malformed)
    point = get_visible(visible, payload.access_point_id, "access point")
    event = gate_services.gate_decide(
        actor=actor, access_point=point, credential_number=payload.credential, plate=payload.plate,
        biometric_match=payload.biometric_match, direction=payload.direction,
    )
    if event.reasons == [Reason.MALFORMED_REQUEST.value]:
        raise ValidationFailed(
            _("The gate's request cannot be read (stored as access event %(id)s).") % {"id": event.pk},
            code="malformed_request",
        )
    return _decision_out(event)


@router.post("/decisions/{int:event_id}/override", response={201: AccessEventOut},
             summary="A guard lets through someone the gate refused, with a reason")
def decision_override(request, event_id: int, payload: OverrideIn):
    actor = principal_of(request)
    need(actor, "access.override")
    event = get_visible(AccessEvent.objects.restrict(actor, "access.override"), event_id, "access event")
    return Status(201, gate_services.gate_override(actor=actor, event=event, reason=payload.reason))


class EventFilter(Schema):
    facility_id: int | None = None
    granted: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    reason: str | None = None


@router.get("/events", response=list[AccessEventOut], summary="Access events (gate decisions and overrides)")
@paginate(Page)
def event_list(request, filters: Query[EventFilter]):
    qs = gate_services.event_list(principal=principal_of(request))
    if filters.facility_id is not None:
        qs = qs.filter(facility_id=filters.facility_id)
    if filters.granted is not None:
        qs = qs.filter(granted=filters.granted)
    since, until = as_utc(filters.since, "since"), as_utc(filters.until, "until")
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    if filters.reason:
        if filters.reason not in Reason.values:
            raise ValidationFailed(_("Unknown reason: %(reason)s.") % {"reason": filters.reason[:40]},
                                   field="reason")
        # Reasons are a JSON list of codes; a code is never part of another with its quotes.
        qs = qs.filter(reasons__icontains=f'"{filters.reason}"')
    return qs


@router.get("/zones/{int:zone_id}/inside", response=list[PresenceOut], summary="Who is inside a zone (mustering)")
@paginate(Page)
def zone_inside(request, zone_id: int):
    actor = principal_of(request)
    need(actor, "access.view_presence")
    zone = get_visible(Zone.objects.restrict(actor, "access.view_zone"), zone_id, "zone")
    return gate_services.who_is_inside(principal=actor, zone=zone)
