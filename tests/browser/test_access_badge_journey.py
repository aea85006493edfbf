"""A port badge's life as its people see it: the employer registers a worker and issues the
badge, the terminal activates it and grants the quay, the gate lets the worker through, a
police investigator bans the worker and the gate stops the badge at once, and the employer
learns only "hit". One journey in Chromium against a live server."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from havenwatch.access.choices import CredentialKind, CredentialState, Direction, Reason, ScreeningResult
from havenwatch.access.models import (
    AccessEvent,
    Authorisation,
    Credential,
    CredentialStateChange,
    FacilityEnrolment,
    Person,
    PortBan,
    Presence,
)
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import AccessPointFactory, ZoneFactory
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.browser

BADGE = "HAA-CARD-20260001"
LEGAL_REFERENCE = "Corr. Antwerpen 2026/00123"


def nav(page):
    """The side menu (located by its class: its accessible name is translated too)."""
    return page.locator("nav.sidenav")


def open_menu(page, name: str, heading: str | None = None):
    """Open an entry of the side menu and wait for its page's heading."""
    nav(page).get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=heading or name, level=1)).to_be_visible()


def local_input(moment, time_zone: str) -> str:
    """``moment`` as a ``datetime-local`` input holds it, in ``time_zone``."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M")


def point_label(point) -> str:
    """How the gate screen's access point list names a point."""
    return f"{point.name} ({point.code}) · {point.zone.facility.name}"


def present(page, point, badge: str, direction: str):
    """The guard picks the access point and the direction, types the badge number and checks."""
    page.get_by_label("Access point").select_option(label=point_label(point))
    page.get_by_label("Badge number").fill(badge)
    page.get_by_label("Direction").select_option(label=str(Direction(direction).label))
    page.get_by_role("button", name="Check", exact=True).click()
    decision = page.locator(".gate-decision")
    # The page after the redirect shows this answer (the badge and the direction it was given).
    expect(decision.locator(".gate-facts")).to_contain_text(str(Direction(direction).label))
    return decision


@pytest.fixture
def terminal(world):
    """Terminal A's quay, behind a two-way turnstile with anti-passback."""
    quay = ZoneFactory(facility=world.facility, code="QUAY", name="Quay 1")
    return {"quay": quay, "point": AccessPointFactory(zone=quay, code="T-QUAY", name="Quay turnstile",
                                                      anti_passback=True)}


def test_badge_from_registration_to_the_gate_and_a_ban_that_stops_it(browsing, world, terminal, person, sign_in,
                                                                     screenshot):
    quay, point = terminal["quay"], terminal["point"]
    police = OrganisationFactory(name="Federal Police Antwerp", kind=OrganisationKind.POLICE)
    manager = person(Role.COMPANY_ACCESS_MANAGER, world.company, username="access.haulier", first_name="Hilde",
                     last_name="Maes")
    pfso = person(Role.FACILITY_SECURITY_OFFICER, world.operator, username="pfso.t", first_name="Filip",
                  last_name="Fonteyn", totp=True)
    guard = person(Role.GATE_GUARD, world.operator, username="guard.t", first_name="Gert", last_name="Wouters",
                   facility=world.facility)
    investigator = person(Role.AUTHORITY_INVESTIGATOR, police, username="inspector.v", first_name="Vera",
                          last_name="Goossens", totp=True)

    # --- 1. the haulier's access manager registers a driver and issues the port badge ------
    employer = browsing.new_page()
    sign_in(employer, manager)
    open_menu(employer, "People and credentials")
    expect(employer.locator("#people")).to_contain_text("No person registered yet.")
    employer.get_by_role("link", name="Register a person").click()
    expect(employer.get_by_role("heading", name="Register a person", level=1)).to_be_visible()
    employer.get_by_label("First name").fill("Jonas")
    employer.get_by_label("Last name").fill("De Smet")
    employer.get_by_label("Date of birth").fill("1987-09-14")
    employer.get_by_label("Nationality").fill("BE")
    employer.get_by_label("Identity document reference").fill("BE-591-2345678-90")
    employer.get_by_role("button", name="Register", exact=True).click()

    expect(employer.get_by_role("heading", name="Jonas De Smet", level=1)).to_be_visible()
    expect(employer.locator("ul.messages")).to_contain_text(
        "Jonas De Smet is registered as an employee of Haulier A. You can now issue them a credential.")
    expect(employer.locator("#credentials")).to_contain_text("This person holds no credential you can see.")
    driver = Person.objects.get(first_name="Jonas", last_name="De Smet")
    assert driver.employer_id == world.company.pk and driver.nationality == "BE"
    assert driver.id_document_ref == "BE-591-2345678-90" and not driver.national_number_sealed
    assert AuditRecord.objects.filter(code="access.person.registered", subject_id=str(driver.pk)).count() == 1

    issue = employer.locator("#issue")
    issue.get_by_label("Port", exact=True).select_option(label=str(world.port))
    issue.get_by_label("Credential number").fill(BADGE)
    issue.get_by_label("Kind").select_option(label=str(CredentialKind.CARD.label))
    issue.get_by_role("button", name="Issue the credential").click()

    expect(employer.locator("ul.messages")).to_contain_text(
        f"Credential {BADGE} is issued to Jonas De Smet for Port A.")
    card_panel = employer.locator("#credentials article.credential", has_text=BADGE)
    expect(card_panel.locator("h3 .tag")).to_have_text(str(CredentialState.ACTIVE.label))
    expect(card_panel).to_contain_text(str(CredentialKind.CARD.label))
    expect(employer.locator("#activations")).to_contain_text(
        "No facility has activated this person's credentials.")
    screenshot(employer, "issued")
    card = Credential.objects.get(number=BADGE)
    assert (card.person_id, card.port_id, card.issued_by_id) == (driver.pk, world.port.pk, world.company.pk)
    assert (card.kind, card.state) == (CredentialKind.CARD, CredentialState.ACTIVE)

    # --- 2. the terminal's PFSO activates the badge and grants the quay --------------------
    officer = browsing.new_page()
    sign_in(officer, pfso)
    open_menu(officer, "Facility activations")
    activate = officer.locator("#activate")
    activate.get_by_label("Facility").select_option(label=str(world.facility))
    activate.get_by_label("Credential number").fill(BADGE)
    activate.get_by_role("button", name="Activate").click()

    expect(officer.locator("ul.messages")).to_contain_text(f"Credential {BADGE} is active at Terminal A.")
    row = officer.locator("#enrolments tbody tr", has_text=BADGE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Jonas De Smet")
    expect(row).to_contain_text("Haulier A")
    expect(row.locator("td").nth(5).locator(".tag")).to_have_text("Active")
    assert FacilityEnrolment.objects.filter(credential=card, facility=world.facility, is_active=True).count() == 1

    open_menu(officer, "Authorisations")
    officer.get_by_role("link", name="Grant an authorisation").click()
    expect(officer.get_by_role("heading", name="Grant access to zones of Terminal A", level=1)).to_be_visible()
    officer.get_by_label("Person: credential number").fill(BADGE)
    officer.get_by_label("QUAY · Quay 1").check()
    officer.get_by_label("Valid until (port time)").fill(
        local_input(clock.now() + timedelta(days=365), world.port.time_zone))
    officer.get_by_label("Purpose").fill("maintenance")  # no days, no hours: at any hour
    officer.get_by_role("button", name="Grant", exact=True).click()

    expect(officer.get_by_role("heading", name="Authorisations", level=1)).to_be_visible()
    expect(officer.locator("ul.messages")).to_contain_text("Authorisation granted for 1 zone.")
    granted = officer.locator("#authorisations tbody tr", has_text="Jonas De Smet")
    expect(granted).to_have_count(1)
    expect(granted).to_contain_text("Quay 1")
    expect(granted).to_contain_text("At any hour.")
    expect(granted).to_contain_text("maintenance")
    expect(granted.locator(".tag", has_text="Valid now")).to_be_visible()
    screenshot(officer, "granted-quay")
    right = Authorisation.objects.get(person=driver)
    assert (right.zone_id, right.purpose, right.schedule, right.revoked_at) == (quay.pk, "maintenance", {}, None)
    assert AuditRecord.objects.filter(code="access.authorisation.granted", subject_id=str(right.pk)).count() == 1

    # --- 3. the guard lets the driver onto the quay, and out again ------------------------
    gate = browsing.new_page()
    sign_in(gate, guard)
    open_menu(gate, "Gate")
    decision = present(gate, point, BADGE, Direction.IN)
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    expect(decision.locator(".gate-facts")).to_contain_text("Jonas De Smet")
    expect(decision.locator(".gate-reasons")).to_have_text(str(Reason.GRANTED.label))
    screenshot(gate, "entry-granted")
    assert list(Presence.objects.filter(zone=quay).values_list("person_id", flat=True)) == [driver.pk]

    # Out again, so that the next entry is no anti-passback case.
    decision = present(gate, point, BADGE, Direction.OUT)
    expect(decision.locator(".gate-verdict")).to_have_text("GRANTED")
    assert not Presence.objects.filter(person=driver).exists()

    # --- 4. a police investigator bans the driver from the ports --------------------------
    police_page = browsing.new_page()
    sign_in(police_page, investigator)
    open_menu(police_page, "Port bans")
    expect(police_page.locator("#bans")).to_contain_text("No bans match.")
    police_page.get_by_role("link", name="Issue a ban").click()
    expect(police_page.get_by_role("heading", name="Issue a port ban", level=1)).to_be_visible()
    police_page.get_by_label("Name", exact=True).fill("De Smet")
    police_page.get_by_label("Date of birth").fill("1987-09-14")
    police_page.get_by_role("button", name="Search").click()
    found = police_page.locator("#results tbody tr", has_text="Jonas De Smet")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Haulier A")
    found.get_by_role("link", name="Ban this person").click()

    expect(police_page.get_by_role("heading", name="Ban Jonas De Smet from the ports", level=1)).to_be_visible()
    police_page.get_by_label("The ban covers").select_option(label="All ports")
    police_page.get_by_label("In force until").fill(
        local_input(clock.now() + timedelta(days=5 * 365), settings.TIME_ZONE))
    police_page.get_by_label("Legal reference").fill(LEGAL_REFERENCE)
    police_page.get_by_role("button", name="Issue the ban").click()

    expect(police_page.get_by_role("heading", name=re.compile(r"^Port ban of Jonas De Smet"), level=1)) \
        .to_be_visible()
    expect(police_page.locator("ul.messages")).to_contain_text(
        "The ban of Jonas De Smet is issued. 1 credential of the person was blocked.")
    expect(police_page.locator("#outcome")).to_contain_text("1 credential of the person was blocked.")
    expect(police_page.locator("dl.facts")).to_contain_text(LEGAL_REFERENCE)
    expect(police_page.locator("dl.facts")).to_contain_text("All ports")
    screenshot(police_page, "ban-issued")
    ban = PortBan.objects.get(person=driver)
    assert ban.all_ports and ban.legal_reference == LEGAL_REFERENCE and ban.issued_by_id == police.pk
    assert ban.lifted_at is None and ban.valid_from <= clock.now() < ban.valid_until
    assert AuditRecord.objects.filter(code="access.ban.issued", subject_id=str(ban.pk)).count() == 1
    card.refresh_from_db()
    assert card.state == CredentialState.BLOCKED  # at once, not at the next gate

    # --- 5. the same badge at the same turnstile: refused, and the guard reads why ----------
    open_menu(gate, "Gate")
    decision = present(gate, point, BADGE, Direction.IN)
    expect(decision.locator(".gate-verdict")).to_have_text("REFUSED")
    expect(decision.locator(".gate-facts")).to_contain_text("Jonas De Smet")
    reasons = decision.locator(".gate-reasons li")
    expect(reasons).to_have_text([str(Reason.CREDENTIAL_BLOCKED.label), str(Reason.PORT_BAN.label)])
    expect(decision).not_to_contain_text(LEGAL_REFERENCE)
    screenshot(gate, "refused-after-ban")

    events = list(AccessEvent.objects.filter(credential=card).order_by("pk"))
    assert [(e.direction, e.granted, e.reasons) for e in events] == [
        (Direction.IN, True, [Reason.GRANTED.value]),
        (Direction.OUT, True, [Reason.GRANTED.value]),
        (Direction.IN, False, [Reason.CREDENTIAL_BLOCKED.value, Reason.PORT_BAN.value]),
    ]
    assert all(e.access_point_id == point.pk and e.person_id == driver.pk for e in events)
    assert AuditRecord.objects.filter(code="access.decision").count() == 3
    assert not Presence.objects.filter(person=driver).exists()

    # --- 6. the employer checks the driver: "hit", and nothing of the file ------------------
    open_menu(employer, "Ban check")
    employer.get_by_label("Credential number").fill(BADGE)
    employer.get_by_label("Port", exact=True).select_option(label=f"{world.port.name} ({world.port.unlocode})")
    employer.get_by_role("button", name="Check", exact=True).click()
    answer = employer.locator("#answer .verify-result")
    expect(answer.locator("strong")).to_have_text(str(ScreeningResult.HIT.label))
    expect(answer).to_contain_text("Jonas De Smet is banned from Port A.")
    body = employer.locator("main")
    expect(body).not_to_contain_text(LEGAL_REFERENCE)
    expect(body).not_to_contain_text("Federal Police Antwerp")
    expect(body).not_to_contain_text(investigator.username)
    screenshot(employer, "ban-check-hit")
    assert LEGAL_REFERENCE not in employer.content()

    # The driver's page tells the employer the badge is blocked, still without the file.
    open_menu(employer, "People and credentials")
    employer.get_by_role("link", name="De Smet, Jonas").click()
    card_panel = employer.locator("#credentials article.credential", has_text=BADGE)
    expect(card_panel.locator("h3 .tag")).to_have_text(str(CredentialState.BLOCKED.label))
    expect(employer.locator("#ban-check tbody tr", has_text="Port A").locator(".tag")) \
        .to_have_text(str(ScreeningResult.HIT.label))
    screenshot(employer, "driver-after-ban")
    assert LEGAL_REFERENCE not in employer.content()
    # The state change names the port's authorities, never the investigator who acted.
    expect(card_panel).to_contain_text("The port's authorities")
    expect(employer.locator("main")).not_to_contain_text(investigator.username)
    change = CredentialStateChange.objects.get(credential=card)
    assert (change.previous_state, change.state) == (CredentialState.ACTIVE, CredentialState.BLOCKED)
