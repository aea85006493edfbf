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
    parties=(),
):
    """Write the audit record and publish the domain event of one act.

    ``data`` goes to the audit chain (digest fields hashed); ``payload`` to the event
    (defaults to the audit data with digest fields removed). ``shown_actor`` replaces the
    actor's label in the event when its audience must not learn who acted (an investigator's
    ban, told to a company); the audit record always names the actor. ``parties``: other
    organisations the event concerns (see :func:`havenwatch.core.events.publish`).
    """
    return emit_many(actor=actor, acts=[dict(
        code=code, subject=subject, organisation_id=organisation_id, port_id=port_id, facility_id=facility_id,
        data=data, payload=payload, audience=audience, priority=priority, publish=publish, shown_actor=shown_actor,
        parties=parties,
    )])[0]


def emit_many(*, actor, acts: list[dict[str, Any]]):
    """Audit and publish many acts of one actor at once (keyword arguments of :func:`emit`
    each, but ``actor``): one record and one event per act, as one by one, in one append
    to the chain and one to the outbox. What a bulk import does."""
    records = audit.record_many(actor=actor, entries=[
        {key: act.get(key) for key in ("code", "subject", "organisation_id", "port_id", "data")} for act in acts])
    items = []
    for act, record in zip(acts, records, strict=True):
        if not act.get("publish", True):
            continue
        payload = act.get("payload")
        if payload is None:
            payload = {k: v for k, v in record.data.items() if not (isinstance(v, str) and v.startswith("sha256:"))}
        organisation_id = act.get("organisation_id")
        items.append(dict(
            type=act["code"], subject=act.get("subject"),
            organisation_id=organisation_id if organisation_id is not None else actor.organisation_id,
            port_id=act.get("port_id"), facility_id=act.get("facility_id"),
            audience=act.get("audience") or EventAudience.ORGANISATION, priority=act.get("priority", 3),
            payload={**payload, "actor": act.get("shown_actor") or actor.label, "audit_sequence": record.sequence},
            parties=act.get("parties") or (),
        ))
    events.publish_many(items)
    return records
