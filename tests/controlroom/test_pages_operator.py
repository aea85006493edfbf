"""The operator's pages: the screen (map, queue, the alarm's panel), the wall screen, the
alarm history and one alarm's page, and the snapshots of events. Who sees what, and what
acting through the panel does."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.bridge import platform_device
from havenwatch.controlroom.choices import AlarmEntryKind, AlarmState, DeviceKind
from havenwatch.controlroom.models import Alarm, AlarmEntry, SensorEvent
from havenwatch.controlroom.services.devices import device_retire
from havenwatch.controlroom.services.ingestion import events_ingest
from havenwatch.controlroom.services.rules import rule_save, sop_save
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.controlroom.factories import DeviceFactory, camera, fence, sender
from tests.controlroom.test_evaluation import FENCE, INTRUSION, NOW
from tests.factories import FacilityFactory, OrganisationFactory, principal

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}

STEPS = ["Turn the nearest PTZ camera", "Send the patrol", "Call the police if confirmed"]


def png() -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def text(response) -> str:
    return response.content.decode()


def signed_in(client, who):
    client.force_login(who.user)
    return client


class Site:
    """Port A with rules and a procedure; Terminal A with a fence, a thermal camera (with its
    field of view) and a silent camera; Terminal C, another operator's, with a fence.
    An intrusion at Terminal A (a verified intrusion at P1 and a fence alarm at P3, the
    camera's detection with a snapshot) and a fence alarm at Terminal C."""

    def __init__(self, world):
        self.world = world
        self.pso = world.pso()
        rule_save(actor=self.pso, port=world.port, text=INTRUSION)
        rule_save(actor=self.pso, port=world.port, text=FENCE)
        sop_save(actor=self.pso, port=world.port, code="intrusion", title="Intrusion", steps=STEPS)
        self.f12 = fence(world.facility)
        self.cam = camera(world.facility, field_of_view={"type": "Polygon", "coordinates": [[
            [4.3005, 51.2801], [4.3020, 51.2810], [4.2990, 51.2812], [4.3005, 51.2801]]]})
        self.quiet = camera(world.facility, code="CAM-QUIET", at=(4.302, 51.281))
        self.operator_c = OrganisationFactory(name="Terminal Operator C", kind=OrganisationKind.FACILITY_OPERATOR)
        self.facility_c = FacilityFactory(name="Terminal C", isps_number="BEAAA-0003", port=world.port,
                                          operator=self.operator_c)
        self.f90 = fence(self.facility_c, code="F-90")
        self.cam_c = camera(self.facility_c, code="CAM-C", at=(4.35, 51.29))
        self.gateway = sender(world.pfso(), [self.f12, self.cam, self.quiet])
        self.gateway_c = sender(principal(Role.FACILITY_SECURITY_OFFICER, self.operator_c), [self.f90, self.cam_c])
        events_ingest(actor=self.gateway, events=[
            {"device": "F-12", "event_id": "f1", "kind": "fence.alarm", "occurred_at": NOW - timedelta(seconds=30)},
            {"device": "CAM-1", "event_id": "c1", "kind": "camera.detection", "occurred_at": NOW - timedelta(seconds=10),
             "attributes": {"label": "person", "score": 0.91}, "snapshot": png()},
        ])
        events_ingest(actor=self.gateway_c, events=[
            {"device": "F-90", "event_id": "x1", "kind": "fence.alarm", "occurred_at": NOW - timedelta(seconds=20)},
            {"device": "CAM-C", "event_id": "x2", "kind": "camera.detection", "occurred_at": NOW - timedelta(seconds=5),
             "attributes": {"label": "fox", "score": 0.4}, "snapshot": png()},
        ])
        evaluation.run()
        self.intrusion = Alarm.objects.get(rule_code="verified-intrusion")
        self.fence_alarm = Alarm.objects.get(rule_code="fence-alarm", device=self.f12)
        self.other = Alarm.objects.get(device=self.f90)
        self.snapshot_event = SensorEvent.objects.get(external_id="c1")
        self.other_snapshot_event = SensorEvent.objects.get(external_id="x2")
        # The facility's control-room operator, and the port authority's (who sees the whole port).
        self.operator = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
        self.port_operator = principal(Role.CONTROL_ROOM_OPERATOR, world.authority)
        self.operator_of_c = principal(Role.CONTROL_ROOM_OPERATOR, self.operator_c)


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


@pytest.fixture
def frozen():
    with clock.frozen(NOW) as state:
        yield state


@pytest.fixture
def site(world, frozen):
    return Site(world)


def pages(site) -> dict[str, str]:
    a = site.intrusion.pk
    return {
        "screen": reverse("controlroom:screen"),
        "screen with a panel": reverse("controlroom:screen") + f"?alarm={a}",
        "queue": reverse("controlroom:queue"),
        "map": reverse("controlroom:map_data"),
        "wall": reverse("controlroom:wall"),
        "alarms": reverse("controlroom:alarms"),
        "alarm": reverse("controlroom:alarm", args=[a]),
        "panel": reverse("controlroom:alarm_panel", args=[a]),
        "snapshot": reverse("controlroom:snapshot", args=[site.snapshot_event.pk]),
    }


# --- who opens what ----------------------------------------------------------------------------


def test_every_page_opens_for_a_control_room_operator(client, site):
    signed_in(client, site.operator)
    for name, url in pages(site).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)


def test_without_signing_in_every_page_sends_to_the_login(client, site):
    for name, url in pages(site).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name


@pytest.mark.parametrize("role, kind", [(Role.COMPANY_ACCESS_MANAGER, OrganisationKind.COMPANY),
                                        (Role.GATE_GUARD, OrganisationKind.FACILITY_OPERATOR)])
def test_a_role_without_the_control_rooms_permission_is_refused(client, site, role, kind):
    org = site.world.operator if kind == OrganisationKind.FACILITY_OPERATOR else site.world.company
    signed_in(client, principal(role, org))
    for name, url in pages(site).items():
        assert client.get(url).status_code == 403, name
    response = client.post(reverse("controlroom:alarm_acknowledge", args=[site.intrusion.pk]))
    assert response.status_code == 403
    site.intrusion.refresh_from_db()
    assert site.intrusion.state == AlarmState.NEW


def test_a_facility_operator_never_sees_another_facilitys_alarm_or_snapshot(client, site):
    signed_in(client, site.operator)
    other = site.other.pk
    for url in (reverse("controlroom:alarm", args=[other]), reverse("controlroom:alarm_panel", args=[other]),
                reverse("controlroom:screen") + f"?alarm={other}",
                reverse("controlroom:snapshot", args=[site.other_snapshot_event.pk])):
        assert client.get(url).status_code == 404, url
    for url in (reverse("controlroom:alarm_acknowledge", args=[other]), reverse("controlroom:alarm_close", args=[other])):
        assert client.post(url, {"reason": "not mine", "outcome": "resolved"}).status_code == 404
    site.other.refresh_from_db()
    assert site.other.state == AlarmState.NEW

    queue = text(client.get(reverse("controlroom:queue")))
    assert f'data-alarm="{site.intrusion.pk}"' in queue and f'data-alarm="{other}"' not in queue
    history = text(client.get(reverse("controlroom:alarms")))
    assert f'data-alarm="{site.intrusion.pk}"' in history and f'data-alarm="{other}"' not in history
    data = client.get(reverse("controlroom:map_data")).json()
    assert {f["properties"]["id"] for f in data["alarms"]["features"]} == {site.intrusion.pk, site.fence_alarm.pk}
    assert "F-90" not in {f["properties"]["code"] for f in data["devices"]["features"]}
    assert data["counts"]["total"] == 2

    # The port authority's control room sees the whole port; the other operator only its own.
    signed_in(client, site.port_operator)
    assert client.get(reverse("controlroom:alarm", args=[other])).status_code == 200
    assert client.get(reverse("controlroom:snapshot", args=[site.other_snapshot_event.pk])).status_code == 200
    assert client.get(reverse("controlroom:map_data")).json()["counts"]["total"] == 3
    signed_in(client, site.operator_of_c)
    assert client.get(reverse("controlroom:alarm", args=[site.intrusion.pk])).status_code == 404
    assert client.get(reverse("controlroom:snapshot", args=[site.snapshot_event.pk])).status_code == 404


def test_the_snapshot_is_the_stored_image_and_is_never_cached(client, site):
    signed_in(client, site.operator)
    response = client.get(reverse("controlroom:snapshot", args=[site.snapshot_event.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == bytes(site.snapshot_event.snapshot.data)
    panel = text(client.get(reverse("controlroom:alarm_panel", args=[site.intrusion.pk])))
    assert reverse("controlroom:snapshot", args=[site.snapshot_event.pk]) in panel
    # An event without an image, or none at all: nothing to serve.
    fence_event = SensorEvent.objects.get(external_id="f1")
    assert client.get(reverse("controlroom:snapshot", args=[fence_event.pk])).status_code == 404
    assert client.get(reverse("controlroom:snapshot", args=[999999])).status_code == 404


def test_a_snapshot_is_served_through_an_alarm_that_links_it(client, site):
    """An auditor of the alarm's organisation reads the event through the alarm."""
    signed_in(client, principal(Role.AUDITOR, site.world.authority))
    assert client.get(reverse("controlroom:snapshot", args=[site.snapshot_event.pk])).status_code == 200


# --- the screen -------------------------------------------------------------------------------


def test_the_queue_lists_open_alarms_most_urgent_first_with_their_count(client, site, frozen):
    more = [{"device": "F-12", "event_id": f"w{n}", "kind": "fence.alarm",
             "occurred_at": NOW - timedelta(seconds=8 - n)} for n in range(3)]
    events_ingest(actor=site.gateway, events=more)
    evaluation.run()
    frozen.advance(minutes=4)
    signed_in(client, site.operator)
    page = text(client.get(reverse("controlroom:screen")))
    queue = page.partition('id="alarm-queue"')[2].partition("</table>")[0]
    assert queue.index(f'data-alarm="{site.intrusion.pk}"') < queue.index(f'data-alarm="{site.fence_alarm.pk}"')
    row = queue.partition(f'data-alarm="{site.fence_alarm.pk}"')[2].partition("</tr>")[0]
    assert "×4" in row and "F-12" in row and "P3" in row and "4 min" in row and "New" in row
    assert 'data-testid="queue-overdue"' in queue  # P1 is acknowledged within 2 minutes
    assert f'hx-get="{reverse("controlroom:alarm_panel", args=[site.intrusion.pk])}"' in queue
    # The page gives screen.js the stream from the last event shown, and the alarm events to follow.
    assert 'data-stream="/api/v1/stream?after=' in page
    assert "controlroom.alarm.raised" in page and "controlroom.alarm.resolved" in page
    assert "controlroom/screen.js" in page and "havenwatch/map.js" in page


def test_the_map_draws_fences_cameras_with_their_view_silent_devices_and_the_open_alarms(client, site, frozen):
    frozen.advance(minutes=20)  # CAM-QUIET was never heard of; the others spoke 20 minutes ago
    events_ingest(actor=site.gateway, events=[
        {"device": "F-12", "event_id": "hb", "kind": "device.heartbeat", "occurred_at": clock.now()}])
    device_retire(actor=site.world.pfso(), device=DeviceFactory(facility=site.world.facility, code="OLD-1"),
                  reason="replaced")
    gate = platform_device(site.world.facility, "gate-1", "Gate 1 refusals")  # not on the ground
    gate.created_at = NOW - timedelta(days=30)
    gate.save(update_fields=["created_at"])
    signed_in(client, site.operator)
    response = client.get(reverse("controlroom:map_data"))
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    devices = {(f["properties"]["code"], f["properties"]["layer"]): f for f in data["devices"]["features"]}
    assert devices[("F-12", "device")]["geometry"]["type"] == "LineString"
    assert devices[("F-12", "device")]["properties"]["shape"] == "fence"
    assert devices[("CAM-1", "device")]["geometry"]["type"] == "Point"
    assert devices[("CAM-1", "field_of_view")]["geometry"]["type"] == "Polygon"
    assert not devices[("F-12", "device")]["properties"]["silent"]
    assert devices[("CAM-1", "device")]["properties"]["silent"]  # its last event was 20 min ago
    assert devices[("CAM-QUIET", "device")]["properties"]["silent"]
    assert "OLD-1" not in {code for code, _layer in devices} and gate.code not in {code for code, _l in devices}
    alarms = {f["properties"]["id"]: f for f in data["alarms"]["features"]}
    assert alarms[site.intrusion.pk]["properties"]["priority"] == 1
    assert alarms[site.intrusion.pk]["properties"]["state"] == "new"
    assert alarms[site.intrusion.pk]["geometry"]["type"] == "Point"
    assert alarms[site.fence_alarm.pk]["properties"]["priority"] == 3
    assert data["counts"] == {"open": {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0}, "total": 2, "new": 2, "silent": 2}
    # What the screen renders for screen.js is the same.
    page = text(client.get(reverse("controlroom:screen")))
    embedded = json.loads(page.partition('id="screen-map-data" type="application/json">')[2].partition("</script>")[0])
    assert embedded["counts"] == data["counts"]


def test_an_operator_with_nothing_to_watch_gets_an_empty_screen(client, world):
    signed_in(client, principal(Role.CONTROL_ROOM_OPERATOR, world.foreign_operator))
    page = text(client.get(reverse("controlroom:screen")))
    assert 'data-testid="queue-empty"' in page and 'id="screen-map"' in page
    data = client.get(reverse("controlroom:map_data")).json()
    assert data["devices"]["features"] == [] and data["alarms"]["features"] == []
    assert data["outline"]["port"] is None and data["counts"]["total"] == 0
    assert client.get(reverse("controlroom:wall")).status_code == 200


def test_the_wall_shows_the_counts_by_priority_and_the_silent_devices(client, site, frozen):
    frozen.advance(minutes=20)
    signed_in(client, site.port_operator)
    page = text(client.get(reverse("controlroom:wall")))
    count = page.partition('data-testid="wall-count" data-priority="1"')[2].partition("</div>")[0]
    assert 'data-count="open.1">1<' in count
    assert 'data-count="open.3">2<' in page  # Terminal A's fence, and Terminal C's
    assert 'data-count="total">3<' in page
    assert 'data-count="silent">5<' in page
    assert 'class="sidenav"' not in page  # no menu on the wall


def test_the_panel_shows_the_events_the_procedure_and_the_timeline(client, site):
    signed_in(client, site.operator)
    panel = text(client.get(reverse("controlroom:alarm_panel", args=[site.intrusion.pk]), **HX))
    assert panel.lstrip().startswith('<section id="alarm-panel"')
    assert 'data-testid="alarm-acknowledge"' in panel and 'data-testid="alarm-resolve"' in panel
    for n, step in enumerate(STEPS):
        assert step in panel and f'data-testid="step-done-{n}"' in panel
    assert panel.count('data-testid="alarm-event"') == 2 and "label: person" in panel
    assert 'data-kind="raised"' in panel


def test_an_auditor_reads_the_panel_but_has_nothing_to_press(client, site):
    signed_in(client, principal(Role.AUDITOR, site.world.authority))
    panel = text(client.get(reverse("controlroom:alarm", args=[site.intrusion.pk])))
    assert "Verified intrusion over the fence" in panel
    assert "<form" not in panel.partition('id="alarm-panel"')[2]
    assert client.post(reverse("controlroom:alarm_acknowledge", args=[site.intrusion.pk])).status_code == 403


# --- acting through the panel -------------------------------------------------------------------


def test_the_operator_works_an_alarm_through_the_panel_to_its_end(client, site, frozen):
    signed_in(client, site.operator)
    a = site.intrusion.pk

    response = client.post(reverse("controlroom:alarm_acknowledge", args=[a]), **HX)
    assert response.status_code == 200 and response["HX-Trigger"] == "controlroom-alarm-changed"
    assert 'data-state="acknowledged"' in text(response) and 'data-changed="1"' in text(response)
    site.intrusion.refresh_from_db()
    assert site.intrusion.state == AlarmState.ACKNOWLEDGED and site.intrusion.assignee == site.operator.user

    frozen.advance(seconds=30)
    assert client.post(reverse("controlroom:alarm_start", args=[a]), **HX).status_code == 200
    client.post(reverse("controlroom:alarm_step", args=[a]), {"step": "0", "done": "1"}, **HX)
    skipped = client.post(reverse("controlroom:alarm_step", args=[a]),
                          {"step": "2", "done": "0", "reason": "Nobody was found"}, **HX)
    assert 'data-step="2" data-state="skipped"' in text(skipped) and "Nobody was found" in text(skipped)
    client.post(reverse("controlroom:alarm_note", args=[a]), {"text": "Patrol 3 on its way"}, **HX)
    closed = client.post(reverse("controlroom:alarm_close", args=[a]),
                         {"outcome": "resolved", "reason": "Patrol found a cut in the fence; repaired"}, **HX)
    assert 'data-state="resolved"' in text(closed)
    assert "<form" not in text(closed)  # a closed alarm has nothing left to press

    site.intrusion.refresh_from_db()
    assert site.intrusion.state == AlarmState.RESOLVED
    assert site.intrusion.close_reason == "Patrol found a cut in the fence; repaired"
    kinds = list(AlarmEntry.objects.filter(alarm=site.intrusion).values_list("kind", "step"))
    assert kinds == [(AlarmEntryKind.RAISED, None), (AlarmEntryKind.ACKNOWLEDGED, None),
                     (AlarmEntryKind.STARTED, None), (AlarmEntryKind.STEP_DONE, 0),
                     (AlarmEntryKind.STEP_SKIPPED, 2), (AlarmEntryKind.NOTE, None),
                     (AlarmEntryKind.STEP_SKIPPED, 1), (AlarmEntryKind.RESOLVED, None)]
    assert AuditRecord.objects.filter(code="controlroom.alarm.resolved", subject_id=str(a)).exists()
    queue = text(client.get(reverse("controlroom:queue")))
    assert f'data-alarm="{a}"' not in queue and f'data-alarm="{site.fence_alarm.pk}"' in queue


def test_without_javascript_an_act_returns_to_the_page_with_a_message(client, site):
    signed_in(client, site.operator)
    a = site.fence_alarm.pk
    page = reverse("controlroom:alarm", args=[a])
    response = client.post(reverse("controlroom:alarm_close", args=[a]),
                           {"outcome": "false_alarm", "reason": "Wind on the fence", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    shown = text(client.get(page))
    assert f"Alarm #{a} is closed as a false alarm." in shown and 'data-state="false_alarm"' in shown
    site.fence_alarm.refresh_from_db()
    assert site.fence_alarm.state == AlarmState.FALSE_ALARM
    # Somewhere else than here: back to the alarm's page.
    other = client.post(reverse("controlroom:alarm_acknowledge", args=[site.intrusion.pk]),
                        {"next": "https://evil.example/"})
    assert other["Location"] == reverse("controlroom:alarm", args=[site.intrusion.pk])


@pytest.mark.parametrize("htmx", [True, False])
def test_closing_without_a_reason_shows_the_error_and_changes_nothing(client, site, htmx):
    signed_in(client, site.operator)
    a = site.intrusion.pk
    entries = AlarmEntry.objects.filter(alarm=site.intrusion).count()
    audits = AuditRecord.objects.count()
    response = client.post(reverse("controlroom:alarm_close", args=[a]), {"outcome": "resolved", "reason": "  "},
                           **(HX if htmx else {}))
    assert response.status_code == (200 if htmx else 400)
    page = text(response)
    assert 'data-testid="close-error"' in page and "Say how the alarm ended." in page
    assert "HX-Trigger" not in response
    site.intrusion.refresh_from_db()
    assert site.intrusion.state == AlarmState.NEW and site.intrusion.closed_at is None
    assert AlarmEntry.objects.filter(alarm=site.intrusion).count() == entries
    assert AuditRecord.objects.count() == audits


def test_skipping_a_step_without_a_reason_is_refused_on_that_step(client, site):
    signed_in(client, site.operator)
    response = client.post(reverse("controlroom:alarm_step", args=[site.intrusion.pk]),
                           {"step": "1", "done": "0", "reason": ""}, **HX)
    page = text(response)
    step = page.partition('data-step="1" data-state="open"')[2].partition("</li>")[0]
    assert "Say why the step is skipped." in step and 'data-testid="step-error"' in step
    assert not AlarmEntry.objects.filter(alarm=site.intrusion, kind=AlarmEntryKind.STEP_SKIPPED).exists()


def test_acting_twice_shows_the_services_refusal(client, site):
    signed_in(client, site.operator)
    url = reverse("controlroom:alarm_acknowledge", args=[site.intrusion.pk])
    client.post(url, **HX)
    again = client.post(url)
    assert again.status_code == 400
    assert f"Alarm #{site.intrusion.pk} is acknowledged already." in text(again)


# --- the history -------------------------------------------------------------------------------


def test_the_history_filters_by_state_priority_rule_and_dates(client, site, frozen):
    signed_in(client, site.port_operator)
    url = reverse("controlroom:alarms")
    client.post(reverse("controlroom:alarm_close", args=[site.fence_alarm.pk]),
                {"outcome": "false_alarm", "reason": "Wind"})

    def shown(**query) -> set[int]:
        page = text(client.get(url, query))
        return {alarm.pk for alarm in Alarm.objects.all() if f'data-testid="history-row" data-alarm="{alarm.pk}"' in page}

    everything = {site.intrusion.pk, site.fence_alarm.pk, site.other.pk}
    assert shown() == everything
    assert shown(state="false_alarm") == {site.fence_alarm.pk}
    assert shown(state="open") == {site.intrusion.pk, site.other.pk}
    assert shown(priority="1") == {site.intrusion.pk}
    assert shown(rule="fence-alarm") == {site.fence_alarm.pk, site.other.pk}
    assert shown(since="2026-11-22", until="2026-11-22") == everything  # 00:10 in Brussels
    assert shown(until="2026-11-21") == set()
    assert shown(rule="no-such-rule") == set()  # not a choice: nothing rather than everything
    assert 'data-testid="history-empty"' in text(client.get(url, {"since": "2026-11-23", "until": "2026-11-22"}))


def test_the_lists_take_a_fixed_number_of_queries(client, site):
    signed_in(client, site.port_operator)
    urls = [reverse("controlroom:alarms"), reverse("controlroom:queue"), reverse("controlroom:map_data")]
    before = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        before[url] = len(queries)
    for n in range(4):
        DeviceFactory(facility=site.world.facility, code=f"F-X{n}", kind=DeviceKind.FENCE,
                      geometry={"type": "LineString", "coordinates": [[4.31, 51.28], [4.311, 51.28]]})
    extra = sender(site.world.pfso(), list(DeviceFactory._meta.model.objects.filter(code__startswith="F-X")))
    events_ingest(actor=extra, events=[{"device": f"F-X{n}", "event_id": "e", "kind": "fence.alarm",
                                        "occurred_at": NOW} for n in range(4)])
    evaluation.run()
    assert Alarm.objects.count() == 7
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert len(queries) == before[url], url


# --- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_pages_render_in_dutch_and_french(client, site, language):
    signed_in(client, site.operator)
    for name, url in pages(site).items():
        if name in {"snapshot", "map", "queue", "panel"}:
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        assert f'<html lang="{language}">' in text(response), name
