"""A recipient's journey in Chromium: sign in, unlock the reporting key, open a report sent
through the public service, ask the reporter a question, triage the report with a label,
and forward a redacted copy to another port's channel, whose recipient reads the redaction
and never the original.

The assertions are on structure (``data-testid``, states) and on the report's own words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from havenwatch.core.choices import Role
from havenwatch.core.principal import principal_for_membership
from havenwatch.reporting.choices import MessageKind, ReportStatus
from havenwatch.reporting.models import Forward, Message, Report
from havenwatch.reporting.services import channels, keys
from tests.reporting.factories import KEY_PASSWORD, make_channel, submit

pytestmark = pytest.mark.browser

def recipient(person, officer, channel, organisation, *, username, first_name, last_name):
    """A recipient of ``channel`` who signs in with a second factor and has created a key."""
    who = person(Role.PORT_SECURITY_OFFICER, organisation, username=username, first_name=first_name,
                 last_name=last_name, totp=True)
    channels.recipient_add(actor=officer, channel=channel, user=who.user)
    keys.key_enrol(actor=principal_for_membership(who.membership), password=KEY_PASSWORD)
    return who


def unlock_key(page):
    """From the inbox's "locked" banner to the key page and back, unlocked."""
    page.goto("/reporting/")
    expect(page.get_by_test_id("reporting-locked")).to_be_visible()
    page.get_by_test_id("reporting-unlock-link").click()
    page.wait_for_url("**/reporting/key/?next=*")
    page.get_by_label("Key password", exact=True).fill(KEY_PASSWORD)
    page.get_by_test_id("key-unlock").click()
    page.wait_for_url("**/reporting/")
    expect(page.get_by_test_id("reporting-locked")).to_have_count(0)


def test_a_recipient_questions_triages_and_forwards_a_redacted_copy(browsing, world, person, sign_in, screenshot):
    officer, foreign_officer = world.pso(), principal_for_membership(
        person(Role.PORT_SECURITY_OFFICER, world.foreign_authority, username="officer.b").membership)
    channel = make_channel(officer, slug="port-a-drug-free", name="Port A Drug-Free", ports=[world.port])
    target = make_channel(foreign_officer, slug="port-b-tips", name="Port B Tips", ports=[world.foreign_port],
                          is_public=False)
    alice = recipient(person, officer, channel, world.authority, username="alice.peeters", first_name="Alice",
                      last_name="Peeters")
    carol = recipient(person, foreign_officer, target, world.foreign_authority, username="carol.dubois",
                      first_name="Carol", last_name="Dubois")
    report = submit(channel, where="Quay 869", people="Jan Janssens, the crane driver",
                    port=world.port.pk).report

    # Alice signs in, unlocks her key and opens the report from her inbox.
    page = browsing.new_page()
    sign_in(page, alice)
    unlock_key(page)
    row = page.locator(f"[data-testid='inbox-row'][data-report='{report.pk}']")
    expect(row).to_have_attribute("data-status", ReportStatus.NEW)
    expect(row.get_by_test_id("new-from-reporter")).to_be_visible()
    row.get_by_role("link", name=report.reference).click()
    page.wait_for_url(f"**/reporting/{report.pk}/")
    answers = page.get_by_test_id("report-answers")
    expect(answers).to_contain_text("Quay 869")
    expect(answers).to_contain_text("Jan Janssens, the crane driver")

    # She asks the reporter a question: it waits for an answer.
    write = page.get_by_test_id("report-write-form")
    write.get_by_label("Text").fill("Which container were they loading from?")
    write.get_by_label("Question to the reporter").check()
    page.get_by_test_id("report-write").click()
    page.wait_for_url(f"**/reporting/{report.pk}/#conversation")
    line = page.locator("[data-testid='conversation-line'][data-kind='question']")
    expect(line).to_contain_text("Which container were they loading from?")
    expect(line).to_contain_text("Alice Peeters")
    expect(line.get_by_test_id("waiting")).to_be_visible()
    assert Message.objects.get(report=report).kind == MessageKind.QUESTION

    # She triages it: in triage, with a label.
    form = page.get_by_test_id("report-triage-form")
    form.get_by_label("Status").select_option(ReportStatus.IN_TRIAGE)
    form.get_by_label("Labels").fill("cocaine")
    page.get_by_test_id("report-triage").click()
    page.wait_for_url(f"**/reporting/{report.pk}/#triage")
    expect(page.get_by_test_id("report-status")).to_have_attribute("data-status", ReportStatus.IN_TRIAGE)
    expect(page.get_by_test_id("report-labels")).to_contain_text("cocaine")
    expect(page.get_by_test_id("report-log")).to_contain_text("cocaine")
    screenshot(page, "triaged")

    # She forwards a copy to port B without the crane driver's name, with her question.
    page.get_by_test_id("report-forward-link").click()
    page.wait_for_url(f"**/reporting/{report.pk}/forward/")
    page.get_by_label("Forward to").select_option(label="Port B Tips (closed intake)")
    people = page.get_by_label("Which people were involved?")
    expect(people).to_have_value("Jan Janssens, the crane driver")
    people.fill("[a crane driver]")
    page.get_by_label("Which container were they loading from?", exact=False).check()
    page.get_by_label("Note for the recipients of the copy").fill("Seen at our quay 869; yours?")
    screenshot(page, "forward")
    page.get_by_test_id("report-forward").click()
    page.wait_for_url(f"**/reporting/{report.pk}/")
    expect(page.locator(".messages")).to_contain_text("Forwarded to Port B Tips as #1.")
    expect(page.get_by_test_id("report-status")).to_have_attribute("data-status", ReportStatus.FORWARDED)
    expect(page.get_by_test_id("report-forwards")).to_contain_text("Port B Tips")
    copy = Forward.objects.get(report=report).copy

    # Carol, a recipient of port B's channel, reads the copy: the redaction, never the name.
    other = browsing.new_page()
    sign_in(other, carol)
    unlock_key(other)
    other.locator(f"[data-testid='inbox-row'][data-report='{copy.pk}']").get_by_role("link").click()
    other.wait_for_url(f"**/reporting/{copy.pk}/")
    answers = other.get_by_test_id("report-answers")
    expect(answers).to_contain_text("[a crane driver]")
    expect(answers).to_contain_text("Quay 869")
    expect(other.get_by_test_id("conversation")).to_contain_text("Which container were they loading from?")
    expect(other.get_by_test_id("conversation")).to_contain_text("Seen at our quay 869; yours?")
    assert "Jan Janssens" not in other.content()
    expect(other.get_by_test_id("report-is-copy")).to_be_visible()
    screenshot(other, "copy")
    # And the original stays out of her reach, even by its address.
    response = other.goto(f"/reporting/{report.pk}/")
    assert response.status == 404
    assert Report.objects.get(pk=report.pk).forwarded_from_id is None

