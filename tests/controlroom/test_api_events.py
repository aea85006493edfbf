"""The events endpoint and the Frigate adapter over HTTP, and an alarm worked through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.models import Alarm, AlarmEntry, SensorEvent
from havenwatch.controlroom.services.devices import device_token_issue
from havenwatch.controlroom.services.rules import rule_save, sop_save
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.models import AuditRecord
from tests.controlroom.factories import camera, fence
from tests.core.test_api import session_for
from tests.factories import principal

pytestmark = pytest.mark.django_db
API = "/api/v1/controlroom"


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


@pytest.fixture
def gateway(world):
    f12 = fence(world.facility)
    cam = camera(world.facility, external_name="quay_north")
    _token, raw = device_token_issue(actor=world.pfso(), devices=[f12, cam], name="site gateway")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return world, client


def post(client, path, body):
    return client.post(f"{API}{path}", data=json.dumps(body) if not isinstance(body, str) else body,
                       content_type="application/json")


def test_a_batch_over_http_is_stored_evaluated_and_answered_with_the_alarms_it_raised(gateway):
    world, client = gateway
    rule_save(actor=world.pso(), port=world.port, text="code: fence\nkind: single\ntitle: Fence alarm\n"
                                                        "when: {kind: fence.alarm}\n")
    now = clock.now().isoformat()
    body = {"events": [{"device": "F-12", "event_id": f"g-{n}", "kind": "fence.alarm", "occurred_at": now}
                       for n in range(3)]}
    answer = post(client, "/events", body)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"accepted": 3, "duplicates": [], "heartbeats": 0, "alarms_raised": 1}
    again = post(client, "/events", body).json()
    assert (again["accepted"], sorted(again["duplicates"])) == (0, ["g-0", "g-1", "g-2"])
    assert Alarm.objects.get().count == 3


@pytest.mark.parametrize("body, status, words", [
    ("{not json", 400, ""),
    ({"events": []}, 422, ""),
    ({"events": [{"device": "F-12", "event_id": "x", "kind": "fence.alarm", "occurred_at": "2026-11-22T01:00:00"}]},
     422, "offset"),
])
def test_bad_input_is_refused_specifically_and_stores_nothing(gateway, body, status, words):
    world, client = gateway
    answer = post(client, "/events", body)
    assert answer.status_code == status
    assert answer["Content-Type"].startswith("application/problem+json")
    assert words in json.dumps(answer.json())
    assert not SensorEvent.objects.exists()


def test_a_frigate_person_becomes_a_camera_detection_of_the_named_camera(gateway):
    world, client = gateway
    start = clock.now().timestamp() - 3
    message = {"type": "new", "before": None, "after": {
        "id": "1732230000.5-abc", "camera": "quay_north", "label": "person", "top_score": 0.86, "score": 0.8,
        "false_positive": False, "start_time": start, "end_time": None, "current_zones": ["fence_line"],
        "entered_zones": ["fence_line"], "sub_label": None, "has_snapshot": True}}
    assert post(client, "/adapters/frigate", message).status_code == 200
    event = SensorEvent.objects.get()
    assert (event.kind, event.attributes["label"], event.attributes["zone"]) == ("camera.detection", "person",
                                                                               "fence_line")
    assert event.attributes["score"] == 0.86
    message["after"]["false_positive"] = True
    message["after"]["id"] = "other"
    assert post(client, "/adapters/frigate", message).json()["accepted"] == 0
    message["after"]["camera"] = "somebody_elses"
    refused = post(client, "/adapters/frigate", message)
    assert refused.status_code == 422 and "somebody_elses" in refused.json()["detail"]


def test_an_alarm_is_worked_through_the_api_to_resolution(gateway):
    world, client = gateway
    sop_save(actor=world.pso(), port=world.port, code="fence", title="Fence", steps=["Look at the camera",
                                                                                     "Send the patrol"])
    rule_save(actor=world.pso(), port=world.port, text="code: fence\nkind: single\ntitle: Fence alarm\n"
                                                        "priority: 1\nsop: fence\nwhen: {kind: fence.alarm}\n")
    post(client, "/events", {"events": [{"device": "F-12", "event_id": "a", "kind": "fence.alarm",
                                         "occurred_at": clock.now().isoformat()}]})
    alarm = Alarm.objects.get()
    operator = session_for(principal(Role.CONTROL_ROOM_OPERATOR, world.operator))
    path = f"/alarms/{alarm.pk}"
    assert post(operator, f"{path}/acknowledge", {}).json()["state"] == "acknowledged"
    assert post(operator, f"{path}/acknowledge", {}).status_code == 409
    assert post(operator, f"{path}/steps", {"step": 0}).status_code == 200
    assert post(operator, f"{path}/steps", {"step": 0}).status_code == 409
    assert post(operator, f"{path}/steps", {"step": 9}).status_code == 422
    refused = post(operator, f"{path}/close", {"reason": "  "})
    assert refused.status_code == 422 and Alarm.objects.get().state == "acknowledged"
    closed = post(operator, f"{path}/close", {"reason": "Patrol found a cut fence; repaired"}).json()
    assert closed["state"] == "resolved"
    kinds = list(AlarmEntry.objects.filter(alarm=alarm).values_list("kind", "step"))
    assert kinds == [("raised", None), ("acknowledged", None), ("step_done", 0), ("step_skipped", 1),
                     ("resolved", None)]
    detail = operator.get(f"{API}{path}").json()
    assert [e["kind"] for e in detail["timeline"]][-1] == "resolved" and len(detail["events"]) == 1
    assert AuditRecord.objects.filter(code__startswith="controlroom.alarm.").count() == 5
    assert post(operator, f"{path}/notes", {"text": "later"}).status_code == 200  # notes stay possible
    assert post(operator, f"{path}/start", {}).status_code == 409
