"""The release app as its people use it: a container released by the shipping line, passed
down the chain of rights to the haulier, its driver at the pickup gate; and a missed slot
the terminal overrides, read back by an investigator. Real journeys in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord, Jurisdiction
from havenwatch.release.choices import AssignmentStatus, PickupReason, ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, DriverAssignment, PickupAttempt, ReleaseRight
from havenwatch.release.services.releases import release_issue
from tests.access.factories import CredentialFactory, PersonFactory
from tests.factories import OrganisationFactory
from tests.release.test_pickups import NUMBER, Pickup

pytestmark = pytest.mark.browser

SPACED = "CSQU 305438 3"  # NUMBER as a clerk types it off the container's door
PLATE = "1-ABC-234"
STORED_PLATE = "BE:1ABC234"  # as the platform stores a plate of the port's country


def nav(page):
    """The side menu (located by its class: its accessible name is translated too)."""
    return page.locator("nav.sidenav")


def local_input(moment, world) -> str:
    """``moment`` as a ``datetime-local`` input holds it, in the port's time."""
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


def light(page, name: str):
    """One of the three lights on a release's page, by its name."""
    return page.locator("#lights li", has=page.locator("strong", has_text=re.compile(rf"^{name}$")))


def check_pickup(page, *, container: str, badge: str, plate: str):
    """The gate clerk types what the truck presents and checks."""
    page.get_by_label("Container number").fill(container)
    page.get_by_label("Badge number presented").fill(badge)
    page.get_by_label("Truck plate").fill(plate)
    page.get_by_role("button", name="Check", exact=True).click()
    return page.locator(".gate-decision")


# --- 1. from the line to the driver at the gate -----------------------------------------


def test_a_release_travels_from_the_line_to_the_driver_at_the_gate(browsing, world, person, sign_in, screenshot):
    line = OrganisationFactory(name="Oceanic Lines", kind=OrganisationKind.SHIPPING_LINE)
    forwarder_org = OrganisationFactory(name="Kempen Forwarding", kind=OrganisationKind.FORWARDER)
    haulier_org = OrganisationFactory(name="Flanders Haulage", kind=OrganisationKind.TRANSPORT_COMPANY)
    driver = PersonFactory(employer=haulier_org, first_name="Dirk", last_name="Mertens")
    badge = CredentialFactory(person=driver, port=world.port, issued_by=haulier_org, number="BE-DRV-0042")
    agent = person(Role.SHIPPING_AGENT, line, username="agent.o", first_name="Olga", last_name="Verbeke")
    forwarder = person(Role.FORWARDER, forwarder_org, username="fwd.k", first_name="Karel", last_name="Wouters")
    planner = person(Role.HAULIER_PLANNER, haulier_org, username="plan.f", first_name="Fien", last_name="Goossens")
    pfso = person(Role.FACILITY_SECURITY_OFFICER, world.operator, username="pfso.r", first_name="Filip",
                  last_name="Fonteyn", totp=True)
    guard = person(Role.GATE_GUARD, world.operator, username="guard.r", first_name="Gert", last_name="Wouters",
                   facility=world.facility)
    now = clock.now()

    # --- the shipping agent issues the release to the forwarder
    issuer = browsing.new_page()
    sign_in(issuer, agent)
    nav(issuer).get_by_role("link", name="Issue a release", exact=True).click()
    expect(issuer.get_by_role("heading", name="Issue a release", level=1)).to_be_visible()
    issuer.get_by_label("Container number").fill(SPACED)
    issuer.get_by_label("Terminal").select_option(label="Terminal A · Port A")
    issuer.get_by_label("Bill of lading reference").fill("OCLU-BL-7781")
    issuer.get_by_label("First release party").select_option(label="Kempen Forwarding")
    issuer.get_by_role("button", name="Issue the release").click()

    expect(issuer.get_by_role("heading", name=re.compile(rf"^Release of {NUMBER}"), level=1)).to_be_visible()
    expect(issuer.locator("ul.messages")).to_contain_text(
        f"Container {NUMBER} is released to Kempen Forwarding, who is told.")
    expect(issuer.locator("#release")).to_contain_text("OCLU-BL-7781")
    expect(light(issuer, "Commercial").locator(".release-light")).to_have_class(re.compile(r"\bgreen\b"))
    expect(light(issuer, "Commercial").locator(".release-light")).to_have_text("Green")
    expect(light(issuer, "Terminal").locator(".release-light")).to_have_class(re.compile(r"\bred\b"))
    expect(light(issuer, "Terminal").locator(".release-light")).to_have_text("Red")
    expect(light(issuer, "Terminal")).to_contain_text("The terminal has not confirmed the discharge yet.")
    expect(issuer.locator("#lights")).to_contain_text("Not all green: no pickup now.")
    expect(issuer.locator("#chain")).to_contain_text("Oceanic Lines → Kempen Forwarding")
    screenshot(issuer, "issued")
    release = CommercialRelease.objects.get(container__number=NUMBER)
    assert (release.status, release.shipping_line_id, release.first_party_id) == (
        ReleaseStatus.ACTIVE, line.pk, forwarder_org.pk)
    assert release.bill_of_lading == "OCLU-BL-7781" and release.container.terminal_id == world.facility.pk

    # --- the forwarder accepts the offer and passes it on to the haulier
    fwd = browsing.new_page()
    sign_in(fwd, forwarder)
    nav(fwd).get_by_role("link", name="Rights inbox", exact=True).click()
    expect(fwd.get_by_role("heading", name="Rights inbox", level=1)).to_be_visible()
    offer = fwd.locator("#offered tbody tr", has_text=NUMBER)
    expect(offer).to_contain_text("Oceanic Lines")
    offer.get_by_role("button", name="Accept").click()
    expect(fwd.locator("ul.messages")).to_contain_text(f"You hold the right to collect {NUMBER} now.")
    expect(fwd.locator("#offered")).to_contain_text("No right is offered to your organisation now.")
    held = fwd.locator("#held tbody tr", has_text=NUMBER)
    held.get_by_role("link", name="Pass on").click()
    expect(fwd.get_by_role("heading", name=f"Pass on the right to collect {NUMBER}", level=1)).to_be_visible()
    fwd.get_by_label("Pass the right on to").select_option(label="Flanders Haulage")
    fwd.get_by_role("button", name="Offer the right").click()
    expect(fwd.locator("ul.messages")).to_contain_text(
        f"The right to collect {NUMBER} is offered to Flanders Haulage")
    expect(fwd.locator("#passed tbody tr", has_text=NUMBER)).to_contain_text("Flanders Haulage")
    screenshot(fwd, "passed-on")

    # --- the haulier's planner accepts and assigns the driver, truck and slot
    plan = browsing.new_page()
    sign_in(plan, planner)
    nav(plan).get_by_role("link", name="Rights inbox", exact=True).click()
    offer = plan.locator("#offered tbody tr", has_text=NUMBER)
    expect(offer).to_contain_text("Kempen Forwarding")
    offer.get_by_role("button", name="Accept").click()
    expect(plan.locator("ul.messages")).to_contain_text(f"You hold the right to collect {NUMBER} now.")
    held = plan.locator("#held tbody tr", has_text=NUMBER)
    expect(held).to_contain_text("No driver assigned")
    held.get_by_role("link", name="Assign a driver").click()
    expect(plan.get_by_role("heading", name=f"Assign a driver to {NUMBER}", level=1)).to_be_visible()
    plan.get_by_label("Driver's badge number").fill(badge.number)
    plan.get_by_label("Truck plate").fill(PLATE)
    plan.get_by_label("Slot from (port time)").fill(local_input(now - timedelta(minutes=30), world))
    plan.get_by_label("Slot until (port time)").fill(local_input(now + timedelta(hours=3), world))
    plan.get_by_role("button", name="Assign the driver").click()
    expect(plan.locator("ul.messages")).to_contain_text(
        f"Dirk Mertens is the driver who may pick {NUMBER} up, with truck {STORED_PLATE}.")
    expect(held).to_contain_text("Dirk Mertens")
    expect(held).to_contain_text(badge.number)
    screenshot(plan, "assigned")
    assignment = DriverAssignment.objects.get(release=release, status=AssignmentStatus.ACTIVE)
    assert (assignment.haulier_id, assignment.credential_id, assignment.plate) == (
        haulier_org.pk, badge.pk, STORED_PLATE)
    assert ReleaseRight.objects.get(release=release, status=RightStatus.HELD).holder_id == haulier_org.pk

    # --- the terminal's security officer expects it and confirms the discharge
    terminal = browsing.new_page()
    sign_in(terminal, pfso)
    nav(terminal).get_by_role("link", name="Expected pickups", exact=True).click()
    expect(terminal.get_by_role("heading", name="Expected pickups", level=1)).to_be_visible()
    row = terminal.locator("#expected tbody tr", has_text=NUMBER)
    expect(row).to_contain_text("Dirk Mertens")
    expect(row).to_contain_text("Flanders Haulage")
    expect(row).to_contain_text("Terminal: Red")
    expect(row).to_contain_text("Not confirmed")
    row.get_by_role("button", name="Confirm discharge").click()
    expect(terminal.locator("ul.messages")).to_contain_text(
        f"The discharge of {NUMBER} is confirmed: its terminal light is green.")
    expect(row).to_contain_text("Discharged")
    expect(row).to_contain_text("Terminal: Green")
    screenshot(terminal, "discharged")

    # --- the gate: the assigned driver, in the assigned truck, inside the slot, takes it out
    gate = browsing.new_page()
    sign_in(gate, guard)
    nav(gate).get_by_role("link", name="Pickup gate", exact=True).click()
    expect(gate.get_by_role("heading", name="Pickup gate", level=1)).to_be_visible()
    expect(gate.get_by_text("No decision yet.")).to_be_visible()
    decision = check_pickup(gate, container=SPACED, badge=badge.number, plate=PLATE)
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    expect(decision.locator(".gate-facts")).to_contain_text("Dirk Mertens")
    expect(decision.locator(".gate-facts")).to_contain_text(re.compile(r"CSQU ?305438 ?3"))  # as typed
    expect(decision).to_contain_text("Gate out now.")
    screenshot(gate, "granted")

    # The same container again: refused, and the guard reads why.
    decision = check_pickup(gate, container=NUMBER, badge=badge.number, plate=PLATE)
    expect(decision.locator(".gate-verdict")).to_have_text("REFUSED")
    expect(decision.locator(".gate-reasons")).to_contain_text(str(PickupReason.ALREADY_PICKED_UP.label))
    expect(decision.locator(".gate-reasons")).to_contain_text("security alert sent")
    expect(gate.locator(".override-form")).to_have_count(0)  # a guard does not override
    expect(decision.locator(".gate-facts")).to_contain_text("Dirk Mertens")  # the driver is named still
    expect(gate.locator("table.pickup-attempts tbody tr")).to_have_count(2)
    screenshot(gate, "second-refused")

    attempts = list(PickupAttempt.objects.order_by("pk"))
    assert [(a.container_number, a.granted, a.reasons, a.credential_id, a.plate) for a in attempts] == [
        (NUMBER, True, [PickupReason.GRANTED.value], badge.pk, STORED_PLATE),  # stored in its standard form
        (NUMBER, False, [PickupReason.ALREADY_PICKED_UP.value], badge.pk, STORED_PLATE),
    ]
    assert all(a.release_id == release.pk and a.terminal_id == world.facility.pk for a in attempts)
    release.refresh_from_db()
    assignment.refresh_from_db()
    assert release.status == ReleaseStatus.PICKED_UP and assignment.status == AssignmentStatus.USED
    assert release.container.discharged_at is not None



# --- 2. a missed slot, overridden, and the chain of custody -------------------------------


class MissedSlot(Pickup):
    """The Pickup chain on a release valid around the real now (the live server's clock)."""

    def issue(self, number=NUMBER):
        start = clock.now()
        return release_issue(actor=self.line, container_number=number, terminal=self.world.facility,
                             bill_of_lading="OCLU1", first_party=self.orgs["consignee"],
                             valid_from=start - timedelta(days=1), valid_until=start + timedelta(days=10))


def test_the_terminal_overrides_a_missed_slot_and_an_investigator_reads_the_chain(
        browsing, world, person, sign_in, screenshot):
    # The chain was set up this morning: a slot that ended three hours ago (the server's
    # clock is the real one; only this thread's is set back).
    with clock.frozen(clock.now() - timedelta(hours=6)) as morning:
        chain = MissedSlot(world)
        chain.assign(slot_start=morning.value - timedelta(hours=1), slot_end=morning.value + timedelta(hours=3))
    police = OrganisationFactory(name="Federal Police Antwerp", kind=OrganisationKind.POLICE)
    Jurisdiction.objects.create(organisation=police, port=world.port)
    guard = person(Role.GATE_GUARD, world.operator, username="guard.m", first_name="Gert", last_name="Wouters",
                   facility=world.facility)
    pfso = person(Role.FACILITY_SECURITY_OFFICER, world.operator, username="pfso.m", first_name="Filip",
                  last_name="Fonteyn", totp=True)
    investigator = person(Role.AUTHORITY_INVESTIGATOR, police, username="insp.m", first_name="Ines",
                          last_name="Maes", totp=True)
    reason = "Truck held up by a closed bridge; driver and truck checked at the gate"

    # --- the driver arrives after his slot: refused, with the reason
    gate = browsing.new_page()
    sign_in(gate, guard)
    nav(gate).get_by_role("link", name="Pickup gate", exact=True).click()
    decision = check_pickup(gate, container=NUMBER, badge=chain.badge.number, plate=STORED_PLATE)
    expect(decision.locator(".gate-verdict")).to_have_text("REFUSED")
    expect(decision.locator(".gate-facts")).to_contain_text("Dirk Mertens")
    expect(decision.locator(".gate-reasons")).to_have_text(str(PickupReason.OUTSIDE_SLOT.label))
    expect(gate.locator(".override-form")).to_have_count(0)  # only the security officer may override
    screenshot(gate, "outside-slot")
    refusal = PickupAttempt.objects.get()
    assert not refusal.granted and refusal.reasons == [PickupReason.OUTSIDE_SLOT.value]

    # --- the facility security officer lets it through from the attempts list
    officer = browsing.new_page()
    sign_in(officer, pfso)
    nav(officer).get_by_role("link", name="Pickup attempts", exact=True).click()
    expect(officer.get_by_role("heading", name="Pickup attempts", level=1)).to_be_visible()
    row = officer.locator(f"#attempt-{refusal.pk}")
    expect(row).to_contain_text("Refused")
    expect(row).to_contain_text(str(PickupReason.OUTSIDE_SLOT.label))
    row.get_by_role("link", name="Override").click()
    expect(officer.get_by_role("heading", name=f"Override refusal #{refusal.pk} of {NUMBER}", level=1)
           ).to_be_visible()
    officer.get_by_label("Why do you let this pickup through?").fill(reason)
    officer.get_by_role("button", name="Let through (override)").click()
    expect(officer.locator("ul.messages")).to_contain_text(f"Override recorded: {NUMBER} may leave the terminal.")
    decision = officer.locator(".gate-decision")
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    expect(decision.locator(".gate-override-note")).to_have_text(
        f"Override of refusal #{refusal.pk} by {pfso.username}: {reason}")
    screenshot(officer, "overridden")

    override = PickupAttempt.objects.exclude(pk=refusal.pk).get()
    assert override.granted and override.override_of_id == refusal.pk and override.override_reason == reason
    assert override.reasons == [PickupReason.OVERRIDE.value] and override.actor == pfso.username
    chain.release.refresh_from_db()
    assert chain.release.status == ReleaseStatus.PICKED_UP

    # --- an investigator of the police reads the container's chain of custody
    reader = browsing.new_page()
    sign_in(reader, investigator)
    nav(reader).get_by_role("link", name="Chain of custody", exact=True).click()
    expect(reader.get_by_role("heading", name="Chain of custody", level=1)).to_be_visible()
    reader.get_by_label("Container number").fill(SPACED)
    reader.get_by_role("button", name="Show the chain of custody").click()
    expect(reader.get_by_role("heading", name=f"Chain of custody of container {NUMBER}", level=1)).to_be_visible()
    expect(reader).to_have_url(re.compile(rf"/trace/{NUMBER}/$"))
    steps = reader.locator("#steps li.trace-step")
    issued = steps.filter(has_text="Commercial release issued")
    expect(issued).to_have_count(1)
    expect(issued).to_contain_text("Released to Consignee NV under bill of lading OCLU1")
    expect(steps.filter(has_text="Consignee NV offered the release right to Flanders Haulage.")).to_have_count(1)
    expect(steps.filter(has_text="Flanders Haulage accepted the release right from Consignee NV.")).to_have_count(1)
    refused_step = steps.filter(has_text="Refused (Outside the assigned time slot)")
    expect(refused_step).to_have_count(1)
    expect(refused_step).to_contain_text(chain.badge.number)
    override_step = steps.filter(has_text="Pickup let through by the terminal")
    expect(override_step).to_have_count(1)
    expect(override_step).to_contain_text(f"Refused attempt {refusal.pk} (Outside the assigned time slot) let "
                                          f"through. Reason: {reason}")
    expect(override_step).to_contain_text(pfso.username)
    expect(reader.locator("#steps")).to_contain_text("Records intact")
    expect(reader.locator("#summary")).to_contain_text("Picked up: the release is closed")
    screenshot(reader, "trace")

    with reader.expect_download() as download_info:
        reader.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"chain-of-custody-{NUMBER}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    reads = AuditRecord.objects.filter(code="release.trace.read", subject_id=str(chain.release.container_id))
    assert sorted(r.data["format"] for r in reads) == ["page", "pdf"]
    assert all(r.actor_label == investigator.username for r in reads)
