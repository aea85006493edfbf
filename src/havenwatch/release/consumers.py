"""Release listens to access: a blocked credential, a port ban or a refused security
verification cancels the driver's assignments, and the haulier is told (through the
outbox, without access knowing). A verification that lapses by the passing of time has
no event: a periodic job finds those drivers."""

from __future__ import annotations

from havenwatch.access.choices import CredentialState, VerificationStatus
from havenwatch.access.models import SecurityVerification
from havenwatch.access.services.screening import lapsed_verifications, verification_lapsed
from havenwatch.core import clock
from havenwatch.core.events import consumer
from havenwatch.core.models import OutboxEvent
from havenwatch.core.periodic import periodic
from havenwatch.core.principal import system_principal
from havenwatch.release.choices import AssignmentStatus
from havenwatch.release.models import DriverAssignment
from havenwatch.release.services.assignments import VERIFICATION_LAPSED, cancel_assignments

ACTOR = "release: driver safety"


@consumer("release.driver_safety",
          types={"access.credential.state_changed", "access.ban.issued", "access.verification.decided"})
def driver_safety(event: OutboxEvent) -> None:
    actor = system_principal(ACTOR)
    payload = event.payload or {}
    if event.type == "access.ban.issued" and payload.get("person_id"):
        cancel_assignments(actor=actor, person_id=int(payload["person_id"]),
                           reason="the driver is banned from the port")
    elif event.type == "access.credential.state_changed" and payload.get("state") in (
            CredentialState.BLOCKED, CredentialState.EXPIRED, CredentialState.INACTIVE):
        cancel_assignments(actor=actor, credential_id=int(event.subject_id),
                           reason="the driver's credential is no longer active")
    elif event.type == "access.verification.decided" and payload.get("status") == VerificationStatus.NEGATIVE:
        verification = SecurityVerification.objects.select_related("person").get(pk=int(event.subject_id))
        if verification_lapsed(person=verification.person):
            cancel_assignments(actor=actor, person_id=verification.person_id, reason=VERIFICATION_LAPSED)


@periodic("release.lapsed_verifications", every=60)
def cancel_for_lapsed_verifications() -> int:
    """Drivers whose security verification expired since the last turn lose their
    assignments; each haulier is told at priority 1."""
    lapsed = lapsed_verifications(at=clock.now())
    people = set(DriverAssignment.objects.filter(status=AssignmentStatus.ACTIVE, credential__person_id__in=lapsed)
                 .values_list("credential__person_id", flat=True))
    actor = system_principal(ACTOR)
    return sum(cancel_assignments(actor=actor, person_id=person_id, reason=VERIFICATION_LAPSED)
               for person_id in sorted(people))
