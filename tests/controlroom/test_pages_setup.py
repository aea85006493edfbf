"""The officers' control-room pages: devices (with their token, shown once), rules (with
"would it have fired?"), procedures and watch lists. Who may open what, and what a
facility's officer never sees of another facility."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.models import Alarm, Device, DeviceCredential, Rule, RuleVersion, Sop, Watchlist
from havenwatch.controlroom.services.devices import device_retire
from havenwatch.controlroom.services.ingestion import events_ingest
from havenwatch.controlroom.services.rules import rule_save, sop_save, watchlist_change, watchlist_save
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import ApiToken, AuditRecord, OutboxEvent
from tests.controlroom.factories import DeviceFactory, camera, fence, sender
from tests.factories import FacilityFactory, OrganisationFactory, principal

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)

FENCE = """
code: fence-alarm
kind: single
title: Fence alarm
priority: 3
when: {kind: fence.alarm}
suppress: {per: device, for: 10m}
"""
LINE = '{"type": "LineString", "coordinates": [[4.30, 51.28], [4.31, 51.28]]}'


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


def url(name, *args) -> str:
    return reverse(f"controlroom:{name}", args=args)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def setup(world):
    """A fence of Terminal A, the port's rule, procedure and watch list, and Terminal A's own rule."""
    pso, pfso = world.pso(), world.pfso()
    f12 = fence(world.facility)
    rule = rule_save(actor=pso, port=world.port, text=FENCE)
    own_rule = rule_save(actor=pfso, port=world.port, facility=world.facility,
                         text=FENCE.replace("fence-alarm", "terminal-fence"))
    sop = sop_save(actor=pso, port=world.port, code="intrusion", title="Intrusion",
                   steps=["Turn the nearest camera", "Send the patrol"])
    plates = watchlist_save(actor=pso, port=world.port, code="stolen-plates", name="Stolen plates")
    watchlist_change(actor=pso, watchlist=plates, add=["1-ABC-123"], note="reported stolen")
    return {"pso": pso, "pfso": pfso, "device": f12, "rule": rule, "own_rule": own_rule, "sop": sop,
            "watchlist": plates}


def pages(s) -> list[tuple[str, tuple]]:
    return [("devices", ()), ("device", (s["device"].pk,)), ("device_register", ()),
            ("device_edit", (s["device"].pk,)), ("device_retire", (s["device"].pk,)), ("device_token", ()),
            ("rules", ()), ("rule", (s["rule"].pk,)), ("rule_version", (s["rule"].pk, 1)), ("rule_edit", ()),
            ("rule_edit", (s["rule"].pk,)), ("sops", ()), ("sop_edit", ()), ("sop_edit", (s["sop"].pk,)),
            ("watchlists", ()), ("watchlist", (s["watchlist"].pk,))]


MANAGING = {"device_register", "device_edit", "device_retire", "device_token", "rule_edit", "sop_edit"}


# --- who opens what ---------------------------------------------------------------------------


def test_every_page_opens_for_the_port_security_officer_without_inline_script_or_style(client, setup):
    signed_in(client, setup["pso"])
    for name, args in pages(setup):
        response = client.get(url(name, *args))
        assert response.status_code == 200, (name, response.status_code)
        body = text(response)
        assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body) == [], name
        assert not re.search(r"\sstyle=", body) and not re.search(r"\son[a-z]+=", body), name


def test_the_pages_are_in_the_menu(client, setup):
    body = text(signed_in(client, setup["pso"]).get(url("devices")))
    for name in ("devices", "rules", "sops", "watchlists"):
        assert f'href="{url(name)}"' in body


def test_the_facility_officer_opens_the_pages_of_its_own_facility(client, setup):
    signed_in(client, setup["pfso"])
    for name, args in [("devices", ()), ("device", (setup["device"].pk,)), ("device_edit", (setup["device"].pk,)),
                       ("device_register", ()), ("device_token", ()), ("rules", ()),
                       ("rule", (setup["own_rule"].pk,)), ("rule_edit", (setup["own_rule"].pk,)), ("sops", ()),
                       ("watchlists", ())]:
        assert client.get(url(name, *args)).status_code == 200, name


def test_without_the_permission_every_page_is_refused(client, setup):
    signed_in(client, principal(Role.GATE_GUARD, setup["device"].owner))
    for name, args in pages(setup):
        assert client.get(url(name, *args)).status_code == 403, name


def test_a_control_room_operator_reads_but_does_not_manage(client, setup):
    signed_in(client, principal(Role.CONTROL_ROOM_OPERATOR, setup["device"].owner))
    for name, args in pages(setup):
        if args and name in ("rule", "rule_version", "rule_edit", "watchlist", "sop_edit"):
            continue  # the port's rule, procedure and list are the authority's: not the operator's to read
        status = client.get(url(name, *args)).status_code
        assert status == (403 if name in MANAGING else 200), (name, status)
    listing = text(client.get(url("devices")))
    assert url("device_register") not in listing and url("device_token") not in listing
    assert client.get(url("rule", setup["own_rule"].pk)).status_code == 200  # its facility's rule
    assert client.get(url("watchlist", setup["watchlist"].pk)).status_code == 404  # the port's list


def test_an_auditor_reads_the_ports_watch_list_but_cannot_change_it(client, world, setup):
    plates = setup["watchlist"]
    signed_in(client, principal(Role.AUDITOR, world.authority))
    page = text(client.get(url("watchlist", plates.pk)))
    assert "1ABC123" in page and 'name="values"' not in page and "Take off" not in page
    assert client.post(url("watchlist", plates.pk), {"action": "add", "values": "X-1", "note": "n"}).status_code == 403
    assert client.post(url("watchlist", plates.pk), {"action": "remove", "value": "1-ABC-123"}).status_code == 403
    assert list(plates.entries.values_list("value", flat=True)) == ["1ABC123"]
    assert client.post(url("watchlists"), {"port": world.port.pk, "code": "x-list", "name": "X"}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, setup):
    response = client.get(url("devices"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- another facility's --------------------------------------------------------------------------


@pytest.fixture
def rival(world):
    """Another operator's facility in the same port, with its officer."""
    operator = OrganisationFactory(name="Rival Terminals", kind=OrganisationKind.FACILITY_OPERATOR)
    facility = FacilityFactory(name="Terminal R", isps_number="BEAAA-0099", port=world.port, operator=operator)
    return facility, principal(Role.FACILITY_SECURITY_OFFICER, operator)


@pytest.mark.parametrize("who", ["rival", "foreign"])
def test_a_facility_officer_never_sees_or_changes_another_facilitys_devices_or_rules(client, world, setup, rival,
                                                                                    who):
    officer = rival[1] if who == "rival" else world.foreign_pfso()
    signed_in(client, officer)
    device, rule = setup["device"], setup["own_rule"]
    listing = text(client.get(url("devices")))
    assert device.code not in listing and "There is no device for you to see yet." in listing
    assert "terminal-fence" not in text(client.get(url("rules")))
    for name, args in [("device", (device.pk,)), ("device_edit", (device.pk,)), ("device_retire", (device.pk,)),
                       ("rule", (rule.pk,)), ("rule_version", (rule.pk, 1)), ("rule_edit", (rule.pk,))]:
        assert client.get(url(name, *args)).status_code == 404, name
    assert client.post(url("device_retire", device.pk), {"reason": "x", "confirm": "on"}).status_code == 404
    assert client.post(url("rule_edit", rule.pk), {"text": rule.text, "status": "draft"}).status_code == 404
    # a token for another's device: the device is not among the choices
    response = client.post(url("device_token"), {"devices": [device.pk], "name": "stolen"})
    assert response.status_code == 400 and not ApiToken.objects.filter(name="stolen").exists()
    device.refresh_from_db()
    assert device.retired_at is None and Rule.objects.get(pk=rule.pk).version == 1


def test_the_facility_officer_registers_only_at_its_own_facilities(client, world, setup, rival):
    signed_in(client, setup["pfso"])
    form = text(client.get(url("device_register")))
    assert "Terminal A" in form and "Terminal R" not in form and 'name="port"' not in form
    response = client.post(url("device_register"), {"facility": rival[0].pk, "kind": "camera", "code": "CAM-X",
                                                    "name": "Intruding camera", "longitude": "4.3",
                                                    "latitude": "51.28", "silent_after": "15"})
    assert response.status_code == 400 and not Device.objects.filter(code="CAM-X").exists()


# --- devices ----------------------------------------------------------------------------------


def test_an_officer_registers_a_camera_by_longitude_and_latitude(client, world, setup):
    response = signed_in(client, setup["pfso"]).post(url("device_register"), {
        "facility": world.facility.pk, "kind": DeviceKind.THERMAL_CAMERA, "code": "cam-quay-3",
        "name": "Thermal camera, north quay", "longitude": "4.3005", "latitude": "51.2801",
        "field_of_view": '{"type": "Polygon", "coordinates": [[[4.30, 51.28], [4.31, 51.28], [4.31, 51.29], '
                         '[4.30, 51.28]]]}',
        "external_name": "north_quay_3", "silent_after": "30"})
    device = Device.objects.get(code="CAM-QUAY-3")
    assert response.status_code == 302 and response["Location"] == url("device", device.pk)
    assert device.geometry == {"type": "Point", "coordinates": [4.3005, 51.2801]}
    assert device.owner == world.operator and device.silent_after == 30 and device.field_of_view["type"] == "Polygon"
    page = text(client.get(response["Location"]))
    assert "Device CAM-QUAY-3 is registered" in page and "north_quay_3" in page and "Never heard from" in page


def test_the_port_security_officer_registers_the_ports_own_fence_as_geojson(client, world, setup):
    response = signed_in(client, setup["pso"]).post(url("device_register"), {
        "port": world.port.pk, "kind": DeviceKind.FENCE, "code": "F-PORT-1", "name": "Breakwater fence",
        "geometry": LINE, "silent_after": "15"})
    assert response.status_code == 302
    device = Device.objects.get(code="F-PORT-1")
    assert device.facility is None and device.owner == world.authority


@pytest.mark.parametrize("fields, words", [
    ({"kind": DeviceKind.FENCE, "longitude": "4.3", "latitude": "51.28"}, "A fence segment is a line"),
    ({"kind": DeviceKind.CAMERA, "geometry": "{not json"}, "This is not valid JSON"),
    ({"kind": DeviceKind.CAMERA, "longitude": "4.3"}, "Give both the longitude and the latitude"),
    ({"kind": DeviceKind.CAMERA, "geometry": LINE}, "GeoJSON Point"),
    ({"kind": DeviceKind.CAMERA, "code": "F-12", "longitude": "4.3", "latitude": "51.28"}, "has a device F-12"),
])
def test_a_device_that_cannot_be_placed_shows_why_and_nothing_is_saved(client, world, setup, fields, words):
    data = {"facility": world.facility.pk, "code": "NEW-1", "name": "New device", "silent_after": "15", **fields}
    before = Device.objects.count()
    response = signed_in(client, setup["pfso"]).post(url("device_register"), data)
    assert response.status_code == 400 and words in text(response)
    assert Device.objects.count() == before


def test_a_device_is_changed_and_its_events_are_listed(client, world, setup):
    device = setup["device"]
    gateway = sender(setup["pfso"], [device])
    events_ingest(actor=gateway, events=[{"device": device.code, "event_id": "e1", "kind": "fence.alarm",
                                          "occurred_at": NOW - timedelta(minutes=3), "attributes": {"zone": "N"}}])
    signed_in(client, setup["pfso"])
    page = text(client.get(url("device", device.pk)))
    assert "fence.alarm" in page and "zone=N" in page and "Heard from" in page
    assert 'data-map-source="device-map"' in page
    response = client.post(url("device_edit", device.pk), {"name": "Fence 12, north quay", "geometry": LINE,
                                                           "silent_after": "5"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.name == "Fence 12, north quay" and device.silent_after == 5
    assert AuditRecord.objects.filter(code="controlroom.device.updated").exists()


def test_retiring_asks_for_a_reason_and_a_confirmation(client, setup):
    device = setup["device"]
    signed_in(client, setup["pfso"])
    response = client.post(url("device_retire", device.pk), {"reason": "replaced by a thermal camera"})
    assert response.status_code == 400 and "Tick the box" in text(response)
    device.refresh_from_db()
    assert device.retired_at is None
    response = client.post(url("device_retire", device.pk), {"reason": "replaced by a thermal camera",
                                                             "confirm": "on"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.retired_at == NOW
    assert AuditRecord.objects.get(code="controlroom.device.retired").data["reason"] == "replaced by a thermal camera"
    page = text(client.get(url("device", device.pk)))
    assert url("device_edit", device.pk) not in page  # a retired device cannot change


def test_the_list_filters_by_kind_and_finds_silent_and_retired_devices(client, world, setup):
    live = camera(world.facility, code="CAM-LIVE", last_seen_at=NOW - timedelta(minutes=5), silent_after=15)
    quiet = camera(world.facility, code="CAM-QUIET", last_seen_at=NOW - timedelta(minutes=40), silent_after=30)
    patient = camera(world.facility, code="CAM-PATIENT", last_seen_at=NOW - timedelta(minutes=40), silent_after=60)
    gone = camera(world.facility, code="CAM-GONE")
    device_retire(actor=setup["pfso"], device=gone, reason="dismantled")
    signed_in(client, setup["pfso"])

    def codes(**query) -> set[str]:
        body = text(client.get(url("devices"), query))
        return set(re.findall(r'<td class="mono"><a href="[^"]+">([A-Z0-9-]+)</a>', body))

    assert codes() == {"F-12", "CAM-LIVE", "CAM-QUIET", "CAM-PATIENT"}
    assert codes(status="silent") == {"F-12", "CAM-QUIET"}  # F-12 was never heard from
    assert codes(status="retired") == {"CAM-GONE"}
    assert codes(kind=DeviceKind.FENCE) == {"F-12"}
    assert codes(q="patient") == {"CAM-PATIENT"}
    assert live and patient and quiet


def test_the_device_list_takes_the_same_queries_for_many_devices(client, world, setup):
    signed_in(client, setup["pso"])
    client.get(url("devices"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("devices"))
    for i in range(20):
        DeviceFactory(facility=world.facility, code=f"CAM-N{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(url("devices"))
    assert len(many) == len(few)


def test_the_rule_procedure_and_watch_list_lists_take_the_same_queries_for_many_rows(client, world, setup):
    signed_in(client, setup["pso"])
    names = ("rules", "sops", "watchlists")
    for name in names:
        client.get(url(name))
    few = {}
    for name in names:
        with CaptureQueriesContext(connection) as queries:
            client.get(url(name))
        few[name] = len(queries)
    for i in range(10):
        rule_save(actor=setup["pso"], port=world.port, text=FENCE.replace("fence-alarm", f"fence-{i}"))
        sop_save(actor=setup["pso"], port=world.port, code=f"sop-{i}", title=f"Procedure {i}", steps=["a"])
        watchlist_save(actor=setup["pso"], port=world.port, code=f"list-{i}", name=f"List {i}")
    for name in names:
        with CaptureQueriesContext(connection) as queries:
            client.get(url(name))
        assert len(queries) == few[name], name


def test_a_device_token_is_shown_once(client, world, setup):
    device = setup["device"]
    other = camera(world.facility)
    signed_in(client, setup["pfso"])
    form = text(client.get(url("device_token") + f"?device={device.pk}"))
    assert re.search(rf'value="{device.pk}"[^>]*checked', form)
    response = client.post(url("device_token"), {"devices": [device.pk, other.pk], "name": "North quay gateway"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    raw = re.search(r'value="(hw_[^"]+)"', text(response)).group(1)
    assert "shown only this once" in text(response)
    token = ApiToken.objects.get(name="North quay gateway")
    assert token.permissions == ["controlroom.ingest"] and raw not in str(ApiToken.objects.filter(
        pk=token.pk).values().first())
    assert set(DeviceCredential.objects.filter(token=token).values_list("device_id", flat=True)) == {
        device.pk, other.pk}
    for page in (url("device_token"), url("device", device.pk), url("devices")):
        assert raw not in text(client.get(page))


def test_a_token_needs_devices(client, setup):
    response = signed_in(client, setup["pfso"]).post(url("device_token"), {"name": "empty"})
    assert response.status_code == 400 and "Choose the devices" in text(response)
    assert not ApiToken.objects.filter(name="empty").exists()


# --- rules ------------------------------------------------------------------------------------


def test_the_rule_list_shows_code_title_kind_priority_version_status_and_area(client, world, setup):
    body = text(signed_in(client, setup["pso"]).get(url("rules")))
    row = re.search(r'<tr data-rule="fence-alarm">(.*?)</tr>', body, re.S).group(1)
    for part in ("fence-alarm", "Fence alarm", "single", "P3", ">1<", "Active", "Port A (whole port)"):
        assert part in row, part
    row = re.search(r'<tr data-rule="terminal-fence">(.*?)</tr>', body, re.S).group(1)
    assert "Terminal A" in row  # an authority over the port reads its facilities' rules too


def test_a_rule_that_does_not_compile_shows_its_error_keeps_the_text_and_saves_nothing(client, world, setup):
    bad = FENCE.replace("fence-alarm", "new-rule").replace("priority: 3", "priority: 9")
    before = (Rule.objects.count(), RuleVersion.objects.count(), AuditRecord.objects.count())
    response = signed_in(client, setup["pso"]).post(url("rule_edit"), {
        "area": f"port:{world.port.pk}", "text": bad, "status": "active", "save": "1"})
    body = text(response)
    assert response.status_code == 400
    assert "The rule does not compile: priority: the priority is 1 (highest) to 5" in body
    assert "priority: 9" in body  # the text is kept in the editor
    assert (Rule.objects.count(), RuleVersion.objects.count(), AuditRecord.objects.count()) == before


def test_a_new_rule_then_its_next_version_with_a_note(client, world, setup):
    signed_in(client, setup["pso"])
    text_v1 = FENCE.replace("fence-alarm", "gate-fence").replace("Fence alarm", "Gate fence")
    response = client.post(url("rule_edit"), {"area": f"port:{world.port.pk}", "text": text_v1, "status": "draft",
                                              "note": "first try", "save": "1"})
    rule = Rule.objects.get(code="gate-fence")
    assert response.status_code == 302 and response["Location"] == url("rule", rule.pk)
    assert rule.status == "draft" and rule.owner == world.authority
    response = client.post(url("rule_edit", rule.pk), {"text": text_v1.replace("priority: 3", "priority: 2"),
                                                       "status": "active", "note": "more urgent", "save": "1"})
    rule.refresh_from_db()
    assert response.status_code == 302 and (rule.version, rule.priority, rule.status) == (2, 2, "active")
    page = text(client.get(url("rule", rule.pk)))
    assert "more urgent" in page and "first try" in page and setup["pso"].user.username in page
    old = text(client.get(url("rule_version", rule.pk, 1)))
    assert "priority: 3" in old and "The current version is 2" in old
    again = text(client.get(url("rule_edit", rule.pk) + "?version=1"))
    assert "priority: 3" in again and "Back to version 1" in again
    assert client.get(url("rule_version", rule.pk, 9)).status_code == 404


def test_the_editors_example_is_a_rule_that_compiles():
    from havenwatch.controlroom.services.rules import compile_text
    from havenwatch.controlroom.views.setup_rules import EXAMPLE

    assert compile_text(EXAMPLE).code == "verified-intrusion"


def test_the_next_version_keeps_the_code(client, setup):
    rule = setup["rule"]
    response = signed_in(client, setup["pso"]).post(url("rule_edit", rule.pk), {
        "text": FENCE.replace("fence-alarm", "renamed"), "status": "active", "save": "1"})
    assert response.status_code == 400 and "keep “code: fence-alarm”" in text(response)
    assert not Rule.objects.filter(code="renamed").exists()


def test_the_facility_officer_writes_its_facilitys_rule(client, world, setup):
    signed_in(client, setup["pfso"])
    form = text(client.get(url("rule_edit")))
    assert f"facility:{world.facility.pk}" in form and f"port:{world.port.pk}" not in form
    response = client.post(url("rule_edit"), {"area": f"facility:{world.facility.pk}", "status": "active",
                                              "text": FENCE.replace("fence-alarm", "quay-fence"), "save": "1"})
    assert response.status_code == 302
    assert Rule.objects.get(code="quay-fence").facility == world.facility


# --- would it have fired? -----------------------------------------------------------------------


@pytest.fixture
def gusts(world, setup):
    """Three fence alarms on F-12 over the last hours: two close together, one apart."""
    gateway = sender(setup["pfso"], [setup["device"]])
    events_ingest(actor=gateway, events=[
        {"device": "F-12", "event_id": eid, "kind": "fence.alarm", "occurred_at": NOW - timedelta(minutes=ago),
         "attributes": {"zone": "north"}} for eid, ago in (("g1", 180), ("g2", 175), ("g3", 60))])


def test_the_rule_page_says_whether_it_would_have_fired_last_week(client, setup, gusts):
    signed_in(client, setup["pso"])
    page = text(client.get(url("rule", setup["rule"].pk)))
    assert 'name="since"' in page and 'value="2026-11-15' in page  # the last 7 days, in port time
    response = client.get(url("rule", setup["rule"].pk), {"since": "2026-11-14T00:00", "until": "2026-11-22T01:00"})
    body = text(response)
    assert response.status_code == 200
    assert 'data-alarms="2"' in body and "It would have raised 2 alarms" in body and "from 3 firings." in body
    assert "×2" in body and "zone=north" in body
    assert not Alarm.objects.exists() and not OutboxEvent.objects.filter(type__startswith="controlroom.alarm").exists()


def test_the_editor_tries_unsaved_text_and_saves_nothing(client, world, setup, gusts):
    signed_in(client, setup["pso"])
    threshold = """
code: fence-gusts
kind: threshold
title: Repeated fence alarms
priority: 2
when: {kind: fence.alarm}
count: 2
within: 10m
"""
    before = (Rule.objects.count(), AuditRecord.objects.count(), Alarm.objects.count())
    response = client.post(url("rule_edit"), {"area": f"port:{world.port.pk}", "text": threshold,
                                              "status": "active", "since": "2026-11-21T00:00",
                                              "until": "2026-11-22T01:00", "dry_run": "1"})
    body = text(response)
    assert response.status_code == 200 and 'data-alarms="1"' in body and "fence-gusts" in body
    assert (Rule.objects.count(), AuditRecord.objects.count(), Alarm.objects.count()) == before
    # a period that does not hold together is said so, and nothing runs
    response = client.post(url("rule_edit"), {"area": f"port:{world.port.pk}", "text": threshold,
                                              "status": "active", "since": "2026-11-22T00:00",
                                              "until": "2026-11-21T00:00", "dry_run": "1"})
    assert response.status_code == 400 and "The period ends after it starts." in text(response)
    response = client.post(url("rule_edit"), {"area": f"port:{world.port.pk}", "text": threshold.replace(
        "count: 2", "count: 1"), "status": "active", "since": "2026-11-21T00:00", "until": "2026-11-22T01:00",
        "dry_run": "1"})
    assert response.status_code == 400 and "count: a threshold counts 2 to 10,000 events" in text(response)


# --- procedures and watch lists ------------------------------------------------------------------


def test_a_procedure_is_written_with_one_step_per_line_and_its_next_version(client, world, setup):
    signed_in(client, setup["pso"])
    response = client.post(url("sop_edit"), {"port": world.port.pk, "code": "drone", "title": "Drone over a terminal",
                                             "steps": "Locate the pilot\n\n  Warn the terminal  \nCall the police"})
    assert response.status_code == 302
    sop = Sop.objects.get(code="drone")
    assert sop.steps == ["Locate the pilot", "Warn the terminal", "Call the police"]
    response = client.post(url("sop_edit", sop.pk), {"title": "Drone over a terminal", "steps": "Locate the pilot"})
    sop.refresh_from_db()
    assert response.status_code == 302 and (sop.version, sop.steps) == (2, ["Locate the pilot"])
    response = client.post(url("sop_edit"), {"port": world.port.pk, "code": "Bad Code", "title": "x", "steps": "a"})
    assert response.status_code == 400 and "lower-case letters" in text(response)
    listing = text(client.get(url("sops")))
    assert "Drone over a terminal" in listing and "Locate the pilot" in listing


def test_the_facility_officer_is_told_procedures_are_the_ports(client, world, setup):
    signed_in(client, setup["pfso"])
    assert url("sop_edit") not in text(client.get(url("sops")))
    assert "Procedures are held by the port" in text(client.get(url("sop_edit")))
    response = client.post(url("sop_edit"), {"port": world.port.pk, "code": "mine", "title": "Mine", "steps": "a"})
    assert response.status_code == 400 and not Sop.objects.filter(code="mine").exists()


def test_a_watch_list_is_made_filled_with_why_and_emptied(client, world, setup):
    signed_in(client, setup["pso"])
    response = client.post(url("watchlists"), {"port": world.port.pk, "code": "drones", "name": "Known drones"})
    drones = Watchlist.objects.get(code="drones")
    assert response.status_code == 302 and response["Location"] == url("watchlist", drones.pk)
    response = client.post(url("watchlist", drones.pk), {"action": "add", "values": "dji 1234, AB.99-7\n",
                                                         "note": "seen over the river"})
    assert response.status_code == 302
    page = text(client.get(url("watchlist", drones.pk)))
    assert "DJI1234" in page and "AB997" in page and "seen over the river" in page
    assert setup["pso"].user.username in page
    response = client.post(url("watchlist", drones.pk), {"action": "add", "values": "Z", "note": "x"})
    assert response.status_code == 400 and "2 to 64 letters" in text(response)
    response = client.post(url("watchlist", drones.pk), {"action": "add", "values": "ZZ-1", "note": ""})
    assert response.status_code == 400
    client.post(url("watchlist", drones.pk), {"action": "remove", "value": "DJI1234"})
    assert list(drones.entries.values_list("value", flat=True)) == ["AB997"]
    assert AuditRecord.objects.filter(code="controlroom.watchlist.changed", data__code="drones").count() == 2
    listing = text(client.get(url("watchlists")))
    assert re.search(r'data-watchlist="drones">.*?<td class="num">1</td>', listing, re.S)


def test_the_pages_speak_dutch_and_french(client, setup):
    signed_in(client, setup["pso"])
    for language in ("nl", "fr"):
        response = client.get(url("devices"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200 and f'lang="{language}"' in text(response)
