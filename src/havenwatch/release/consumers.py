"""Release listens to access: a blocked credential or a port ban cancels the driver's
assignments, and the haulier is told (through the outbox, without access knowing)."""

from __future__ import annotations

from havenwatch.access.choices import CredentialState
from havenwatch.core.events import consumer
from havenwatch.core.models import OutboxEvent
from havenwatch.core.principal import system_principal
from havenwatch.release.services.assignments import cancel_assignments

ACTOR = "release: driver safety"


@consumer("release.driver_safety", types={"access.credential.state_changed", "access.ban.issued"})
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
