"""The platform foundation as people use it: real journeys in Chromium against a live server."""

from __future__ import annotations

import json
import re
import warnings

import pytest
from django.db import connection
from playwright.sync_api import expect

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord, OutboxEvent
from havenwatch.core.services.security_levels import security_level_set
from tests.browser.conftest import gettext_in, wrong_code
from tests.dbtools import audit_triggers_off
from tests.factories import FacilityFactory, OrganisationFactory

pytestmark = pytest.mark.browser


def nav(page):
    """The side menu (located by its class: its accessible name is translated too)."""
    return page.locator("nav.sidenav")


# --- 1. signing in with a second factor ----------------------------------------------


def test_pso_signs_in_with_password_and_totp(page, world, person, screenshot):
    pso = person(Role.PORT_SECURITY_OFFICER, world.authority, username="anna.peeters",
                 first_name="Anna", last_name="Peeters", totp=True)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("User name").fill(pso.username)
    page.get_by_label("Password").fill(pso.password)
    page.get_by_role("button", name="Continue").click()

    # The password alone does not sign her in: she is asked for a code.
    expect(page).to_have_url(re.compile(r"/login/otp/$"))
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_text("Signing in as anna.peeters")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # Back to the code page (the pending sign-in is still held), where a wrong code is refused.
    page.goto("/login/otp/")
    page.get_by_label("Six-digit code").fill(wrong_code(pso.totp_secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page).to_have_url(re.compile(r"/login/otp/$"))
    screenshot(page, "wrong-code")

    page.get_by_label("Six-digit code").fill(pso.code())
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_text("Good to see you, Anna Peeters.")).to_be_visible()
    expect(page.locator(".topbar .who")).to_have_text("Anna Peeters")
    acting = nav(page).locator(".acting")
    expect(acting.locator(".acting-org")).to_have_text("Port Authority A")
    expect(acting.locator(".acting-role")).to_have_text("Port security officer")
    screenshot(page, "dashboard")


# --- 2. languages ------------------------------------------------------------------

# Labels on every signed-in page of a PSO (menu, top bar, dashboard): the test asserts on
# the first one the compiled catalogue translates, so it follows the translators' work.
VISIBLE_LABELS = [
    "Security levels", "Audit log", "Dashboard", "Live events", "API tokens", "Webhooks", "Organisations",
    "Ports", "Facilities", "Users and roles", "Overview", "Security", "Administration", "Integration",
    "Sign out", "My notifications", "Waiting for acknowledgement", "Latest events", "Notifications",
]


NAV_LINKS = {"Security levels", "Audit log", "Dashboard", "Live events", "API tokens", "Webhooks",
             "Organisations", "Ports", "Facilities", "Users and roles"}


def _translated_label(language: str) -> str | None:
    for message in VISIBLE_LABELS:
        if gettext_in(language, message) != message:
            return message
    return None


def test_user_switches_language_to_dutch_and_french(page, world, person, sign_in, screenshot):
    pso = person(Role.PORT_SECURITY_OFFICER, world.authority, username="jan.smet",
                 first_name="Jan", last_name="Smet", totp=True)
    sign_in(page, pso)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav(page).get_by_role("link", name="Security levels", exact=True)).to_be_visible()

    for language in ("nl", "fr"):
        page.locator(".lang-form select").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(".lang-form select")).to_have_value(language)
        screenshot(page, language)
        label = _translated_label(language)
        if label is None:
            warnings.warn(f"no label on the page is translated into {language!r} yet: "
                          "only the page language is checked", stacklevel=1)
            continue
        translated = gettext_in(language, label)
        if label in NAV_LINKS:
            expect(nav(page).get_by_role("link", name=translated, exact=True)).to_be_visible()
            expect(nav(page).get_by_role("link", name=label, exact=True)).to_have_count(0)
        else:
            expect(page.locator("body")).to_contain_text(translated)

    # The choice sticks: the next page is in French too.
    page.goto("/security-levels/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


# --- 3. a level change and its acknowledgement --------------------------------------


def test_pso_raises_port_level_and_facility_acknowledges(browsing, world, person, sign_in, screenshot):
    # A second facility in the port, of another operator: it stays pending throughout.
    other_operator = OrganisationFactory(name="Terminal Operator A2", kind=OrganisationKind.FACILITY_OPERATOR)
    FacilityFactory(name="Terminal A2", isps_number="BEAAA-0002", port=world.port, operator=other_operator)
    pso = person(Role.PORT_SECURITY_OFFICER, world.authority, username="pso.a", first_name="Pia",
                 last_name="Sels", totp=True)
    pfso = person(Role.FACILITY_SECURITY_OFFICER, world.operator, username="pfso.a", first_name="Filip",
                  last_name="Fonteyn", totp=True)

    officer = browsing.new_page()
    sign_in(officer, pso)
    badge = officer.locator(".level-badge", has_text="Port A")
    expect(badge.locator(".level-badge-code")).to_have_text("SL1")

    officer.get_by_role("link", name="Security levels", exact=True).click()
    expect(officer.get_by_role("heading", name="Security levels", level=1)).to_be_visible()
    form = officer.locator("#change")
    form.get_by_label("Port or facility").select_option(label="Port A (BEAAA)")
    form.get_by_label("New level").select_option("2")
    form.get_by_label("Reason").fill("Credible threat reported by the police")
    form.get_by_role("button", name="Set level").click()

    expect(officer.get_by_role("status")).to_contain_text("Port A is now at security level 2.")
    change_row = officer.locator(".card table tbody tr", has_text="Credible threat reported by the police")
    expect(change_row).to_have_count(1)
    expect(change_row).to_contain_text("whole port")
    expect(change_row.locator(".progress")).to_have_text("0 of 2")
    expect(change_row).to_contain_text("Pending: Terminal A, Terminal A2")
    expect(badge.locator(".level-badge-code")).to_have_text("SL2")
    screenshot(officer, "pso-after-raise")

    # The facility's security officer, in another browser, sees it waiting on the dashboard.
    facility = browsing.new_page()
    sign_in(facility, pfso)
    waiting = facility.locator(".card", has=facility.get_by_role("heading", name="Waiting for acknowledgement"))
    item = waiting.locator(".ack-item", has_text="Terminal A")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("port level of Port A")
    expect(item).to_contain_text("Credible threat reported by the police")
    expect(facility.locator(".level-badge", has_text="Terminal A").locator(".level-badge-code")).to_have_text("SL2")
    screenshot(facility, "pfso-pending")
    item.get_by_role("button", name="Acknowledge").click()
    expect(facility.get_by_role("status")).to_contain_text("Terminal A acknowledged security level 2.")
    expect(waiting).to_contain_text("Nothing to acknowledge.")

    # Back with the PSO: after a reload the change shows the facility's acknowledgement.
    officer.reload()
    expect(change_row.locator(".progress")).to_have_text("1 of 2")
    expect(change_row).to_contain_text("Pending: Terminal A2")
    expect(change_row).not_to_contain_text("Pending: Terminal A,")
    expect(badge.locator(".level-badge-code")).to_have_text("SL2")
    screenshot(officer, "pso-after-ack")


# --- 4. the audit chain -------------------------------------------------------------


def test_auditor_verifies_the_audit_chain(page, world, person, sign_in, screenshot):
    pso = world.pso()
    security_level_set(actor=pso, port=world.port, level=2, reason="Drill begins")
    change = security_level_set(actor=pso, port=world.port, level=3, reason="Exercise Harbour Shield")
    security_level_set(actor=pso, port=world.port, level=1, reason="Exercise over")
    auditor = person(Role.AUDITOR, world.authority, username="audrey", first_name="Audrey", last_name="Aerts")

    sign_in(page, auditor)
    nav(page).get_by_role("link", name="Audit log", exact=True).click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    rows = page.locator(".audit-table tbody tr")
    raised = rows.filter(has_text="Exercise Harbour Shield")
    expect(raised).to_have_count(1)
    expect(raised).to_contain_text("core.security_level.changed")
    expect(rows.filter(has_text="Exercise over")).to_have_count(1)

    records = AuditRecord.objects.count()
    page.get_by_role("button", name="Verify chain").click()
    result = page.locator(".verify-result")
    expect(result).to_have_class(re.compile(r"\bok\b"))
    expect(result).to_contain_text("Chain intact")
    expect(result).to_contain_text(f"{records} records checked")
    screenshot(page, "intact")

    # Someone with database access rewrites history: the reason of the raise.
    tampered = AuditRecord.objects.get(code="core.security_level.changed", subject_id=str(change.pk))
    forged = json.dumps({**tampered.data, "reason": "Nothing happened"})
    with audit_triggers_off(connection), connection.cursor() as cursor:
        # The model refuses updates, and so do the triggers: like an attacker, go around both.
        value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
        cursor.execute(f"UPDATE core_auditrecord SET data = {value} WHERE id = %s", [forged, tampered.pk])
    assert AuditRecord.objects.get(pk=tampered.pk).data["reason"] == "Nothing happened"
    page.reload()
    expect(rows.filter(has_text="Nothing happened")).to_have_count(1)
    page.get_by_role("button", name="Verify chain").click()
    expect(result).to_have_class(re.compile(r"\bbroken\b"))
    expect(result).to_contain_text(f"Chain BROKEN at #{tampered.sequence}")
    intact = tampered.sequence - 1
    expect(result).to_contain_text(re.compile(rf"\b{intact} (record was|records were) intact before it"))
    expect(rows.filter(has_text="Exercise Harbour Shield")).to_have_count(0)  # what the log now claims
    screenshot(page, "broken")


# --- 5. the live feed ---------------------------------------------------------------


# WhiteNoise (6.x) serves static files with a synchronous iterator, which Django warns about under ASGI.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators:Warning")
def test_live_feed_shows_a_level_change_as_it_happens(browsing, asgi_server, world, person, sign_in,
                                                     screenshot):
    pso = person(Role.PORT_SECURITY_OFFICER, world.authority, username="live.pso", first_name="Lena",
                 last_name="Maes", totp=True)
    page = browsing.new_page(base_url=asgi_server.url)
    sign_in(page, pso)
    page.goto("/events/")
    expect(page.get_by_role("heading", name="Live events", level=1)).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")
    rows = page.locator("#event-rows tr:not(.empty-row)")
    before = rows.count()

    security_level_set(actor=world.pso(), port=world.port, level=3, reason="Vessel hijack alert")
    sequence = OutboxEvent.objects.filter(type="core.security_level.changed").latest("sequence").sequence

    fresh = page.locator("#event-rows tr.fresh", has_text="core.security_level.changed")
    expect(fresh).to_have_count(1, timeout=8_000)
    expect(fresh.locator("td.num")).to_have_text(str(sequence))
    expect(fresh).to_contain_text("Vessel hijack alert")
    expect(rows).to_have_count(before + 1)
    screenshot(page, "live")


# --- 6. API tokens ------------------------------------------------------------------


def test_token_is_shown_once(page, world, person, sign_in, screenshot):
    pso = person(Role.PORT_SECURITY_OFFICER, world.authority, username="tok.pso", first_name="Tom",
                 last_name="Claes", totp=True)
    sign_in(page, pso)
    nav(page).get_by_role("link", name="API tokens", exact=True).click()
    expect(page.get_by_text("No tokens yet.")).to_be_visible()
    page.get_by_role("link", name="New token").click()
    page.get_by_label("Name").fill("Gate 3 controller")
    page.get_by_label(re.compile(r"\(core\.view_security_level\)")).check()
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="Token “Gate 3 controller” created")).to_be_visible()
    raw = page.locator("#raw-token").input_value()
    assert re.fullmatch(r"hw_[A-Za-z0-9]+_\S{20,}", raw), raw
    screenshot(page, "created")

    page.get_by_role("link", name="I have stored it: back to the tokens").click()
    row = page.locator("table tbody tr", has_text="Gate 3 controller")
    expect(row).to_have_count(1)
    prefix = raw.split("_")[1]
    expect(row.locator("td.mono")).to_have_text(f"hw_{prefix}_…")
    page.reload()
    expect(row).to_have_count(1)
    assert raw not in page.content()
    assert raw[len(f"hw_{prefix}_"):] not in page.content()
    screenshot(page, "list")
