"""The chain of custody: the investigator's timeline page, the JSON and PDF downloads and the
API, who may read them, and the audit record of every read."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord, Jurisdiction, OutboxEvent
from havenwatch.release.choices import PickupReason
from havenwatch.release.services.holds import hold_place, hold_release
from havenwatch.release.services.traces import trace_read
from havenwatch.release.trace import _intact, container_trace, trace_export
from havenwatch.release.trace_pdf import render_trace_pdf
from tests.factories import OrganisationFactory, principal
from tests.pdf_text import pdf_has
from tests.release.test_api import client_as
from tests.release.test_pickups import NUMBER, Pickup, frozen  # noqa: F401 (the frozen clock of the chain)

API = "/api/v1/release"
CUSTOMS = "Administration générale des Douanes"


class Custody(Pickup):
    """The whole chain of a container: issued to the consignee, passed on to the haulier, the
    discharge, a driver assigned, held by customs (a pickup refused), released, picked up."""

    def __init__(self, world, clock_state) -> None:
        super().__init__(world)
        self.customs = OrganisationFactory(name=CUSTOMS, kind=OrganisationKind.CUSTOMS)
        Jurisdiction.objects.create(organisation=self.customs, port=world.port)
        self.officer = principal(Role.AUTHORITY_INVESTIGATOR, self.customs)
        clock_state.advance(minutes=5)
        self.assign()
        clock_state.advance(minutes=5)
        self.hold = hold_place(actor=self.officer, container=self.release.container, reason="selected for a scan")
        clock_state.advance(minutes=5)
        self.refused = self.pick()
        clock_state.advance(minutes=30)
        hold_release(actor=self.officer, hold=self.hold, reason="scan clear")
        clock_state.advance(minutes=5)
        self.granted = self.pick()


@pytest.fixture
def custody(world, frozen):  # noqa: F811
    return Custody(world, frozen)


def investigator_client(custody):
    return client_as(Role.AUTHORITY_INVESTIGATOR, custody.customs)


def reads(**data):
    return AuditRecord.objects.filter(code="release.trace.read", **data).order_by("sequence")


def text(response) -> str:
    return response.content.decode()


# --- the timeline page -----------------------------------------------------------------


def test_the_timeline_shows_every_act_of_the_chain_in_order(custody):
    client = investigator_client(custody)
    response = client.get(reverse("release:trace_detail", args=[NUMBER]))
    assert response.status_code == 200
    page = text(response)
    expected = [
        "Container registered",
        "Commercial release issued",
        "Oceanic Lines offered the release right to Consignee NV.",
        "Consignee NV accepted the release right from Oceanic Lines.",
        "Consignee NV offered the release right to Flanders Haulage.",
        "Flanders Haulage accepted the release right from Consignee NV.",
        "Container discharge confirmed",
        "Driver assigned",
        "Customs hold placed",
        f"Refused ({PickupReason.CUSTOMS_HOLD.label}): credential {custody.badge.number}",
        "Customs hold released",
        f"Granted: credential {custody.badge.number}, truck 1ABC234.",
    ]
    positions = [page.find(marker) for marker in expected]
    assert -1 not in positions, [m for m, p in zip(expected, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    assert "Reason: selected for a scan" in page and "Reason: scan clear" in page
    # times in the port's time zone (T0 is 08:00 UTC: 10:00 in Brussels in May), the audit sequence of each act
    assert "2026-05-04 10:15:00 CEST" in page
    steps = container_trace(principal=custody.officer, container=custody.release.container)
    assert all(f"audit record #{step.sequence}" in page for step in steps)
    # the parties and their part, the summary, the downloads
    for party in ("Oceanic Lines", "Consignee NV", "Flanders Haulage", CUSTOMS, "Terminal Operator A"):
        assert party in page
    assert "Customs: held the container" in page and "Haulier: assigned a driver" in page
    assert "Version 1, Picked up" in page
    assert "Commercial: Red" in page and "Customs: Green" in page and "Terminal: Green" in page
    assert reverse("release:trace_json", args=[NUMBER]) in page
    assert reverse("release:trace_pdf", args=[NUMBER]) in page
    assert "Records intact" in page


def test_reading_the_page_is_audited_but_not_published(custody):
    client = investigator_client(custody)
    client.get(reverse("release:trace_detail", args=[NUMBER]))
    record = reads().get()
    assert record.data["container"] == NUMBER and record.data["format"] == "page"
    assert record.data["steps"] == len(container_trace(principal=custody.officer,
                                                        container=custody.release.container))
    assert record.actor_id == client.actor.user.pk and record.organisation_id == custody.customs.pk
    assert record.port_id == custody.world.port.pk
    assert not OutboxEvent.objects.filter(type="release.trace.read").exists()


def test_reads_of_a_trace_are_not_steps_of_its_chain(custody):
    before = len(container_trace(principal=custody.officer, container=custody.release.container))
    trace_read(principal=custody.officer, container=custody.release.container, fmt="page")
    trace_read(principal=custody.officer, container=custody.release.container, fmt="json")
    steps = container_trace(principal=custody.officer, container=custody.release.container)
    assert len(steps) == before and "release.trace.read" not in {s.code for s in steps}


def test_the_search_leads_to_the_container_in_your_ports(custody):
    client = investigator_client(custody)
    assert client.get(reverse("release:trace")).status_code == 200
    response = client.get(reverse("release:trace"), {"number": "csqu 305438 3"})
    assert response.status_code == 302 and response["Location"] == reverse("release:trace_detail", args=[NUMBER])
    # a number written another way has one address
    response = client.get(reverse("release:trace_detail", args=["csqu3054383"]))
    assert response.status_code == 302 and response["Location"] == reverse("release:trace_detail", args=[NUMBER])
    assert not reads().exists()  # finding is not reading


def test_a_wrong_check_digit_is_refused_with_the_digit_it_should_have(custody):
    client = investigator_client(custody)
    response = client.get(reverse("release:trace"), {"number": "CSQU3054384"})
    assert response.status_code == 400
    assert "CSQU3054384 has a wrong check digit: the last digit should be 3." in text(response)
    response = client.get(reverse("release:trace_json", args=["CSQU3054384"]))
    assert response.status_code == 400 and "should be 3" in text(response)
    assert not reads().exists()


def test_a_forwarder_may_not_read_a_chain_of_custody(custody):
    client = client_as(Role.FORWARDER, custody.orgs["forwarder"])
    for url in (reverse("release:trace"), reverse("release:trace_detail", args=[NUMBER]),
                reverse("release:trace_json", args=[NUMBER]), reverse("release:trace_pdf", args=[NUMBER])):
        assert client.get(url).status_code == 403, url
    assert not reads().exists()


def test_an_investigator_of_another_port_is_told_there_is_no_such_container(custody, world):
    foreign = OrganisationFactory(name="Douane B", kind=OrganisationKind.CUSTOMS)
    Jurisdiction.objects.create(organisation=foreign, port=world.foreign_port)
    client = client_as(Role.AUTHORITY_INVESTIGATOR, foreign)
    message = f"No container {NUMBER} in your ports."
    for response in (client.get(reverse("release:trace"), {"number": NUMBER}),
                     client.get(reverse("release:trace_detail", args=[NUMBER])),
                     client.get(reverse("release:trace_json", args=[NUMBER])),
                     client.get(reverse("release:trace_pdf", args=[NUMBER]))):
        assert response.status_code == 404 and message in text(response)
        assert "Terminal A" not in text(response) and "Oceanic Lines" not in text(response)
    # a container that exists nowhere reads the same
    unknown = client.get(reverse("release:trace"), {"number": "MSKU1234565"})
    assert unknown.status_code == 404 and "No container MSKU1234565 in your ports." in text(unknown)
    assert not reads().exists()


@pytest.mark.parametrize("role", [Role.PORT_SECURITY_OFFICER, Role.AUDITOR])
def test_the_port_security_officer_and_auditors_read_the_chain(custody, world, role):
    client = client_as(role, world.authority)
    response = client.get(reverse("release:trace_detail", args=[NUMBER]))
    assert response.status_code == 200 and "Flanders Haulage" in text(response)


def test_the_page_costs_the_same_queries_however_long_the_chain(custody):
    client = investigator_client(custody)
    url = reverse("release:trace_detail", args=[NUMBER])
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for _ in range(5):
        custody.pick(credential_number="NOBODY-1")
    with CaptureQueriesContext(connection) as long:
        client.get(url)
    assert len(long) == len(short)


# --- the downloads ---------------------------------------------------------------------


def test_the_json_download_is_the_document_an_investigator_files(custody):
    client = investigator_client(custody)
    response = client.get(reverse("release:trace_json", args=[NUMBER]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="chain-of-custody-{NUMBER}.json"'
    document = json.loads(response.content)
    assert document["container"] == NUMBER and document["title"] == f"Chain of custody of container {NUMBER}"
    assert document["terminal"] == "Terminal A" and document["time_zone"] == "Europe/Brussels"
    assert document["generated_by"] == {"actor": client.actor.label, "organisation": CUSTOMS}
    parties = {party["name"]: [role["code"] for role in party["roles"]] for party in document["parties"]}
    assert parties["Oceanic Lines"] == ["shipping_line"]
    assert parties["Consignee NV"] == ["first_party"]
    assert parties["Flanders Haulage"] == ["release_party", "haulier"]
    assert parties[CUSTOMS] == ["customs"] and parties["Terminal Operator A"] == ["terminal"]
    summary = document["summary"]
    assert summary["release"]["status"] == "picked_up" and summary["holder"] == "Flanders Haulage"
    assert [(light["light"], light["state"]) for light in summary["lights"]] == [
        ("commercial", "red"), ("customs", "green"), ("terminal", "green")]
    codes = [step["code"] for step in document["steps"]]
    assert codes[0] == "release.container.registered" and codes[-1] == "release.pickup"
    assert [s["sequence"] for s in document["steps"]] == sorted(s["sequence"] for s in document["steps"])
    assert all(step["verified"] for step in document["steps"]) and document["verification"]["intact"]
    record = reads().get()
    assert record.data["format"] == "json" and document["read_sequence"] == record.sequence


def test_the_pdf_download_names_the_container_and_every_party(custody):
    client = investigator_client(custody)
    response = client.get(reverse("release:trace_pdf", args=[NUMBER]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="chain-of-custody-{NUMBER}.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert pdf_has(pdf, f"Chain of custody of container {NUMBER}")
    for party in ("Oceanic Lines", "Flanders Haulage", CUSTOMS):  # names in any script: DejaVu is embedded
        assert pdf_has(pdf, party), party
    assert pdf_has(pdf, "page 1 of 1") or pdf_has(pdf, "page 1 of 2")
    assert pdf_has(pdf, "verify it")
    assert reads().get().data["format"] == "pdf"


def test_the_pdf_carries_a_long_chain_over_pages_numbered_n_of_m(custody):
    for _ in range(40):
        custody.pick(credential_number="NOBODY-1")
    document = trace_export(principal=custody.officer, container=custody.release.container)
    pdf = render_trace_pdf(document, compress=False)
    pages = len(re.findall(rb"/Type /Page\b", pdf))
    assert pages > 1
    assert pdf_has(pdf, f"page {pages} of {pages}") and pdf_has(pdf, "#1")
    assert pdf_has(pdf, f"#{document['steps'][-1]['sequence']}")


def test_a_record_altered_in_the_database_is_not_verified(custody):
    records = list(AuditRecord.objects.filter(code="release.pickup").order_by("sequence"))
    assert all(_intact(records).values())
    records[0].data = {**records[0].data, "granted": True}
    assert _intact(records) == {records[0].sequence: False, records[1].sequence: True}


# --- the API ---------------------------------------------------------------------------


def test_the_api_gives_the_chain_of_custody_as_json(custody):
    client = investigator_client(custody)
    response = client.get(f"{API}/containers/{NUMBER}/trace")
    assert response.status_code == 200
    data = response.json()
    assert data["container"] == NUMBER and len(data["steps"]) == len(
        container_trace(principal=custody.officer, container=custody.release.container))
    assert {party["name"] for party in data["parties"]} >= {"Oceanic Lines", "Flanders Haulage", CUSTOMS}
    assert data["steps"][0]["description"] == "Registered at terminal Terminal A (BEAAA-0001)."
    assert reads().get().data["format"] == "json"


def test_the_api_gives_the_chain_of_custody_as_pdf(custody):
    client = investigator_client(custody)
    response = client.get(f"{API}/containers/{NUMBER}/trace.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and pdf_has(response.content, NUMBER)
    assert reads().get().data["format"] == "pdf"


def test_the_api_refuses_a_bad_number_unseen_containers_and_other_roles(custody, world):
    client = investigator_client(custody)
    bad = client.get(f"{API}/containers/CSQU3054384/trace")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["detail"] == "CSQU3054384 has a wrong check digit: the last digit should be 3."
    assert bad.json()["code"] == "invalid_container_number"
    assert client.get(f"{API}/containers/MSKU1234565/trace.pdf").status_code == 404
    foreign = OrganisationFactory(name="Douane B", kind=OrganisationKind.CUSTOMS)
    Jurisdiction.objects.create(organisation=foreign, port=world.foreign_port)
    stranger = client_as(Role.AUTHORITY_INVESTIGATOR, foreign)
    assert stranger.get(f"{API}/containers/{NUMBER}/trace").status_code == 404
    assert stranger.get(f"{API}/containers/{NUMBER}/trace.pdf").status_code == 404
    haulier = client_as(Role.HAULIER_PLANNER, custody.orgs["haulier"])
    assert haulier.get(f"{API}/containers/{NUMBER}/trace").status_code == 403
    assert not reads().exists()


def test_the_steps_times_follow_the_clock_of_the_chain(custody):
    steps = container_trace(principal=custody.officer, container=custody.release.container)
    granted = [s for s in steps if s.code == "release.pickup" and s.data["granted"]]
    refused = [s for s in steps if s.code == "release.pickup" and not s.data["granted"]]
    assert granted[0].occurred_at - refused[0].occurred_at == timedelta(minutes=35)


def test_the_trace_is_written_in_the_readers_language(custody):
    client = investigator_client(custody)
    data = client.get(f"{API}/containers/{NUMBER}/trace", HTTP_ACCEPT_LANGUAGE="nl").json()
    assert data["steps"][0]["act"] == "Container geregistreerd"
    assert {light["state_label"] for light in data["summary"]["lights"]} == {"Rood", "Groen"}
    pdf = client.get(reverse("release:trace_pdf", args=[NUMBER]), HTTP_ACCEPT_LANGUAGE="nl").content
    assert pdf_has(pdf, "Container geregistreerd") and pdf_has(pdf, "Beslissing over de afhaling")
