"""The access app as its people use it: the guard at the gate, and a visit from announcement
to the turnstile. Real journeys in Chromium against a live server."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from havenwatch.access.choices import CredentialKind, CredentialState, Reason, ScreeningResult, VisitStatus
from havenwatch.access.models import AccessEvent, Credential, Presence, Visit
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    AccessPointFactory,
    AnnouncerFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    ZoneFactory,
)
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.browser


def nav(page):
    """The side menu (located by its class: its accessible name is translated too)."""
    return page.locator("nav.sidenav")


def point_label(point) -> str:
    """How the gate screen's access point list names a point."""
    return f"{point.name} ({point.code}) · {point.zone.facility.name}"


def local_input(moment, world) -> str:
    """``moment`` as a ``datetime-local`` input holds it, in the port's time."""
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


def check_at_gate(page, point, badge: str):
    """The guard picks the access point, types the badge number and checks."""
    page.get_by_label("Access point").select_option(label=point_label(point))
    page.get_by_label("Badge number").fill(badge)
    page.get_by_role("button", name="Check", exact=True).click()
    return page.locator(".gate-decision")


def badge_holder(world, zone, *, number: str, first_name: str, last_name: str, **credential):
    """A worker of the haulier with a card activated at the terminal and a right to enter ``zone``."""
    someone = PersonFactory(employer=world.company, first_name=first_name, last_name=last_name)
    card = CredentialFactory(person=someone, port=world.port, issued_by=world.company, number=number, **credential)
    FacilityEnrolmentFactory(credential=card, facility=world.facility)
    AuthorisationFactory(person=someone, zone=zone)
    return someone, card


@pytest.fixture
def terminal(world):
    """Terminal A with two zones, each behind its own turnstile."""
    quay = ZoneFactory(facility=world.facility, code="QUAY", name="Quay 1")
    office = ZoneFactory(facility=world.facility, code="OFFICE", name="Office block")
    return {
        "quay": quay,
        "office": office,
        "quay_point": AccessPointFactory(zone=quay, code="T-QUAY", name="Quay turnstile"),
        "office_point": AccessPointFactory(zone=office, code="T-OFFICE", name="Office turnstile"),
    }


# --- 1. the guard at the gate ------------------------------------------------------------


def test_guard_checks_badges_at_the_gate_and_overrides_a_refusal_with_a_reason(
        page, world, terminal, person, sign_in, screenshot):
    quay, point = terminal["quay"], terminal["quay_point"]
    anna, anna_card = badge_holder(world, quay, number="BE-CARD-0001", first_name="Anna", last_name="Peeters")
    bert, bert_card = badge_holder(world, quay, number="BE-CARD-0002", first_name="Bert", last_name="Janssens",
                                   state=CredentialState.BLOCKED)
    guard = person(Role.GATE_GUARD, world.operator, username="guard.a", first_name="Gert", last_name="Wouters",
                   facility=world.facility)

    sign_in(page, guard)
    nav(page).get_by_role("link", name="Gate", exact=True).click()
    expect(page.get_by_role("heading", name="Gate", level=1)).to_be_visible()
    expect(page.get_by_text("No decision yet.")).to_be_visible()

    # An active card, activated at the terminal, with a right to the quay: granted.
    decision = check_at_gate(page, point, anna_card.number)
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    expect(decision.locator(".gate-facts")).to_contain_text("Anna Peeters")
    expect(decision.locator(".gate-facts")).to_contain_text("Quay turnstile")
    expect(decision.locator(".gate-reasons")).to_have_text(str(Reason.GRANTED.label))
    expect(page.get_by_role("heading", name="Override this refusal")).to_have_count(0)
    # The screen stays on the chosen turnstile for the next badge.
    expect(page.get_by_label("Access point")).to_have_value(str(point.pk))
    screenshot(page, "granted")

    # A card the port does not know: refused, and the guard reads why.
    decision = check_at_gate(page, point, "BE-CARD-9999")
    expect(decision.locator(".gate-verdict")).to_have_text("REFUSED")
    expect(decision.locator(".gate-facts")).to_contain_text("Unknown person")
    expect(decision.locator(".gate-reasons")).to_have_text(str(Reason.UNKNOWN_CREDENTIAL.label))
    screenshot(page, "unknown")

    # A card reported lost or stolen: refused, with the reason.
    decision = check_at_gate(page, point, bert_card.number)
    expect(decision.locator(".gate-verdict")).to_have_text("REFUSED")
    expect(decision.locator(".gate-facts")).to_contain_text("Bert Janssens")
    expect(decision.locator(".gate-reasons")).to_have_text(str(Reason.CREDENTIAL_BLOCKED.label))
    refusal = AccessEvent.objects.get(presented=bert_card.number)
    screenshot(page, "blocked")

    # The guard lets Bert through anyway, saying why.
    override_form = page.locator("form.override-form")
    expect(override_form.get_by_role("heading", name="Override this refusal")).to_be_visible()
    reason = "Card reported lost this morning; identity checked against his passport"
    override_form.get_by_label("Why do you let this person through?").fill(reason)
    override_form.get_by_role("button", name="Let through (override)").click()

    expect(page.locator("ul.messages")).to_contain_text("Override recorded: the person may pass.")
    decision = page.locator(".gate-decision")
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    expect(decision.locator(".gate-override-note")).to_have_text(
        f"Override of refusal #{refusal.pk} by {guard.username}: {reason}")
    expect(decision.locator(".gate-facts")).to_contain_text("Bert Janssens")
    recent = page.locator("table.access-events tbody tr")
    expect(recent).to_have_count(4)
    expect(recent.filter(has_text="Override")).to_have_count(1)
    screenshot(page, "override")

    # Every answer is in the database, the override pointing at the refusal it overrides.
    events = list(AccessEvent.objects.order_by("pk"))
    assert [(e.presented, e.granted, e.reasons, e.person_id) for e in events] == [
        (anna_card.number, True, [Reason.GRANTED.value], anna.pk),
        ("BE-CARD-9999", False, [Reason.UNKNOWN_CREDENTIAL.value], None),
        (bert_card.number, False, [Reason.CREDENTIAL_BLOCKED.value], bert.pk),
        (bert_card.number, True, [Reason.CREDENTIAL_BLOCKED.value], bert.pk),
    ]
    override = events[-1]
    assert override.override_of_id == refusal.pk and override.override_reason == reason
    assert override.actor == guard.username
    assert all(e.access_point_id == point.pk for e in events)
    assert AuditRecord.objects.filter(code="access.override", subject_id=str(override.pk)).count() == 1
    assert AuditRecord.objects.filter(code="access.decision").count() == 3

    # Mustering: Anna and Bert are on the quay, nobody in the office block.
    nav(page).get_by_role("link", name="Who is inside", exact=True).click()
    expect(page.get_by_role("heading", name="Who is inside", level=1)).to_be_visible()
    expect(page.locator(".page-header .lead")).to_have_text("2 people inside now (mustering list).")
    terminal_card = page.locator("section.muster-facility", has=page.get_by_role("heading", name="Terminal A"))
    expect(terminal_card.get_by_role("heading", name=re.compile(r"^Quay 1 QUAY · 2 inside$"))).to_be_visible()
    expect(terminal_card.get_by_role("heading", name=re.compile(r"^Office block OFFICE · 0 inside$"))).to_be_visible()
    on_the_quay = terminal_card.locator("h3:has-text('Quay 1') + table.muster-table tbody tr")
    expect(on_the_quay).to_have_count(2)
    expect(on_the_quay.filter(has_text="Peeters, Anna")).to_have_count(1)
    expect(on_the_quay.filter(has_text="Janssens, Bert")).to_have_count(1)
    expect(terminal_card.locator("h3:has-text('Office block') + p.empty")).to_have_text("Nobody inside.")
    screenshot(page, "inside")
    assert set(Presence.objects.filter(zone=quay).values_list("person_id", flat=True)) == {anna.pk, bert.pk}


# --- 2. a visit, from announcement to the gate ------------------------------------------


def test_visit_goes_from_announcement_to_approval_to_the_gate(browsing, world, terminal, person, sign_in,
                                                              screenshot):
    quay, office = terminal["quay"], terminal["office"]
    agency = OrganisationFactory(name="Scheldt Shipping Agency", kind=OrganisationKind.SHIPPING_LINE)
    AnnouncerFactory(organisation=agency, facility=world.facility)
    agent = person(Role.SHIPPING_AGENT, agency, username="agent.s", first_name="Sofie", last_name="Claes")
    pfso = person(Role.FACILITY_SECURITY_OFFICER, world.operator, username="pfso.t", first_name="Filip",
                  last_name="Fonteyn", totp=True)
    guard = person(Role.GATE_GUARD, world.operator, username="guard.t", first_name="Gert", last_name="Wouters",
                   facility=world.facility)
    now = clock.now().replace(second=0, microsecond=0)
    reason = "Crew change on MV Scheldt Star"

    # --- the shipping agent announces one new visitor, for a window around now
    announcer = browsing.new_page()
    sign_in(announcer, agent)
    nav(announcer).get_by_role("link", name="Visits", exact=True).click()
    expect(announcer.get_by_role("heading", name="Visits", level=1)).to_be_visible()
    announcer.get_by_role("link", name="Announce a visit").click()
    expect(announcer.get_by_role("heading", name="Announce a visit", level=1)).to_be_visible()
    announcer.get_by_label("Facility").select_option(label=str(world.facility))
    announcer.get_by_role("button", name="Continue").click()

    expect(announcer.get_by_role("heading", name="Announce a visit to Terminal A", level=1)).to_be_visible()
    # Step two starts clean: choosing the facility is not an attempt to announce.
    expect(announcer.get_by_role("alert")).to_have_count(0)
    announcer.get_by_label(str(quay)).check()
    announcer.get_by_label("From (port time)").fill(local_input(now - timedelta(hours=1), world))
    announcer.get_by_label("Until (port time)").fill(local_input(now + timedelta(hours=4), world))
    announcer.get_by_label("Reason of the visit").fill(reason)
    announcer.get_by_label("First name 1", exact=True).fill("Ana")
    announcer.get_by_label("Last name 1", exact=True).fill("Silva")
    announcer.get_by_label("Date of birth 1", exact=True).fill("1985-06-01")
    announcer.get_by_label("Nationality (ISO code) 1", exact=True).fill("PT")
    announcer.get_by_label("ID document reference 1", exact=True).fill("PT-P1234567")
    announcer.get_by_role("button", name="Announce", exact=True).click()

    expect(announcer.get_by_role("heading", name=re.compile(r"^Visit to Terminal A"), level=1)).to_be_visible()
    expect(announcer.locator("ul.messages")).to_contain_text("The visit is announced")
    visitor_row = announcer.locator("#visitors tbody tr", has_text="Ana Silva")
    expect(visitor_row).to_have_count(1)
    expect(visitor_row.locator(".tag")).to_have_text("no hit")
    expect(visitor_row).not_to_contain_text("V-")  # no credential before approval
    screenshot(announcer, "announced")
    visit = Visit.objects.get(reason=reason)
    assert visit.status == VisitStatus.ANNOUNCED and visit.announcer_id == agency.pk
    assert list(visit.zones.all()) == [quay]
    assert [v.screening for v in visit.visitors.all()] == [ScreeningResult.CLEAR]

    # --- the facility security officer finds it waiting and approves it
    approver = browsing.new_page()
    sign_in(approver, pfso)
    nav(approver).get_by_role("link", name="Visits", exact=True).click()
    waiting = approver.locator("#to-approve")
    expect(waiting.get_by_role("heading", name="To approve")).to_be_visible()
    row = waiting.locator("tbody tr", has_text=reason)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("1 no hit")
    row.get_by_role("link", name="Terminal A").click()
    expect(approver.get_by_role("heading", name=re.compile(r"^Visit to Terminal A"), level=1)).to_be_visible()
    approver.get_by_role("button", name="Approve").click()

    expect(approver.locator("ul.messages")).to_contain_text(
        "The visit is approved: each visitor has a QR credential.")
    visitor_row = approver.locator("#visitors tbody tr", has_text="Ana Silva")
    number = visitor_row.locator(".mono")
    expect(number).to_have_text(re.compile(r"^V-[A-Z2-7]{10}$"))
    expect(visitor_row.locator(".qr svg")).to_be_visible()
    qr_number = number.inner_text()
    screenshot(approver, "approved")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED
    credential = Credential.objects.get(visit=visit)
    assert credential.number == qr_number and credential.kind == CredentialKind.VISITOR_QR
    assert AuditRecord.objects.filter(code="access.visit.approved", subject_id=str(visit.pk)).count() == 1

    # --- the guard: the QR opens the quay, one of the visit's zones, and not the office block
    gate = browsing.new_page()
    sign_in(gate, guard)
    nav(gate).get_by_role("link", name="Gate", exact=True).click()
    decision = check_at_gate(gate, terminal["quay_point"], qr_number)
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    expect(decision.locator(".gate-facts")).to_contain_text("Ana Silva")
    screenshot(gate, "visitor-granted")

    decision = check_at_gate(gate, terminal["office_point"], qr_number)
    expect(decision.locator(".gate-verdict")).to_have_text("REFUSED")
    expect(decision.locator(".gate-facts")).to_contain_text("Office turnstile")
    expect(decision.locator(".gate-reasons")).to_have_text(str(Reason.NO_AUTHORISATION.label))
    screenshot(gate, "visitor-refused")

    events = list(AccessEvent.objects.filter(credential=credential).order_by("pk"))
    assert [(e.access_point.zone_id, e.granted, e.reasons) for e in events] == [
        (quay.pk, True, [Reason.GRANTED.value]),
        (office.pk, False, [Reason.NO_AUTHORISATION.value]),
    ]
