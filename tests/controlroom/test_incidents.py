"""Incidents: opened from alarms of one port, with a timeline, the people and things involved
(checked), attachments (sniffed, photos without metadata), a closing report, and the report
as a PDF; over the services and the API."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test.client import encode_multipart
from django.utils import translation

from havenwatch.controlroom.choices import AlarmEntryKind
from havenwatch.controlroom.incident_pdf import render_incident_pdf
from havenwatch.controlroom.models import Alarm, AlarmEntry
from havenwatch.controlroom.models.incidents import (
    Incident,
    IncidentAlarm,
    IncidentAttachment,
    IncidentEntryKind,
    IncidentParty,
    IncidentState,
    PartyKind,
)
from havenwatch.controlroom.services import incidents as incident_services
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import Conflict, NotFound, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from tests.controlroom.factories import DeviceFactory, camera, fence
from tests.factories import FacilityFactory, OrganisationFactory, principal
from tests.pdf_text import pdf_has

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)
API = "/api/v1/controlroom"
NAME = "Łukasz Żółć"


def raise_alarm(facility, title: str, *, device=None, priority: int = 2, state: str = "new") -> Alarm:
    """An alarm as the evaluator raises it (how events become alarms is test_evaluation's)."""
    now = clock.now()
    device = device or DeviceFactory(facility=facility)
    return Alarm.objects.create(
        port=facility.port, facility=facility, owner=facility.operator, rule_code="fence-alarm", rule_version=1,
        title=title, priority=priority, state=state, suppress_key=f"{facility.pk}|{title}", device=device,
        first_event_at=now - timedelta(seconds=40), last_event_at=now - timedelta(seconds=5), raised_at=now,
        acknowledge_by=now + timedelta(minutes=5))


class Scene:
    """Terminal A (port A): a verified intrusion and a fence alarm, and the facility's
    control-room operator; Terminal C, another operator's in port A, with a fence alarm;
    Terminal B in port B with one. The port authority's operator works all of port A."""

    def __init__(self, world):
        self.world = world
        self.intrusion = raise_alarm(world.facility, "Verified intrusion over the fence", priority=1,
                                     device=camera(world.facility))
        self.fence = raise_alarm(world.facility, "Fence alarm", priority=3, device=fence(world.facility))
        self.operator_c = OrganisationFactory(name="Terminal Operator C", kind=OrganisationKind.FACILITY_OPERATOR)
        self.facility_c = FacilityFactory(name="Terminal C", isps_number="BEAAA-0003", port=world.port,
                                          operator=self.operator_c)
        self.other = raise_alarm(self.facility_c, "Fence alarm at C")
        self.foreign = raise_alarm(world.foreign_facility, "Fence alarm at B")
        self.operator = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
        self.port_operator = principal(Role.CONTROL_ROOM_OPERATOR, world.authority)
        self.auditor = principal(Role.AUDITOR, world.authority)

    def foreign_free_alarm(self) -> Alarm:
        """Another alarm at Terminal C (not the operator's), in no incident yet."""
        return raise_alarm(self.facility_c, "Camera tampered at C")

    def open(self, actor=None, alarms=None, title="Intruder over the fence at quay 1742", summary="A person climbed "
             "the fence near F-12 and was seen on the thermal camera."):
        return incident_services.incident_open(actor=actor or self.operator,
                                               alarms=alarms or [self.intrusion, self.fence], title=title,
                                               summary=summary)


@pytest.fixture
def frozen():
    with clock.frozen(NOW) as state:
        yield state


@pytest.fixture
def scene(world, frozen):
    return Scene(world)


def jpeg_with_exif() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 17.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format="JPEG", exif=exif, comment=b"taken at quay 1742")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "51.2801,4.3005")
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


# A one-page PDF, ASCII only: the smallest that a PDF reader (and so core/files.strip_pdf) opens.
PDF_BYTES = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
             b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
             b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
             b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n"
             b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n")


# --- opening ---------------------------------------------------------------------------------


def test_an_incident_is_opened_from_two_alarms_of_one_facility(scene):
    incident = scene.open()
    assert incident.state == IncidentState.OPEN
    assert incident.port == scene.world.port and incident.facility == scene.world.facility
    assert incident.owner == scene.world.operator  # the alarms' organisation
    assert incident.opened_by == scene.operator.label and incident.opened_at == NOW
    assert [link.alarm for link in incident.alarm_links.order_by("id")] == [scene.intrusion, scene.fence]
    (opened,) = incident.entries.all()
    assert opened.kind == IncidentEntryKind.OPENED
    assert f"#{scene.intrusion.pk} · P1 · Verified intrusion" in opened.text and f"#{scene.fence.pk}" in opened.text
    record = AuditRecord.objects.get(code="controlroom.incident.opened")
    assert record.data["alarms"] == [scene.intrusion.pk, scene.fence.pk] and record.actor_label == scene.operator.label
    event = OutboxEvent.objects.get(type="controlroom.incident.opened")
    assert event.payload["incident"] == incident.pk and event.organisation_id == scene.world.operator.pk
    # each alarm's own timeline says which incident it became part of
    for alarm in (scene.intrusion, scene.fence):
        note = AlarmEntry.objects.get(alarm=alarm, kind=AlarmEntryKind.NOTE)
        assert note.text == f"→ #{incident.pk} · {incident.title}"


def test_alarms_of_two_organisations_make_an_incident_of_the_port_authority(scene):
    incident = scene.open(actor=scene.port_operator, alarms=[scene.fence, scene.other])
    assert incident.owner == scene.world.authority and incident.facility is None
    # the terminal's operator does not see an incident that holds another terminal's alarm...
    assert not incident_services.incident_list(principal=scene.operator).filter(pk=incident.pk).exists()
    # ...the port's control room does
    assert incident_services.incident_list(principal=scene.port_operator).filter(pk=incident.pk).exists()


def test_a_foreign_alarm_is_refused_as_not_found_and_nothing_is_opened(scene):
    with pytest.raises(NotFound) as refusal:
        scene.open(alarms=[scene.intrusion, scene.foreign])
    assert refusal.value.field == "alarms" and f"#{scene.foreign.pk}" in str(refusal.value.message)
    with pytest.raises(NotFound):  # another terminal's alarm in the same port: not the operator's either
        scene.open(alarms=[scene.other])
    assert not Incident.objects.exists() and not AuditRecord.objects.filter(code__startswith="controlroom.incident")


def test_alarms_of_two_ports_are_not_one_incident(scene):
    with pytest.raises(ValidationFailed) as refusal:
        scene.open(actor=scene.world.admin(), alarms=[scene.fence, scene.foreign])
    assert refusal.value.field == "alarms"


def test_an_alarm_is_in_one_open_incident_at_a_time(scene):
    first = scene.open(alarms=[scene.fence])
    with pytest.raises(Conflict) as refusal:
        scene.open(alarms=[scene.intrusion, scene.fence])
    assert f"incident #{first.pk}" in str(refusal.value.message)
    incident_services.incident_close(actor=scene.operator, incident=first, report="Wind. Nothing more.")
    assert scene.open(alarms=[scene.fence]).pk != first.pk  # once closed, the alarm is free again


def test_an_incident_needs_a_title_and_alarms_and_a_viewer_may_not_open_one(scene):
    with pytest.raises(ValidationFailed) as refusal:
        scene.open(title="   ")
    assert refusal.value.field == "title"
    with pytest.raises(ValidationFailed) as refusal:
        incident_services.incident_open(actor=scene.operator, alarms=[], title="Nothing")
    assert refusal.value.field == "alarms"
    with pytest.raises(Exception) as refusal:
        scene.open(actor=scene.auditor)
    assert refusal.value.status == 403


def test_a_later_alarm_of_the_same_port_is_linked_and_others_are_not(scene):
    incident = scene.open(alarms=[scene.intrusion])
    incident_services.incident_link_alarm(actor=scene.operator, incident=incident, alarm=scene.fence)
    assert incident.alarm_links.count() == 2
    assert incident.entries.filter(kind=IncidentEntryKind.ALARM_LINKED).get().text.startswith(f"#{scene.fence.pk}")
    with pytest.raises(Conflict):
        incident_services.incident_link_alarm(actor=scene.operator, incident=incident, alarm=scene.fence)
    with pytest.raises(NotFound):
        incident_services.incident_link_alarm(actor=scene.operator, incident=incident, alarm=scene.foreign)
    with pytest.raises(ValidationFailed):  # the admin works any alarm, but not one of another port
        incident_services.incident_link_alarm(actor=scene.world.admin(), incident=incident, alarm=scene.foreign)
    # the port's control room works Terminal C's alarm too, but it does not join Terminal A's incident...
    with pytest.raises(ValidationFailed) as refusal:
        incident_services.incident_link_alarm(actor=scene.port_operator, incident=incident, alarm=scene.other)
    assert refusal.value.field == "alarm" and "another organisation's" in str(refusal.value.message)
    # ...it joins one of the port's authority
    port_incident = scene.open(actor=scene.port_operator, title="Port", alarms=[
        raise_alarm(scene.world.facility, "Door forced at A"), scene.foreign_free_alarm()])
    assert port_incident.owner == scene.world.authority
    incident_services.incident_link_alarm(actor=scene.port_operator, incident=port_incident, alarm=scene.other)
    assert port_incident.alarm_links.count() == 3


# --- the people and things involved -----------------------------------------------------------


@pytest.mark.parametrize(("kind", "given", "stored"), [
    (PartyKind.CONTAINER, "csqu 305438 3", "CSQU3054383"),
    (PartyKind.VEHICLE, "1-abc 234", "1ABC234"),  # as watch lists keep plates
    (PartyKind.VEHICLE, "ab.12.cd", "AB12CD"),
    (PartyKind.VESSEL, "imo9074729", "IMO 9074729"),
    (PartyKind.VESSEL, "  Ever   Given ", "Ever Given"),
    (PartyKind.PERSON, f"  {NAME} ", NAME),
])
def test_parties_are_checked_and_normalised(scene, kind, given, stored):
    incident = scene.open()
    party = incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=kind, value=given,
                                                 note="seen at gate 4")
    assert party.value == stored and party.note == "seen at gate 4"
    assert incident.entries.filter(kind=IncidentEntryKind.PARTY_ADDED).get().text == f"{stored} · seen at gate 4"


def test_a_wrong_container_check_digit_is_refused_naming_the_field(scene):
    incident = scene.open()
    with pytest.raises(ValidationFailed) as refusal:
        incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=PartyKind.CONTAINER,
                                             value="CSQU3054384")
    assert refusal.value.field == "value"
    assert str(refusal.value.message) == "CSQU3054384 has a wrong check digit: the last digit should be 3."
    assert not IncidentParty.objects.exists()


@pytest.mark.parametrize(("kind", "value", "words"), [
    (PartyKind.CONTAINER, "CSQ3054383", "is not a container number"),
    (PartyKind.VEHICLE, "1 ABC 234 !", "is not a number plate"),
    (PartyKind.VESSEL, "IMO 9074728", "check digit does not match"),
    (PartyKind.PERSON, "   ", "Give the person's name."),
    ("alien", "E.T.", "Choose a person, a vehicle, a container or a vessel."),
])
def test_bad_parties_are_refused_with_what_is_wrong(scene, kind, value, words):
    incident = scene.open()
    with pytest.raises(ValidationFailed) as refusal:
        incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=kind, value=value)
    assert words in str(refusal.value.message)


def test_a_party_is_recorded_once_and_its_value_is_digested_in_the_audit_chain(scene):
    incident = scene.open()
    incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=PartyKind.PERSON, value=NAME)
    with pytest.raises(Conflict) as refusal:
        incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=PartyKind.PERSON,
                                             value=NAME)
    assert refusal.value.field == "value"
    record = AuditRecord.objects.get(code="controlroom.incident.party_added")
    assert record.data["kind"] == "person" and record.data["value"].startswith("sha256:")
    assert NAME not in str(record.data)
    assert NAME not in str(OutboxEvent.objects.get(type="controlroom.incident.party_added").payload)


# --- attachments --------------------------------------------------------------------------------


def attach(scene, incident, data, name="photo.jpg", content_type="image/jpeg"):
    return incident_services.incident_attach(actor=scene.operator, incident=incident, name=name, data=data,
                                             content_type=content_type)


@pytest.mark.parametrize(("data", "name", "claimed", "code"), [
    (png_with_text(), "photo.png", "image/jpeg", "type_mismatch"),  # a PNG that says it is a JPEG
    (PDF_BYTES, "photo.jpg", "application/octet-stream", "type_mismatch"),  # a PDF named as a photo
    (b"<html><script>alert(1)</script></html>", "photo.png", "image/png", "unsupported_type"),
    (b"MZ\x90\x00\x03 a program", "report.pdf", "application/pdf", "unsupported_type"),
    (b"\xff\xd8\xff\xe0 not really a JPEG", "photo.jpg", "image/jpeg", "invalid"),  # does not decode
])
def test_an_attachment_that_is_not_what_it_claims_is_refused(scene, data, name, claimed, code):
    incident = scene.open()
    with pytest.raises(ValidationFailed) as refusal:
        attach(scene, incident, data, name=name, content_type=claimed)
    assert refusal.value.field == "file"
    assert refusal.value.code == (code if code != "invalid" else "validation_failed")
    assert not IncidentAttachment.objects.exists()


def test_photos_are_stored_without_their_metadata(scene):
    from PIL import Image

    incident = scene.open()
    original = jpeg_with_exif()
    assert b"SpyCam" in original and b"Exif" in original
    photo = attach(scene, incident, original, name="../../etc/camera 1.JPG")
    stored = bytes(photo.data)
    assert b"SpyCam" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (64, 48) and not image.getexif()
    assert photo.name == "camera 1.jpg" and photo.content_type == "image/jpeg"
    assert photo.size == len(stored) and photo.sha256 == hashlib.sha256(stored).hexdigest()

    png = attach(scene, incident, png_with_text(), name="map", content_type="image/png")
    assert b"51.2801" not in bytes(png.data) and png.name == "map.png"
    record = AuditRecord.objects.filter(code="controlroom.incident.attached").order_by("sequence").first()
    assert record.data["sha256"] == photo.sha256 and record.data["size"] == photo.size


def test_a_photos_comment_is_not_kept(scene):
    photo = attach(scene, scene.open(), jpeg_with_exif())
    assert b"quay 1742" not in bytes(photo.data)


def test_a_pdf_is_written_again_without_its_metadata_up_to_10_mb(scene):
    from pypdf import PdfReader, PdfWriter

    incident = scene.open()
    writer = PdfWriter(clone_from=io.BytesIO(PDF_BYTES))
    writer.add_metadata({"/Author": "Jan Peeters"})
    signed = io.BytesIO()
    writer.write(signed)
    signed = signed.getvalue()
    assert b"Jan Peeters" in signed
    document = attach(scene, incident, signed, name="statement.pdf", content_type="application/pdf")
    stored = bytes(document.data)
    assert document.content_type == "application/pdf" and document.size == len(stored)
    assert len(PdfReader(io.BytesIO(stored)).pages) == 1 and b"Jan Peeters" not in stored
    with pytest.raises(ValidationFailed, match="does not open as a PDF document"):
        attach(scene, incident, b"%PDF-1.7 garbage", name="broken.pdf", content_type="application/pdf")
    with pytest.raises(ValidationFailed) as refusal:
        attach(scene, incident, PDF_BYTES + b"0" * (10 * 1024 * 1024), name="big.pdf", content_type="")
    assert refusal.value.code == "too_large"
    with pytest.raises(ValidationFailed):
        attach(scene, incident, b"", name="empty.pdf")


def test_an_incident_holds_at_most_20_attachments(scene):
    incident = scene.open()
    for n in range(20):
        attach(scene, incident, PDF_BYTES, name=f"doc-{n}.pdf", content_type="application/pdf")
    with pytest.raises(Conflict) as refusal:
        attach(scene, incident, PDF_BYTES, name="doc-21.pdf", content_type="application/pdf")
    assert refusal.value.code == "too_many_attachments"


# --- closing --------------------------------------------------------------------------------------


def test_closing_requires_a_report_and_a_closed_incident_changes_no_more(scene, frozen):
    incident = scene.open()
    with pytest.raises(ValidationFailed) as refusal:
        incident_services.incident_close(actor=scene.operator, incident=incident, report=" \n ")
    assert refusal.value.field == "report"
    incident.refresh_from_db()
    assert incident.state == IncidentState.OPEN
    frozen.advance(minutes=45)
    closed = incident_services.incident_close(actor=scene.operator, incident=incident,
                                              report="The patrol found a cut in the fence.\nPolice informed.")
    assert closed.state == IncidentState.CLOSED and closed.closed_at == NOW + timedelta(minutes=45)
    assert closed.report == "The patrol found a cut in the fence.\nPolice informed."
    record = AuditRecord.objects.get(code="controlroom.incident.closed")
    assert record.data["report"].startswith("sha256:")
    for act in (lambda: incident_services.incident_note(actor=scene.operator, incident=incident, text="Late"),
                lambda: incident_services.incident_close(actor=scene.operator, incident=incident, report="Again"),
                lambda: attach(scene, incident, PDF_BYTES, name="x.pdf", content_type="application/pdf")):
        with pytest.raises(Conflict) as refusal:
            act()
        assert refusal.value.code == "incident_closed"


def test_every_act_is_on_the_timeline_and_in_the_audit_chain(scene, frozen):
    incident = scene.open(alarms=[scene.intrusion])
    acts = [
        lambda: incident_services.incident_link_alarm(actor=scene.operator, incident=incident, alarm=scene.fence),
        lambda: incident_services.incident_note(actor=scene.operator, incident=incident, text="Patrol sent."),
        lambda: incident_services.incident_add_party(actor=scene.operator, incident=incident,
                                                     kind=PartyKind.VEHICLE, value="1-ABC-234"),
        lambda: attach(scene, incident, jpeg_with_exif()),
        lambda: incident_services.incident_close(actor=scene.operator, incident=incident, report="Done."),
    ]
    for act in acts:
        frozen.advance(seconds=30)
        act()
    assert list(incident.entries.values_list("kind", flat=True)) == [
        "opened", "alarm_linked", "note", "party_added", "attachment", "closed"]
    assert list(AuditRecord.objects.filter(code__startswith="controlroom.incident.").order_by("sequence")
                .values_list("code", flat=True)) == [
        "controlroom.incident.opened", "controlroom.incident.alarm_linked", "controlroom.incident.noted",
        "controlroom.incident.party_added", "controlroom.incident.attached", "controlroom.incident.closed"]
    assert OutboxEvent.objects.filter(type__startswith="controlroom.incident.").count() == 6


# --- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf_with_the_title_the_parties_in_any_script_and_the_photos(scene):
    incident = scene.open()
    incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=PartyKind.PERSON, value=NAME,
                                         note="Zeuge / świadek")
    incident_services.incident_add_party(actor=scene.operator, incident=incident, kind=PartyKind.CONTAINER,
                                         value="CSQU3054383")
    attach(scene, incident, jpeg_with_exif(), name="fence.jpg")
    attach(scene, incident, PDF_BYTES, name="statement.pdf", content_type="application/pdf")
    incident = incident_services.incident_close(actor=scene.operator, incident=incident,
                                                report="Fence repaired; see photo.")
    pdf = render_incident_pdf(principal=scene.operator, incident=incident, compress=False)
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf and b"DejaVuSans" in pdf  # the font is embedded
    assert len(re.findall(rb"/Subtype /Image", pdf)) == 1  # the photo, as a thumbnail; the PDF is listed only
    for text in (f"Incident #{incident.pk}: Intruder over the fence at quay 1742", NAME, "świadek", "CSQU3054383",
                 "Verified intrusion over the fence", "fence-alarm v1", "fence.jpg", "statement.pdf",
                 "Fence repaired; see photo.", "A person climbed the fence", "page 1 of"):
        assert pdf_has(pdf, text), text


def test_the_pdf_counts_but_does_not_show_alarms_the_reader_does_not_see(scene):
    incident = scene.open(alarms=[scene.intrusion])  # the terminal's incident...
    # ...holding another terminal's alarm (linking refuses that now; an alarm may still change hands)
    IncidentAlarm.objects.create(incident=incident, alarm=scene.other, linked_at=NOW)
    pdf = render_incident_pdf(principal=scene.operator, incident=incident, compress=False)
    assert pdf_has(pdf, "Verified intrusion over the fence") and not pdf_has(pdf, "Fence alarm at C")
    assert pdf_has(pdf, "1 further alarm is of an organisation whose alarms you do not see.")
    assert pdf_has(render_incident_pdf(principal=scene.port_operator, incident=incident, compress=False),
                   "Fence alarm at C")


def test_the_pdf_is_written_in_the_readers_language(scene):
    incident = scene.open()
    with translation.override("nl"):
        pdf = render_incident_pdf(principal=scene.operator, incident=incident, compress=False)
    assert pdf.startswith(b"%PDF-") and pdf_has(pdf, incident.title)


# --- the API --------------------------------------------------------------------------------------


def api_client(client, who):
    client.force_login(who.user)
    return client


def test_the_api_opens_works_and_closes_an_incident(client, scene):
    api = api_client(client, scene.operator)
    response = api.post(f"{API}/incidents", {"alarm_ids": [scene.intrusion.pk, scene.fence.pk], "title": "Intruder",
                                             "summary": "Seen on thermal."}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["id"]
    assert [a["id"] for a in body["alarms"]] == [scene.intrusion.pk, scene.fence.pk] and body["state"] == "open"
    assert api.post(f"{API}/incidents/{number}/notes", {"text": "Patrol sent"},
                    content_type="application/json").status_code == 200
    party = api.post(f"{API}/incidents/{number}/parties", {"kind": "person", "value": NAME},
                     content_type="application/json")
    assert party.status_code == 201 and party.json()["value"] == NAME
    upload = api.post(f"{API}/incidents/{number}/attachments",
                      encode_multipart("BoUnDaRy", {"file": _upload("gate.jpg", jpeg_with_exif(), "image/jpeg")}),
                      content_type="multipart/form-data; boundary=BoUnDaRy")
    assert upload.status_code == 201, upload.content
    attachment = upload.json()
    stored = api.get(f"{API}/incidents/{number}/attachments/{attachment['id']}")
    assert stored.status_code == 200 and stored["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(stored.content).hexdigest() == attachment["sha256"] and b"SpyCam" not in stored.content
    assert api.post(f"{API}/incidents/{number}/close", {"report": ""},
                    content_type="application/json").status_code == 422
    closed = api.post(f"{API}/incidents/{number}/close", {"report": "Nobody found."}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    detail = api.get(f"{API}/incidents/{number}").json()
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "note", "party_added", "attachment", "closed"]
    assert [p["value"] for p in detail["parties"]] == [NAME] and detail["other_alarms"] == 0
    pdf = api.get(f"{API}/incidents/{number}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'attachment; filename="incident-{number}.pdf"'
    listed = api.get(f"{API}/incidents?open=false").json()
    assert [i["id"] for i in listed["items"]] == [number]


def _upload(name, data, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def test_the_api_refuses_a_foreign_alarm_as_not_found(client, scene):
    api = api_client(client, scene.operator)
    response = api.post(f"{API}/incidents", {"alarm_ids": [scene.intrusion.pk, scene.foreign.pk], "title": "Mixed"},
                        content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert "Terminal B" not in response.content.decode() and not Incident.objects.exists()


def test_the_api_names_the_field_of_a_wrong_check_digit(client, scene):
    incident = scene.open()
    response = api_client(client, scene.operator).post(
        f"{API}/incidents/{incident.pk}/parties", {"kind": "container", "value": "CSQU3054384"},
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "value" and "last digit should be 3" in response.json()["detail"]


def test_the_api_refuses_a_mislabelled_file(client, scene):
    incident = scene.open()
    response = api_client(client, scene.operator).post(
        f"{API}/incidents/{incident.pk}/attachments",
        encode_multipart("BoUnDaRy", {"file": _upload("scan.pdf", png_with_text(), "application/pdf")}),
        content_type="multipart/form-data; boundary=BoUnDaRy")
    assert response.status_code == 422 and response.json()["code"] == "type_mismatch"


def test_the_api_shows_an_incident_only_to_who_sees_it(client, scene):
    incident = scene.open()
    foreign_operator = principal(Role.CONTROL_ROOM_OPERATOR, scene.world.foreign_operator)
    api = api_client(client, foreign_operator)
    assert api.get(f"{API}/incidents/{incident.pk}").status_code == 404
    assert api.get(f"{API}/incidents/{incident.pk}/pdf").status_code == 404
    assert api.get(f"{API}/incidents").json()["items"] == []
    investigator = principal(Role.AUTHORITY_INVESTIGATOR, scene.world.authority)
    api = api_client(client, investigator)
    assert api.get(f"{API}/incidents/{incident.pk}").status_code == 200  # reads through the port's jurisdiction
    assert api.post(f"{API}/incidents/{incident.pk}/notes", {"text": "Mine"},
                    content_type="application/json").status_code == 403

