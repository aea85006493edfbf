"""The transactional outbox and its consumers: nothing lost, nothing twice, in order."""

from __future__ import annotations

import pytest
from django.db import transaction

from havenwatch.core import events
from havenwatch.core.choices import Role
from havenwatch.core.models import ConsumerOffset, Notification, OutboxEvent
from havenwatch.core.services.security_levels import security_level_set
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

EFFECT = "test.effect"


class Collector:
    """A consumer whose effect is a row per event (no unique constraint: doubles would show)."""

    def __init__(self, name: str, *, types=None, fail_on: set[int] | None = None) -> None:
        self.name = name
        self.fail_on = set(fail_on or ())
        self.organisation = OrganisationFactory()
        self.user = UserFactory()
        events.consumer(name, types=types)(self.handle)

    def handle(self, event: OutboxEvent) -> None:
        Notification.objects.create(user=self.user, organisation=self.organisation, kind=EFFECT,
                                    title=event.type, body=str(event.sequence), created_at=event.created_at)
        if event.sequence in self.fail_on:
            self.fail_on.discard(event.sequence)  # fails once, like a downstream outage
            raise RuntimeError("downstream is down")

    def run(self) -> int:
        return events.run_consumer(events.consumers()[self.name])

    def effects(self) -> list[int]:
        return [int(b) for b in Notification.objects.filter(kind=EFFECT, user=self.user)
                .order_by("pk").values_list("body", flat=True)]

    @property
    def offset(self) -> ConsumerOffset:
        return ConsumerOffset.objects.get(consumer=self.name)


@pytest.fixture
def collector():
    made = []

    def make(name="test.collector", **kwargs):
        item = Collector(name, **kwargs)
        made.append(item)
        return item

    yield make
    for item in made:
        events.unregister(item.name)


def publish(n: int, type_: str = "core.port.updated") -> list[int]:
    return [events.publish(type=type_, organisation_id=1, payload={"n": i}).sequence for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_event_of_a_rolled_back_change_is_never_delivered(collector):
    consumer = collector()
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(type="core.port.updated", payload={"change": "rolled back"})
        raise RuntimeError("the change fails after publishing")
    assert not OutboxEvent.objects.exists()
    kept = events.publish(type="core.port.updated", payload={"change": "committed"})
    assert consumer.run() == 1
    assert consumer.effects() == [kept.sequence]
    assert OutboxEvent.objects.get().payload == {"change": "committed"}


@pytest.mark.django_db
def test_consumer_gets_events_in_sequence_order_and_only_the_types_it_wants(collector):
    every = collector("test.every")
    levels_only = collector("test.levels", types={"core.security_level.changed"})
    sequences = publish(3) + publish(2, "core.security_level.changed") + publish(1)
    assert every.run() == 6
    assert every.effects() == sorted(sequences)
    assert levels_only.run() == 6  # it moves past events it does not want
    assert levels_only.effects() == sequences[3:5]
    assert levels_only.offset.sequence == max(sequences)


@pytest.mark.django_db(transaction=True)
def test_consumer_that_fails_mid_batch_stops_there_and_resumes_without_loss_or_double_effect(collector):
    sequences = publish(5)
    third = sequences[2]
    consumer = collector(fail_on={third})

    assert consumer.run() == 2
    assert consumer.effects() == sequences[:2]  # the failing event's own effect was rolled back with it
    offset = consumer.offset
    assert offset.sequence == sequences[1]
    assert offset.failures == 1
    assert offset.last_error.startswith(f"#{third}: downstream is down")

    assert consumer.run() == 3
    assert consumer.effects() == sequences
    assert consumer.offset.sequence == sequences[-1]
    assert consumer.offset.failures == 0
    assert consumer.offset.last_error == ""


@pytest.mark.django_db
def test_two_runs_never_hand_the_same_event_twice(collector, monkeypatch):
    consumer = collector()
    sequences = publish(4)
    assert consumer.run() == 4
    assert consumer.run() == 0
    # A second worker that read the offset before the first one committed still skips
    # every event: the offset is re-checked under its row lock, event by event.
    monkeypatch.setattr(events, "_offset", lambda name: 0)
    assert consumer.run() == 0
    assert consumer.effects() == sequences


@pytest.mark.django_db
def test_level_change_notifies_each_facility_officer_and_operator_once(world):
    operator = world.operator
    pfso = MembershipFactory(role=Role.FACILITY_SECURITY_OFFICER, organisation=operator)
    room = MembershipFactory(role=Role.CONTROL_ROOM_OPERATOR, organisation=operator)
    MembershipFactory(role=Role.GATE_GUARD, organisation=operator)  # not told to acknowledge
    MembershipFactory(role=Role.CONTROL_ROOM_OPERATOR, organisation=operator, is_active=False)
    MembershipFactory(role=Role.FACILITY_SECURITY_OFFICER, organisation=world.foreign_operator)  # other port

    change = security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    notifications = events.consumers()["core.notifications"]
    assert events.run_consumer(notifications) >= 1

    rows = Notification.objects.filter(kind="security_level_ack")
    assert sorted(rows.values_list("user_id", flat=True)) == sorted([pfso.user_id, room.user_id])
    assert {r.organisation_id for r in rows} == {operator.pk}
    assert all(r.body.startswith("Port A: ") and r.body.endswith("1 → 2") for r in rows), [r.body for r in rows]
    event = OutboxEvent.objects.get(type="core.security_level.changed", payload__change_id=change.pk)
    assert {r.event_sequence for r in rows} == {event.sequence}

    # Handed the same event again (at-least-once delivery): still one notification each.
    ConsumerOffset.objects.filter(consumer="core.notifications").update(sequence=0)
    events.run_consumer(notifications)
    assert Notification.objects.filter(kind="security_level_ack").count() == 2


@pytest.mark.django_db
def test_a_batch_of_events_gets_consecutive_sequences_and_its_parties(world):
    first = events.publish(type="core.test", organisation_id=world.operator.pk)
    batch = events.publish_many([
        {"type": "core.test", "organisation_id": world.operator.pk, "parties": [world.company.pk, None]},
        {"type": "core.test", "organisation_id": world.company.pk, "parties": [world.company.pk]},
    ])
    assert [e.sequence for e in batch] == [first.sequence + 1, first.sequence + 2]
    # the owner is never listed as a party of its own event; nobody is listed twice
    assert list(batch[0].parties.values_list("organisation_id", flat=True)) == [world.company.pk]
    assert not batch[1].parties.exists()
