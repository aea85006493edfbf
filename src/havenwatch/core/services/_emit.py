from __future__ import annotations

from typing import Any

from django.db import models

from havenwatch.core import audit, events
from havenwatch.core.choices import EventAudience


def emit(
    *,
    actor,
    code: str,
    subject: models.Model | tuple[str, Any] | None = None,
    organisation_id: int | None = None,
    port_id: int | None = None,
    facility_id: int | None = None,
    data: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    audience: str = EventAudience.ORGANISATION,
    priority: int = 3,
    publish: bool = True,
    shown_actor: str | None = None,
):
    """Write the audit record and publish the domain event of one act.

    ``data`` goes to the audit chain (digest fields hashed); ``payload`` to the event
    (defaults to the audit data with digest fields removed). ``shown_actor`` replaces the
    actor's label in the event when its audience must not learn who acted (an investigator's
    ban, told to a company); the audit record always names the actor.
    """
    record = audit.record(
        actor=actor, code=code, subject=subject, organisation_id=organisation_id, port_id=port_id, data=data
    )
    if publish:
        if payload is None:
            payload = {k: v for k, v in record.data.items() if not (isinstance(v, str) and v.startswith("sha256:"))}
        payload = {**payload, "actor": shown_actor or actor.label, "audit_sequence": record.sequence}
        events.publish(
            type=code, subject=subject,
            organisation_id=organisation_id if organisation_id is not None else actor.organisation_id,
            port_id=port_id, facility_id=facility_id, audience=audience, priority=priority, payload=payload,
        )
    return record
