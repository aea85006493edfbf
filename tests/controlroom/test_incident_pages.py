"""Incidents' pages: the list, opening one from ticked alarms, the incident's page and what
acting through it does, the files and the PDF; who opens what."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from havenwatch.controlroom.models.incidents import Incident, IncidentAttachment, IncidentParty, IncidentState
from havenwatch.controlroom.services import incidents as incident_services
from havenwatch.core.choices import Role
from tests.controlroom import test_incidents
from tests.controlroom.test_incidents import NAME, PDF_BYTES, jpeg_with_exif, png_with_text
from tests.factories import principal

pytestmark = pytest.mark.django_db
frozen, scene = test_incidents.frozen, test_incidents.scene  # the same scene, on the same clock


def text(response) -> str:
    return response.content.decode()


def signed_in(client, who):
    client.force_login(who.user)
    return client


@pytest.fixture
def incident(scene):
    made = scene.open()
    incident_services.incident_attach(actor=scene.operator, incident=made, name="gate.jpg", data=jpeg_with_exif(),
                                      content_type="image/jpeg")
    return made


def pages(incident) -> dict[str, str]:
    photo = incident.attachments.get()
    return {
        "list": reverse("controlroom:incidents"),
        "closed list": reverse("controlroom:incidents") + "?state=closed",
        "open": reverse("controlroom:incident_open"),
        "incident": reverse("controlroom:incident", args=[incident.pk]),
        "pdf": reverse("controlroom:incident_pdf", args=[incident.pk]),
        "photo": reverse("controlroom:incident_attachment", args=[incident.pk, photo.pk]),
    }


# --- who opens what --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_every_page_opens_for_the_control_room_operator(client, scene, incident, language):
    signed_in(client, scene.operator)
    for name, url in pages(incident).items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (name, response.status_code)


def test_a_role_without_the_alarms_sees_no_incident_page(client, scene, incident):
    guard = principal(Role.GATE_GUARD, scene.world.operator)
    signed_in(client, guard)
    for name, url in pages(incident).items():
        assert client.get(url).status_code == 403, name
    assert client.post(reverse("controlroom:incident_note", args=[incident.pk]), {"text": "x"}).status_code == 403


def test_a_reader_reads_but_is_offered_no_act_and_may_not_act(client, scene, incident):
    signed_in(client, scene.auditor)  # the port authority's auditor sees the port's alarms
    page = client.get(reverse("controlroom:incident", args=[incident.pk]))
    assert page.status_code == 200
    assert 'data-testid="incident-note-form"' not in text(page) and 'data-testid="incident-close-form"' not in text(page)
    assert "Open an incident" not in text(client.get(reverse("controlroom:incidents")))
    assert client.get(reverse("controlroom:incident_open")).status_code == 403
    for act, data in (("incident_note", {"text": "x"}), ("incident_close", {"report": "x"}),
                      ("incident_party", {"kind": "person", "value": "x"})):
        assert client.post(reverse(f"controlroom:{act}", args=[incident.pk]), data).status_code == 403, act


def test_another_ports_operator_finds_no_such_incident(client, scene, incident):
    signed_in(client, principal(Role.CONTROL_ROOM_OPERATOR, scene.world.foreign_operator))
    for name in ("incident", "pdf", "photo"):
        assert client.get(pages(incident)[name]).status_code == 404, name
    assert client.post(reverse("controlroom:incident_note", args=[incident.pk]), {"text": "x"}).status_code == 404
    assert 'data-testid="incident-row"' not in text(client.get(reverse("controlroom:incidents") + "?state=all"))


# --- the list and opening ------------------------------------------------------------------


def test_the_list_shows_open_incidents_and_filters_closed_ones(client, scene, incident):
    signed_in(client, scene.operator)
    page = text(client.get(reverse("controlroom:incidents")))
    assert f'data-incident="{incident.pk}"' in page and incident.title in page
    assert 'data-testid="incident-row"' not in text(client.get(reverse("controlroom:incidents") + "?state=closed"))


def test_the_open_form_lists_the_alarms_the_operator_works_with_checkboxes(client, scene):
    signed_in(client, scene.operator)
    page = text(client.get(reverse("controlroom:incident_open") + f"?alarm={scene.fence.pk}"))
    assert f'type="checkbox" name="alarms" value="{scene.intrusion.pk}"' in page
    assert f'type="checkbox" name="alarms" value="{scene.fence.pk}"' in page
    assert re.search(rf'<input[^>]*value="{scene.fence.pk}"[^>]*checked', page)  # ?alarm= ticks it
    assert not re.search(rf'<input[^>]*value="{scene.intrusion.pk}"[^>]*checked', page)
    for foreign in (scene.foreign, scene.other):  # another port's, another terminal's
        assert f'name="alarms" value="{foreign.pk}"' not in page and foreign.title not in page


def test_an_incident_is_opened_from_two_ticked_alarms(client, scene):
    signed_in(client, scene.operator)
    response = client.post(reverse("controlroom:incident_open"), {
        "alarms": [scene.intrusion.pk, scene.fence.pk], "title": "Intruder at quay 1742",
        "summary": "Seen on thermal.\nPatrol sent."})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("controlroom:incident", args=[incident.pk])
    assert sorted(incident.alarm_links.values_list("alarm_id", flat=True)) == sorted([scene.intrusion.pk,
                                                                                       scene.fence.pk])
    page = text(client.get(response["Location"]))
    assert f"Incident #{incident.pk} is open." in page and "Intruder at quay 1742" in page
    assert page.count('data-testid="incident-alarm"') == 2
    # alarms in an open incident are not offered again
    assert f'value="{scene.fence.pk}"' not in text(client.get(reverse("controlroom:incident_open")))


def test_a_foreign_alarm_posted_to_the_open_form_is_refused_and_nothing_is_opened(client, scene):
    signed_in(client, scene.operator)
    response = client.post(reverse("controlroom:incident_open"), {
        "alarms": [scene.intrusion.pk, scene.foreign.pk], "title": "Mixed"})
    assert response.status_code == 400 and not Incident.objects.exists()
    assert scene.foreign.title not in text(response)


def test_the_open_form_says_what_is_missing(client, scene):
    signed_in(client, scene.operator)
    response = client.post(reverse("controlroom:incident_open"), {"title": ""})
    assert response.status_code == 400
    assert "Choose the alarms the incident is opened from." in text(response)
    response = client.post(reverse("controlroom:incident_open"), {"alarms": [scene.fence.pk], "title": ""})
    assert response.status_code == 400 and "Give the incident a title." in text(response)


# --- acting on an incident -------------------------------------------------------------------


def test_notes_parties_and_files_are_added_through_the_page(client, scene, incident):
    signed_in(client, scene.operator)
    url = reverse("controlroom:incident", args=[incident.pk])
    assert client.post(reverse("controlroom:incident_note", args=[incident.pk]),
                       {"text": "Patrol at the gate."})["Location"] == url
    assert client.post(reverse("controlroom:incident_party", args=[incident.pk]),
                       {"kind": "person", "value": NAME, "note": "witness"}).status_code == 302
    assert client.post(reverse("controlroom:incident_party", args=[incident.pk]),
                       {"kind": "container", "value": "csqu 305438 3"}).status_code == 302
    upload = SimpleUploadedFile("statement.pdf", PDF_BYTES, content_type="application/pdf")
    assert client.post(reverse("controlroom:incident_attach", args=[incident.pk]), {"file": upload}).status_code == 302
    page = text(client.get(url))
    for shown in ("Patrol at the gate.", NAME, "CSQU3054383", "statement.pdf", "gate.jpg"):
        assert shown in page, shown
    document = incident.attachments.get(name="statement.pdf")
    download = client.get(reverse("controlroom:incident_attachment", args=[incident.pk, document.pk]))
    assert download.content == bytes(document.data) and download.content.startswith(b"%PDF-")  # stripped
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    photo = client.get(reverse("controlroom:incident_attachment", args=[incident.pk,
                                                                      incident.attachments.get(name="gate.jpg").pk]))
    assert photo["Content-Type"] == "image/jpeg" and photo["Content-Disposition"].startswith("inline;")
    assert b"SpyCam" not in photo.content


def test_a_wrong_container_check_digit_is_shown_on_the_value_field(client, scene, incident):
    signed_in(client, scene.operator)
    response = client.post(reverse("controlroom:incident_party", args=[incident.pk]),
                           {"kind": "container", "value": "CSQU3054384"})
    assert response.status_code == 400 and not IncidentParty.objects.exists()
    page = text(response)
    field = page.split('id="id_party_value"')[1].split("</div>")[0]
    assert "CSQU3054384 has a wrong check digit: the last digit should be 3." in field
    assert re.search(r'<input[^>]*value="CSQU3054384"[^>]*id="id_party_value"', page)  # kept to correct


def test_a_file_that_is_not_what_it_claims_is_refused_on_the_file_field(client, scene, incident):
    signed_in(client, scene.operator)
    upload = SimpleUploadedFile("scan.pdf", png_with_text(), content_type="application/pdf")
    response = client.post(reverse("controlroom:incident_attach", args=[incident.pk]), {"file": upload})
    assert response.status_code == 400
    assert "The file says it is application/pdf but it is a PNG file." in text(response)
    assert IncidentAttachment.objects.count() == 1  # the photo of the fixture only


def test_closing_takes_a_report_and_ends_the_acts(client, scene, incident):
    signed_in(client, scene.operator)
    close = reverse("controlroom:incident_close", args=[incident.pk])
    response = client.post(close, {"report": "   "})
    assert response.status_code == 400
    assert "Write the closing report: what happened, what was done, what follows." in text(response)
    assert client.post(close, {"report": "Fence cut; repaired.\nPolice informed."}).status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED
    page = text(client.get(reverse("controlroom:incident", args=[incident.pk])))
    assert "Fence cut; repaired." in page and 'data-testid="incident-close-form"' not in page
    assert 'data-testid="incident-note-form"' not in page and 'data-state="closed"' in page
    late = client.post(reverse("controlroom:incident_note", args=[incident.pk]), {"text": "Too late"})
    assert late.status_code == 400 and "is closed: it changes no more." in text(late)


def test_the_pdf_is_downloaded_from_the_incident_page(client, scene, incident):
    signed_in(client, scene.operator)
    page = text(client.get(reverse("controlroom:incident", args=[incident.pk])))
    assert reverse("controlroom:incident_pdf", args=[incident.pk]) in page
    response = client.get(reverse("controlroom:incident_pdf", args=[incident.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="incident-{incident.pk}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_a_later_alarm_is_linked_from_the_incident_page(client, scene):
    incident = scene.open(alarms=[scene.intrusion])
    signed_in(client, scene.operator)
    page = text(client.get(reverse("controlroom:incident", args=[incident.pk])))
    assert 'data-testid="incident-link-form"' in page and f'value="{scene.fence.pk}"' in page
    response = client.post(reverse("controlroom:incident_link", args=[incident.pk]), {"alarm": scene.fence.pk})
    assert response.status_code == 302 and incident.alarm_links.count() == 2
    refused = client.post(reverse("controlroom:incident_link", args=[incident.pk]), {"alarm": scene.foreign.pk})
    assert refused.status_code == 400 and incident.alarm_links.count() == 2


def test_the_list_and_the_incident_page_cost_the_same_queries_however_much_they_hold(client, scene):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.controlroom.test_incidents import raise_alarm

    signed_in(client, scene.operator)
    first = scene.open(alarms=[scene.intrusion])

    def cost(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = (cost(reverse("controlroom:incidents")), cost(reverse("controlroom:incident", args=[first.pk])))
    for n in range(4):
        scene.open(alarms=[raise_alarm(scene.world.facility, f"Fence alarm {n}")], title=f"Incident {n}")
    for n in range(3):
        incident_services.incident_link_alarm(actor=scene.operator, incident=first,
                                              alarm=raise_alarm(scene.world.facility, f"Door {n}"))
        incident_services.incident_add_party(actor=scene.operator, incident=first, kind="vehicle", value=f"1-ABC-00{n}")
        incident_services.incident_attach(actor=scene.operator, incident=first, name=f"p{n}.jpg",
                                          data=jpeg_with_exif(), content_type="image/jpeg")
    assert (cost(reverse("controlroom:incidents")), cost(reverse("controlroom:incident", args=[first.pk]))) == small
