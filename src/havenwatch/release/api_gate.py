"""The release API: the customs and terminal lights (holds, the discharge) and the pickup
decision at the terminal gate."""


from django.utils.translation import gettext as _
from ninja import Router, Status

from havenwatch.core.api.common import get_visible, json_body_doc, need, principal_of, read_gate_body
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.models import Facility
from havenwatch.release import selectors
from havenwatch.release.choices import PickupReason
from havenwatch.release.models import Container, CustomsHold, PickupAttempt
from havenwatch.release.schemas import ContainerOut, HoldOut, PickupIn, PickupOut, ReasonIn, reasons_out
from havenwatch.release.services import holds as hold_services
from havenwatch.release.services import pickups as pickup_services

router = Router(tags=["release: lights and gate"])


# --- the customs and terminal lights -------------------------------------------------


@router.post("/containers/{int:container_id}/holds", response={201: HoldOut},
             summary="Hold a container, with a reason (customs): its customs light turns red")
def hold_create(request, container_id: int, payload: ReasonIn):
    actor = principal_of(request)
    need(actor, "release.hold")
    # Customs sees the containers of the ports it holds a jurisdiction over.
    container = get_visible(Container.objects.restrict(actor, "release.view_release"), container_id, "container")
    return Status(201, hold_services.hold_place(actor=actor, container=container, reason=payload.reason))


@router.post("/holds/{int:hold_id}/release", response=HoldOut,
             summary="Release a customs hold, with a reason (the office that placed it)")
def hold_release(request, hold_id: int, payload: ReasonIn):
    actor = principal_of(request)
    need(actor, "release.hold")
    hold = get_visible(CustomsHold.objects.restrict(actor, "release.hold"), hold_id, "customs hold")
    return hold_services.hold_release(actor=actor, hold=hold, reason=payload.reason)


@router.post("/containers/{int:container_id}/discharge", response=ContainerOut,
             summary="Confirm a container is on the terminal's yard: its terminal light turns green")
def container_discharge(request, container_id: int):
    actor = principal_of(request)
    need(actor, "release.confirm_discharge")
    container = get_visible(Container.objects.restrict(actor, "release.confirm_discharge"), container_id,
                            "container")
    container = hold_services.discharge_confirm(actor=actor, container=container)
    return {"id": container.pk, "number": container.number, "terminal_id": container.terminal_id,
            "discharged_at": container.discharged_at, "lights": selectors.lights(container)}


# --- the pickup at the gate ----------------------------------------------------------

PICKUP_DESCRIPTION = """
Ask whether a driver may take a container out of the terminal now.

**Contract.** The terminal is named by its id, `terminal_id` (a gate controller's token is
bound to it; a gate guard of the terminal's operator may ask too). Send the container
number presented (`container`, ISO 6346), the driver's credential number read
(`credential`), the truck's plate read (`plate`, `BE:1ABC234` or raw in the port's country)
and, where the gate has one, the biometric match (`biometric_match`).

**Answer.** A decision is `200` whether it grants or refuses: `granted`, the `reasons`
(codes with labels), a `message` for the guard in the request's language
(`Accept-Language`) and the stored attempt's `attempt_id`. A grant closes the release
(picked up). Every attempt is stored and audited; refusals that point at fraud (wrong
driver, wrong haulier, a second pickup, a blocked or held container, a banned driver) are
published at priority 1.

An unknown (or not yours) terminal is a `404`. A body that cannot be read, or a container
number that is not one, is a `422`; when it names a terminal you may decide at, the
attempt is still stored with the reason `malformed_request`.
"""

_PICKUP_BODY = json_body_doc(PickupIn)


def _pickup_out(attempt: PickupAttempt) -> dict:
    reasons = reasons_out(attempt.reasons)
    return {
        "granted": attempt.granted,
        "reasons": reasons,
        "message": "; ".join(r["label"] for r in reasons),
        "attempt_id": attempt.pk,
        "terminal_id": attempt.terminal_id,
        "container": attempt.container_number,
    }


@router.post("/pickups", response=PickupOut, summary="Gate pickup decision: may this driver take this container now",
             description=PICKUP_DESCRIPTION, openapi_extra=_PICKUP_BODY)
def pickup_create(request):
    actor = principal_of(request)
    need(actor, "release.pickup")
    terminals = Facility.objects.restrict(actor, "release.pickup")

    def store_malformed(terminal_id: int) -> None:
        terminal = terminals.filter(pk=terminal_id).first()
        if terminal is not None:  # stored as a malformed attempt: no container number reaches the decision
            pickup_services.pickup_decide(actor=actor, terminal=terminal, container_number="", credential_number=None)

    payload = read_gate_body(request, PickupIn, id_field="terminal_id", on_malformed=store_malformed)
    terminal = get_visible(terminals, payload.terminal_id, "terminal")
    attempt = pickup_services.pickup_decide(
        actor=actor, terminal=terminal, container_number=payload.container, credential_number=payload.credential,
        plate=payload.plate, biometric_match=payload.biometric_match,
    )
    if attempt.reasons == [PickupReason.MALFORMED_REQUEST.value]:
        raise ValidationFailed(
            _("The container number cannot be read: give it as ISO 6346, e.g. CSQU3054383 "
              "(stored as pickup attempt %(id)s).") % {"id": attempt.pk},
            code="malformed_request", field="container",
        )
    return _pickup_out(attempt)
