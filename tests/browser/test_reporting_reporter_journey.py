"""The reporter's journey in Chromium on a phone-sized screen: first with JavaScript off (as
a careful reporter may browse), then briefly with it on (the proof of work and the map).

The recipients' side is played through the services, in the test's thread, on the live
server's database.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from havenwatch.reporting.choices import MessageKind
from havenwatch.reporting.models import Report
from havenwatch.reporting.services import triage
from tests.browser import conftest as browser_fixtures
from tests.browser.conftest import gettext_in
from tests.reporting.factories import ReportingWorld

pytestmark = pytest.mark.browser


@pytest.fixture
def rw(world):
    """Port A's channel with its recipients, on the live server's database."""
    return ReportingWorld(world)


PHONE = {"width": 360, "height": 780}
WHAT = "Twee mannen laden 's nachts zakken uit een reefercontainer."


@pytest.fixture
def phone(browser, live_server):
    """``phone(javascript=...)``: a new page in a context of its own, 360 px wide, in Dutch."""
    contexts = []

    def open_page(*, javascript: bool):
        context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript, locale="nl-BE",
                                      viewport=PHONE)
        context.set_default_timeout(browser_fixtures.DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def patience_off(settings):
    """Without JavaScript a form counts only once a person's patience has passed (20 s to
    report, 6 s to follow up): none here, the test types faster than a person."""
    pow_settings = settings.HAVENWATCH.get("REPORTING_POW", {})
    settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_POW": {
        **pow_settings, "patience": {"submit": 0, "login": 0, "followup": 0}}}


def nl(message: str) -> str:
    return gettext_in("nl", message)


def test_a_reporter_without_javascript_reports_and_answers_the_recipients_question(rw, phone, patience_off):
    page = phone(javascript=False)
    page.goto(f"/report/{rw.channel.slug}/?lang=nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("link", name=nl("Make a report")).click()

    expect(page).to_have_url(re.compile(rf"/report/{rw.channel.slug}/new/\?lang=nl$"))
    expect(page.locator(".place-picker")).to_be_hidden()  # the map needs JavaScript; "where" is words
    page.get_by_label("Diefstal").check()
    page.get_by_label(nl("What did you see or hear?")).fill(WHAT)
    page.get_by_label(nl("Where did it happen?")).fill("Kaai 869")
    page.get_by_role("button", name=nl("Send the report")).click()

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_have_text(re.compile(r"^\d{4} \d{4} \d{4} \d{4}$"))
    number = receipt.inner_text()
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    # The recipients ask a question.
    report = Report.objects.get(channel=rw.channel)
    triage.report_write(actor=rw.alice.principal, report=report, text="Welke kleur had de container?",
                        kind=MessageKind.QUESTION)

    page.get_by_role("link", name=nl("I have written it down")).click()
    page.get_by_label(nl("Your receipt")).fill(number)
    page.get_by_role("button", name=nl("Open my report")).click()

    expect(page.get_by_text(WHAT)).to_be_visible()
    expect(page.get_by_text("Kaai 869")).to_be_visible()
    question = page.get_by_test_id("line").filter(has_text="Welke kleur had de container?")
    expect(question).to_contain_text(nl("The recipients"))
    expect(question.get_by_test_id("waiting")).to_be_visible()
    expect(page.get_by_text(rw.alice.principal.user.username)).to_have_count(0)

    page.get_by_label(nl("Your message")).fill("Blauw, met MSKU op de deur.")
    page.get_by_role("button", name=nl("Send"), exact=True).click()
    expect(page.get_by_test_id("notice")).to_have_text(nl("Sent."))
    expect(page.get_by_test_id("waiting")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    # The recipient reads the answer.
    key = triage.report_key(actor=rw.alice.principal, report=report, recipient_key=rw.alice.key())
    view = triage.report_read(actor=rw.alice.principal, report=report, key=key)
    assert [line.text for line in view.lines] == ["Welke kleur had de container?", "Blauw, met MSKU op de deur."]
    assert view.answers == {"what": WHAT, "where": "Kaai 869"}
    assert report.category.code == "theft"


def test_with_javascript_the_proof_of_work_is_done_and_a_place_is_picked_on_the_map(rw, phone):
    page = phone(javascript=True)
    page.goto(f"/report/{rw.channel.slug}/new/?lang=en")
    form = page.locator("form[data-pow]")
    expect(form.locator('input[name="pow_solution"]')).not_to_have_value("")  # solved by pow.js
    page.get_by_label("Drugs").check()
    page.get_by_label("What did you see or hear?").fill("Bags carried out of a container.")

    picker = page.locator(".place-picker")
    expect(picker).to_be_visible()
    picker.locator(".report-map").click(position={"x": 180, "y": 150})
    point = form.locator('input[name="point"]')
    expect(point).to_have_value(re.compile(r"^-?\d+\.\d{6},-?\d+\.\d{6}$"))
    picked = [float(part) for part in point.input_value().split(",")]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than a phone

    # Sent at once: with the work done, no patience is asked (20 s for a report without JavaScript).
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_test_id("receipt")).to_have_text(re.compile(r"^\d{4} \d{4} \d{4} \d{4}$"))

    report = Report.objects.get(channel=rw.channel)
    key = triage.report_key(actor=rw.alice.principal, report=report, recipient_key=rw.alice.key())
    view = triage.report_read(actor=rw.alice.principal, report=report, key=key)
    assert view.answers["point"] == picked
