"""Domain events: a transactional outbox and the consumers that read it.

``publish`` writes an :class:`OutboxEvent` inside the caller's transaction: an event
of a change that rolls back is never seen by anyone. Consumers registered with
:func:`consumer` are handed events in sequence order; each event is handled in its own
transaction together with the consumer's offset, so a crash mid-batch resumes exactly
where it stopped, without loss and without doing anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from havenwatch.core import bulk, clock, notify
from havenwatch.core.choices import EventAudience
from havenwatch.core.models import ConsumerOffset, OutboxEvent, OutboxEventParty, OutboxHead

log = logging.getLogger(__name__)


def _subject_key(subject: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return subject[0], str(subject[1])
    return subject._meta.label_lower, str(subject.pk)


def publish(
    *,
    type: str,
    subject: models.Model | tuple[str, Any] | None = None,
    organisation_id: int | None = None,
    port_id: int | None = None,
    facility_id: int | None = None,
    audience: str = EventAudience.ORGANISATION,
    priority: int = 3,
    payload: dict[str, Any] | None = None,
    parties: Iterable[int | None] = (),
) -> OutboxEvent:
    """Write a domain event to the outbox, in the caller's transaction.

    ``parties``: other organisations the event concerns; they see it as its owner does
    (in their feed and through their webhooks).
    """
    return publish_many([dict(
        type=type, subject=subject, organisation_id=organisation_id, port_id=port_id, facility_id=facility_id,
        audience=audience, priority=priority, payload=payload, parties=parties,
    )])[0]


def publish_many(items: list[dict[str, Any]]) -> list[OutboxEvent]:
    """Write many events at once (keyword arguments of :func:`publish` each), in sequence
    order, under one lock of the outbox head: what a bulk act publishes."""
    if not items:
        return []
    with transaction.atomic():
        head = OutboxHead.objects.select_for_update().get(pk=1)
        now = clock.now()
        events = []
        for offset, item in enumerate(items, start=1):
            subject_type, subject_id = _subject_key(item.get("subject"))
            events.append(bulk.new(
                OutboxEvent, sequence=head.sequence + offset, created_at=now, type=item["type"], subject_type=subject_type,
                subject_id=subject_id, organisation_id=item.get("organisation_id"), port_id=item.get("port_id"),
                facility_id=item.get("facility_id"), audience=item.get("audience") or EventAudience.ORGANISATION,
                priority=item.get("priority", 3), payload=item.get("payload") or {},
            ))
        last = head.sequence + len(items)
        OutboxHead.objects.filter(pk=1).update(sequence=last)
        bulk.insert_keyed(OutboxEvent, events, key="sequence")
        links = [
            bulk.new(OutboxEventParty, event_id=event.pk, organisation_id=party)
            for event, item in zip(events, items, strict=True)
            for party in sorted({p for p in item.get("parties") or () if p is not None} - {event.organisation_id})
        ]
        bulk.insert_many(OutboxEventParty, links)
        transaction.on_commit(lambda: notify.wake(last))
    return events


# --- consumers -------------------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    name: str
    handler: Callable[[OutboxEvent], None]
    types: frozenset[str] | None  # None: every event

    def wants(self, event: OutboxEvent) -> bool:
        return self.types is None or event.type in self.types


_CONSUMERS: dict[str, Consumer] = {}


def consumer(name: str, *, types: set[str] | None = None):
    """Register an in-process consumer. Its handler runs inside a transaction."""

    def decorate(handler: Callable[[OutboxEvent], None]):
        _CONSUMERS[name] = Consumer(name=name, handler=handler, types=frozenset(types) if types else None)
        return handler

    return decorate


def consumers() -> dict[str, Consumer]:
    return dict(_CONSUMERS)


def unregister(name: str) -> None:
    _CONSUMERS.pop(name, None)


def _offset(name: str) -> int:
    row, _ = ConsumerOffset.objects.get_or_create(consumer=name)
    return row.sequence


def run_consumer(item: Consumer, *, batch: int = 200) -> int:
    """Hand the next events to one consumer. Returns how many were handled."""
    start = _offset(item.name)
    events = list(OutboxEvent.objects.filter(sequence__gt=start).order_by("sequence")[:batch])
    handled = 0
    for event in events:
        try:
            with transaction.atomic():
                offset = ConsumerOffset.objects.select_for_update().get(consumer=item.name)
                if offset.sequence >= event.sequence:
                    continue  # another worker got here first
                if item.wants(event):
                    item.handler(event)
                offset.sequence = event.sequence
                offset.failures = 0
                offset.last_error = ""
                offset.save(update_fields=["sequence", "failures", "last_error", "updated_at"])
        except Exception as exc:  # the consumer stops at this event and retries it next round
            log.exception("consumer %s failed on event #%s", item.name, event.sequence)
            ConsumerOffset.objects.filter(consumer=item.name).update(
                failures=models.F("failures") + 1, last_error=f"#{event.sequence}: {exc}"[:2000]
            )
            break
        handled += 1
    return handled


def run_consumers_once(*, batch: int = 200) -> int:
    return sum(run_consumer(item, batch=batch) for item in list(_CONSUMERS.values()))
