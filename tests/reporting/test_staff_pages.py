"""The recipients' and officers' pages of anonymous reporting: who opens what, unlocking
the key, reading a report, writing, triage, forwarding a redacted copy, files, channels
and their recipients, sharing, and the anonymised statistics."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from havenwatch.reporting import unlock
from havenwatch.reporting.choices import EntryKind, MessageKind, ReportStatus
from havenwatch.reporting.models import (
    Channel,
    Entry,
    Forward,
    Message,
    Recipient,
    RecipientKey,
    Report,
    ReportKey,
)
from havenwatch.reporting.services import channels, keys, submission, triage
from tests.factories import OrganisationFactory, principal
from tests.reporting.factories import KEY_PASSWORD, submit
from tests.reporting.test_files_in_reports import jpeg_with_gps, pdf_with_author

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def signed_in(client, who):
    client.force_login(who.user)
    return client


def unlocked(client, recipient):
    """Signed in as ``recipient`` with their key unlocked, through the key page."""
    signed_in(client, recipient.principal)
    response = client.post(reverse("reporting:key_unlock"), {"password": KEY_PASSWORD})
    assert response.status_code == 302, text(response)
    return client


def report_url(report, name="reporting:report", *args) -> str:
    return reverse(name, args=[report.pk, *args])


def read(recipient, report):
    key = triage.report_key(actor=recipient.principal, report=report, recipient_key=recipient.key())
    return triage.report_read(actor=recipient.principal, report=report, key=key)


@pytest.fixture
def sent(rw):
    return submit(rw.channel, where="Quay 869", people="Jan, the crane driver", port=rw.world.port.pk)


def staff_pages(rw, report) -> dict[str, str]:
    return {
        "inbox": reverse("reporting:inbox"),
        "key": reverse("reporting:key"),
        "report": report_url(report),
        "forward": report_url(report, "reporting:report_forward"),
        "channels": reverse("reporting:channels"),
        "channel": reverse("reporting:channel", args=[rw.channel.pk]),
        "new channel": reverse("reporting:channel_new"),
        "statistics": reverse("reporting:statistics"),
    }


# --- who opens what --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_every_page_opens_for_a_recipient_officer(client, rw, sent, language):
    unlocked(client, rw.alice)
    for name, url in staff_pages(rw, sent.report).items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (name, response.status_code)


def test_each_role_opens_only_the_pages_its_permissions_allow(client, rw, sent):
    pages = staff_pages(rw, sent.report)
    expected = {
        # an investigator recipient reads and works reports, sees channels, opens none
        Role.AUTHORITY_INVESTIGATOR: {"inbox": 200, "key": 200, "channels": 200, "channel": 200,
                                      "new channel": 403, "statistics": 200},
        Role.AUDITOR: {"inbox": 403, "key": 403, "report": 403, "forward": 403, "channels": 200, "channel": 200,
                       "new channel": 403, "statistics": 200},
        Role.COMMITTEE_MEMBER: {"inbox": 403, "key": 403, "report": 403, "channels": 403, "channel": 403,
                                "statistics": 200},
        Role.GATE_GUARD: dict.fromkeys(pages, 403),
    }
    for role, statuses in expected.items():
        organisation = rw.world.operator if role == Role.GATE_GUARD else rw.world.authority
        if role == Role.COMMITTEE_MEMBER:
            organisation = OrganisationFactory(kind=OrganisationKind.COMMITTEE)
        client.logout()
        signed_in(client, principal(role, organisation))
        for name, status in statuses.items():
            assert client.get(pages[name]).status_code == status, (role, name)


def test_signed_out_people_are_sent_to_the_sign_in_page(client, rw, sent):
    for name, url in staff_pages(rw, sent.report).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name


def test_a_recipient_of_another_channel_never_sees_the_report_even_by_guessing_its_address(client, rw, sent):
    photo = submit(rw.channel, uploads=[submission.Upload("a.jpg", jpeg_with_gps())]).report
    unlocked(client, rw.carol)
    for report in (sent.report, photo):
        for name in ("reporting:report", "reporting:report_forward"):
            assert client.get(report_url(report, name)).status_code == 404, name
        for name, data in (("reporting:report_write", {"text": "x", "kind": "comment"}),
                           ("reporting:report_triage", {"status": "closed", "category": "drugs"}),
                           ("reporting:report_forward", {"to_channel": rw.foreign_channel.pk})):
            assert client.post(report_url(report, name), data).status_code == 404, name
    file_id = photo.attachments.get().pk
    assert client.get(report_url(photo, "reporting:report_file", file_id)).status_code == 404
    assert client.get(reverse("reporting:report", args=[999_999])).status_code == 404
    inbox = text(client.get(reverse("reporting:inbox") + "?status=all"))
    assert f'data-report="{sent.report.pk}"' not in inbox and rw.channel.slug not in inbox
    assert client.get(reverse("reporting:channel", args=[rw.channel.pk])).status_code == 404
    assert Message.objects.filter(report=sent.report).count() == 0 and sent.report.status == ReportStatus.NEW


def test_an_officer_of_the_owner_who_is_no_recipient_reads_no_report(client, rw, sent):
    signed_in(client, rw.officer)
    assert f'data-report="{sent.report.pk}"' not in text(client.get(reverse("reporting:inbox")))
    assert client.get(report_url(sent.report)).status_code == 404


# --- the key -------------------------------------------------------------------------------------


def test_unlocking_sets_a_strict_http_only_cookie_scoped_to_the_reporting_pages(client, rw, sent):
    signed_in(client, rw.alice.principal)
    target = report_url(sent.report)
    locked = client.get(target)
    assert locked.status_code == 302
    assert urlsplit(locked["Location"]).path == reverse("reporting:key")
    assert parse_qs(urlsplit(locked["Location"]).query)["next"] == [target]
    page = text(client.get(locked["Location"]))
    assert 'data-testid="key-unlock-form"' in page and f'value="{target}"' in page
    response = client.post(reverse("reporting:key_unlock"), {"password": KEY_PASSWORD, "next": target})
    assert response.status_code == 302 and response["Location"] == target
    cookie = response.cookies[unlock.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/reporting/"
    assert client.get(target).status_code == 200


def test_a_wrong_key_password_unlocks_nothing(client, rw, sent):
    signed_in(client, rw.alice.principal)
    response = client.post(reverse("reporting:key_unlock"), {"password": "not the key password at all"})
    assert response.status_code == 400 and "This is not your key password." in text(response)
    assert unlock.COOKIE not in response.cookies
    assert client.get(report_url(sent.report)).status_code == 302


def test_unlocking_never_sends_to_another_site(client, rw):
    signed_in(client, rw.alice.principal)
    response = client.post(reverse("reporting:key_unlock"),
                           {"password": KEY_PASSWORD, "next": "https://evil.example/steal"})
    assert response["Location"] == reverse("reporting:inbox")


def test_locking_forgets_the_key(client, rw, sent):
    unlocked(client, rw.alice)
    response = client.post(reverse("reporting:key_lock"))
    assert response.cookies[unlock.COOKIE].value == ""
    assert client.get(report_url(sent.report)).status_code == 302
    assert 'data-testid="reporting-locked"' in text(client.get(reverse("reporting:inbox")))


def test_the_inbox_asks_to_unlock_until_the_key_is_unlocked(client, rw, sent):
    signed_in(client, rw.alice.principal)
    page = text(client.get(reverse("reporting:inbox")))
    assert 'data-testid="reporting-locked"' in page and "?next=%2Freporting%2F" in page
    unlocked(client, rw.alice)
    assert 'data-testid="reporting-locked"' not in text(client.get(reverse("reporting:inbox")))


def test_enrolment_shows_the_recovery_key_once_and_unlocks(client, rw, sent):
    dave = principal(Role.PORT_SECURITY_OFFICER, rw.world.authority)
    channels.recipient_add(actor=rw.officer, channel=rw.channel, user=dave.user)
    signed_in(client, dave)
    assert 'data-testid="key-enrol-form"' in text(client.get(reverse("reporting:key")))
    differ = client.post(reverse("reporting:key_enrol"), {"password": KEY_PASSWORD, "password_again": "other one"})
    assert differ.status_code == 400 and "The two key passwords differ." in text(differ)
    sign_in_password = client.post(reverse("reporting:key_enrol"), {
        "password": "correct-horse-battery-staple", "password_again": "correct-horse-battery-staple"})
    assert sign_in_password.status_code == 400 and "not your sign-in password" in text(sign_in_password)
    assert not RecipientKey.objects.filter(user=dave.user).exists()
    response = client.post(reverse("reporting:key_enrol"), {"password": KEY_PASSWORD, "password_again": KEY_PASSWORD})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    recovery = re.search(r'data-testid="recovery-key"', text(response)) and re.search(
        r'id="recovery-key"[^>]*value="([A-Z2-7-]+)"', text(response)).group(1)
    assert len(recovery.replace("-", "")) == 32
    assert response.cookies[unlock.COOKIE]["httponly"]
    again = text(client.get(reverse("reporting:key")))
    assert recovery not in again and 'data-unlocked="1"' in again
    # The recovery key works, once: a new password and a new recovery key.
    client.post(reverse("reporting:key_lock"))
    recovered = client.post(reverse("reporting:key_recover"), {
        "recovery_key": recovery, "new_password": "another long key password", "new_password_again":
            "another long key password"})
    assert recovered.status_code == 200 and recovery not in text(recovered)
    assert 'data-testid="recovery-key"' in text(recovered)
    keys.key_unlock(actor=dave, password="another long key password")


def test_the_key_password_is_changed_from_the_key_page(client, rw):
    unlocked(client, rw.alice)
    wrong = client.post(reverse("reporting:key_password"), {
        "password": "not it at all!!", "new_password": "a new long key password",
        "new_password_again": "a new long key password"})
    assert wrong.status_code == 400 and "This is not your key password." in text(wrong)
    response = client.post(reverse("reporting:key_password"), {
        "password": KEY_PASSWORD, "new_password": "a new long key password",
        "new_password_again": "a new long key password"})
    assert response.status_code == 302
    keys.key_unlock(actor=rw.alice.principal, password="a new long key password")
    assert AuditRecord.objects.filter(code="reporting.key.password_changed").exists()


# --- reading a report ------------------------------------------------------------------------------


def test_the_report_page_shows_the_decrypted_answers_and_the_conversation(client, rw, sent):
    triage.report_write(actor=rw.bob.principal, report=sent.report, text="Which container was it?",
                        kind=MessageKind.QUESTION)
    unlocked(client, rw.alice)
    page = text(client.get(report_url(sent.report)))
    assert "Quay 869" in page and "Jan, the crane driver" in page and "Two men loading bags" in page
    assert "Which container was it?" in page and 'data-testid="waiting"' in page
    assert rw.bob.principal.user.username in page or rw.bob.principal.user.get_full_name() in page
    assert sent.report.reference in page
    opened = submission.receipt_open(channel=rw.channel, receipt=sent.receipt)
    submission.reporter_write(opened=opened, text="MSKU 123456 7")
    page = text(client.get(report_url(sent.report)))
    assert "MSKU 123456 7" in page and 'data-testid="waiting"' not in page
    assert AuditRecord.objects.filter(code="reporting.report.opened").count() >= 2


def test_a_report_with_a_point_is_drawn_on_a_map_without_tiles(client, rw):
    report = submit(rw.channel, where="Quay 869", point="51.2601,4.3502").report
    unlocked(client, rw.alice)
    page = text(client.get(report_url(report)))
    assert 'data-report-map="report-map-data"' in page and "51.2601" in page
    assert "reporting/report-map.js" in page and "vendor/leaflet/leaflet.js" in page
    assert "tile" not in page.lower()


def test_a_recipient_added_after_the_report_is_told_to_ask_for_it_to_be_shared(client, rw, sent):
    dave = principal(Role.AUTHORITY_INVESTIGATOR, rw.world.authority)
    channels.recipient_add(actor=rw.officer, channel=rw.channel, user=dave.user)
    keys.key_enrol(actor=dave, password=KEY_PASSWORD)
    signed_in(client, dave)
    client.post(reverse("reporting:key_unlock"), {"password": KEY_PASSWORD})
    response = client.get(report_url(sent.report))
    assert response.status_code == 403 and 'data-testid="report-not-shared"' in text(response)
    assert "Quay 869" not in text(response)
    # Alice, whose key opens it, shares the channel's reports from the channel's page.
    client.logout()
    unlocked(client, rw.alice)
    assert 'data-testid="reports-share-form"' in text(client.get(reverse("reporting:channel", args=[rw.channel.pk])))
    shared = client.post(reverse("reporting:reports_share", args=[rw.channel.pk]), follow=True)
    assert "Shared 1 report key." in text(shared)
    assert Entry.objects.filter(report=sent.report, kind=EntryKind.SHARED).exists()
    client.logout()
    signed_in(client, dave)
    client.post(reverse("reporting:key_unlock"), {"password": KEY_PASSWORD})
    assert "Quay 869" in text(client.get(report_url(sent.report)))


# --- writing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "done", "reporter_sees"), [
    (MessageKind.MESSAGE, "Your message is sent to the reporter.", True),
    (MessageKind.QUESTION, "Your question is sent to the reporter.", True),
    (MessageKind.COMMENT, "Your comment is added.", False),
])
def test_a_recipient_writes_to_the_reporter_or_comments(client, rw, sent, kind, done, reporter_sees):
    unlocked(client, rw.alice)
    response = client.post(report_url(sent.report, "reporting:report_write"),
                           {"text": f"A {kind} from Alice", "kind": kind})
    assert response.status_code == 302 and response["Location"].endswith("#conversation")
    page = text(client.get(response["Location"]))
    assert done in page and f"A {kind} from Alice" in page
    message = Message.objects.get(report=sent.report)
    assert message.kind == kind and message.author_user == rw.alice.principal.user
    seen = submission.reporter_view(submission.receipt_open(channel=rw.channel, receipt=sent.receipt))
    assert ([line.text for line in seen.lines] == [f"A {kind} from Alice"]) is reporter_sees


def test_an_empty_message_is_refused_on_the_form(client, rw, sent):
    unlocked(client, rw.alice)
    response = client.post(report_url(sent.report, "reporting:report_write"), {"text": "  ", "kind": "message"})
    assert response.status_code == 400 and "Write something." in text(response)
    assert not Message.objects.exists()


def test_a_closed_report_or_a_forwarded_copy_offers_only_an_internal_comment(client, rw, sent):
    triage.report_triage(actor=rw.alice.principal, report=sent.report, status=ReportStatus.CLOSED)
    unlocked(client, rw.alice)
    page = text(client.get(report_url(sent.report)))
    assert 'value="question"' not in page and 'value="message"' not in page
    refused = client.post(report_url(sent.report, "reporting:report_write"), {"text": "Hello?", "kind": "question"})
    assert refused.status_code == 400 and not Message.objects.exists()
    assert 'data-testid="report-purge-after"' in page


# --- triage ----------------------------------------------------------------------------------------


def test_triage_changes_are_logged_and_audited(client, rw, sent):
    police = OrganisationFactory(name="Federal Police", kind=OrganisationKind.POLICE)
    OrganisationFactory(name="Some Haulier", kind=OrganisationKind.TRANSPORT_COMPANY)
    unlocked(client, rw.alice)
    page = text(client.get(report_url(sent.report)))
    assert "Federal Police" in page and "Some Haulier" not in page
    response = client.post(report_url(sent.report, "reporting:report_triage"), {
        "status": ReportStatus.IN_TRIAGE, "category": "theft", "routed_to": police.pk, "labels": "cocaine, repeat"})
    assert response.status_code == 302
    report = Report.objects.get(pk=sent.report.pk)
    assert report.status == ReportStatus.IN_TRIAGE and report.category.code == "theft"
    assert report.routed_to == police and sorted(report.labels.values_list("name", flat=True)) == ["cocaine",
                                                                                                    "repeat"]
    kinds = set(Entry.objects.filter(report=report).values_list("kind", flat=True))
    assert {EntryKind.STATUS, EntryKind.CATEGORY, EntryKind.ROUTED, EntryKind.LABELS} <= kinds
    record = AuditRecord.objects.filter(code="reporting.report.triaged").get()
    assert set(record.data["changes"]) == {"status", "category", "routed_to", "labels"}
    page = text(client.get(response["Location"]))
    assert "cocaine" in page and "Labels changed" in page
    # The log shows the status and the category in the reader's language, not the actor's.
    log = text(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr")).split('data-testid="report-log"')[1]
    assert '<div class="entry-text">En cours de tri</div>' in log and '<div class="entry-text">Vol</div>' in log
    inbox = text(client.get(reverse("reporting:inbox") + "?label=cocaine"))
    assert f'data-report="{report.pk}"' in inbox


def test_a_retired_category_is_offered_as_retired_and_an_unknown_one_refused(client, rw, sent):
    from tests.reporting.factories import CATEGORIES

    channels.channel_save(actor=rw.officer, channel=rw.channel, slug=rw.channel.slug, name=rw.channel.name,
                          categories=CATEGORIES[1:])
    unlocked(client, rw.alice)
    page = text(client.get(report_url(sent.report)))
    assert "Drugs (retired)" in page
    response = client.post(report_url(sent.report, "reporting:report_triage"),
                           {"status": "new", "category": "weapons"})
    assert response.status_code == 400
    assert not AuditRecord.objects.filter(code="reporting.report.triaged").exists()


def test_closing_shows_when_the_report_will_be_deleted(client, rw, sent):
    unlocked(client, rw.alice)
    client.post(report_url(sent.report, "reporting:report_triage"), {"status": "closed", "category": "drugs"})
    report = Report.objects.get(pk=sent.report.pk)
    assert report.purge_after is not None
    assert 'data-testid="report-purge-after"' in text(client.get(report_url(report)))


# --- forwarding ------------------------------------------------------------------------------------


def test_a_redacted_copy_is_forwarded_and_its_recipients_read_only_the_redaction(client, rw, sent):
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Any vessel nearby?",
                        kind=MessageKind.QUESTION)
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Bob knows Jan", kind=MessageKind.COMMENT)
    question, comment = Message.objects.filter(report=sent.report).order_by("id")
    unlocked(client, rw.alice)
    form = text(client.get(report_url(sent.report, "reporting:report_forward")))
    assert "Jan, the crane driver" in form and rw.foreign_channel.name in form
    assert f'name="messages" value="{question.pk}"' in form  # comments stay home
    assert f'name="messages" value="{comment.pk}"' not in form
    targets = form.split('name="to_channel"')[1].split("</select>")[0]
    assert f'value="{rw.foreign_channel.pk}"' in targets and f'value="{rw.channel.pk}"' not in targets  # not itself
    response = client.post(report_url(sent.report, "reporting:report_forward"), {
        "to_channel": rw.foreign_channel.pk, "answer_what": "Two men loading bags from a container at night.",
        "answer_where": "Quay 869", "answer_people": "[a crane driver]", "messages": [question.pk],
        "note": "From port A: please check"})
    assert response.status_code == 302 and response["Location"] == report_url(sent.report)
    forward = Forward.objects.get(report=sent.report)
    assert forward.redacted and forward.to_channel == rw.foreign_channel
    assert f"Forwarded to {rw.foreign_channel.name} as #{forward.copy.number}." in text(client.get(response["Location"]))
    client.logout()
    unlocked(client, rw.carol)
    copy = text(client.get(report_url(forward.copy)))
    assert "[a crane driver]" in copy and "Jan, the crane driver" not in copy
    assert "Any vessel nearby?" in copy and "From port A: please check" in copy and "Bob knows Jan" not in copy
    assert 'value="question"' not in copy  # the copy's reporter cannot be reached from here


def test_forwarding_without_a_target_is_refused_and_sends_nothing(client, rw, sent):
    unlocked(client, rw.alice)
    response = client.post(report_url(sent.report, "reporting:report_forward"), {"answer_what": "x"})
    assert response.status_code == 400 and "Choose the channel to forward to." in text(response)
    cleared = client.post(report_url(sent.report, "reporting:report_forward"), {
        "to_channel": rw.foreign_channel.pk, "answer_what": ""})
    assert cleared.status_code == 400 and "Describe what happened." in text(cleared)
    assert not Forward.objects.exists() and Report.objects.count() == 1


# --- files -----------------------------------------------------------------------------------------


def test_an_attachment_is_downloaded_stripped_and_never_cached(client, rw):
    report = submit(rw.channel, uploads=[submission.Upload("IMG_0042.jpg", jpeg_with_gps()),
                                         submission.Upload("shift list.pdf", pdf_with_author())]).report
    photo = report.attachments.get(content_type="image/jpeg")
    document = report.attachments.get(content_type="application/pdf")
    unlocked(client, rw.alice)
    page = text(client.get(report_url(report)))
    photo_url = report_url(report, "reporting:report_file", photo.pk)
    assert f'src="{photo_url}?inline=1"' in page and "IMG_0042.jpg" in page and "shift list.pdf" in page
    response = client.get(photo_url)
    data = b"".join(response)
    assert response["Content-Type"] == "image/jpeg" and data.startswith(b"\xff\xd8")
    assert response["Content-Disposition"].startswith("attachment") and "IMG_0042.jpg" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "no-store"
    for trace in (b"PhoneMaker", b"Reporter Phone 12", b"Kwinten"):
        assert trace not in data
    assert client.get(photo_url + "?inline=1")["Content-Disposition"].startswith("inline")
    pdf = client.get(report_url(report, "reporting:report_file", document.pk) + "?inline=1")
    assert pdf["Content-Disposition"].startswith("attachment") and b"Kwinten" not in b"".join(pdf)
    assert client.get(report_url(report, "reporting:report_file", 999_999)).status_code == 404


# --- channels --------------------------------------------------------------------------------------


def channel_data(**changes) -> dict:
    return {"slug": "port-a-safe", "name": "Port A Safe", "intro": "Tell us.", "name_nl": "Haven A Veilig",
            "questions": ["where", "when", "attachments"], "categories": "drugs | Drugs | Drugs | Drogue\n"
            "theft | Theft | Diefstal", "is_public": "on", "is_active": "on", "retention_days": "60", **changes}


def test_an_officer_opens_a_channel_and_a_bad_category_line_is_named(client, rw):
    signed_in(client, rw.officer)
    bad = client.post(reverse("reporting:channel_new"), channel_data(
        categories="drugs | Drugs\njust a word\ntheft | Theft"))
    assert bad.status_code == 400 and "Line 2 (“just a word”)" in text(bad)
    bad_code = client.post(reverse("reporting:channel_new"), channel_data(categories="Drugs Now | Drugs"))
    assert bad_code.status_code == 400 and "the code is lower-case letters" in text(bad_code)
    assert not Channel.objects.filter(slug="port-a-safe").exists()
    response = client.post(reverse("reporting:channel_new"), channel_data(ports=[rw.world.port.pk]))
    channel = Channel.objects.get(slug="port-a-safe")
    assert response.status_code == 302 and response["Location"] == reverse("reporting:channel", args=[channel.pk])
    assert channel.owner == rw.world.authority and channel.retention_days == 60
    assert channel.questions == ["where", "when", "attachments"] and channel.translations["nl"]["name"] == \
        "Haven A Veilig"
    assert {(c.code, c.label, c.translations.get("fr", {}).get("label")) for c in channel.categories.all()} == {
        ("drugs", "Drugs", "Drogue"), ("theft", "Theft", None)}
    assert list(channel.ports.all()) == [rw.world.port]
    assert f'data-channel="{channel.pk}"' in text(client.get(reverse("reporting:channels")))


def test_editing_a_channel_retires_a_category_left_out(client, rw):
    signed_in(client, rw.officer)
    page = text(client.get(reverse("reporting:channel", args=[rw.channel.pk])))
    assert "drugs | Drugs | Drugs | Drogue" in page
    response = client.post(reverse("reporting:channel_edit", args=[rw.channel.pk]), channel_data(
        slug=rw.channel.slug, categories="drugs | Drugs | Drugs | Drogue", retention_days="30"))
    assert response.status_code == 302
    rw.channel.refresh_from_db()
    assert rw.channel.retention_days == 30 and rw.channel.name == "Port A Safe"
    assert set(rw.channel.categories.filter(is_active=True).values_list("code", flat=True)) == {"drugs"}
    assert "(retired)" in text(client.get(reverse("reporting:channel", args=[rw.channel.pk])))
    taken = client.post(reverse("reporting:channel_edit", args=[rw.channel.pk]), channel_data(
        slug=rw.foreign_channel.slug))
    assert taken.status_code == 400 and "already has the address" in text(taken)


def test_another_organisations_officer_cannot_see_or_change_the_channel(client, rw):
    signed_in(client, rw.foreign_officer)
    assert client.get(reverse("reporting:channel", args=[rw.channel.pk])).status_code == 404
    assert client.post(reverse("reporting:channel_edit", args=[rw.channel.pk]), channel_data()).status_code == 404
    assert client.post(reverse("reporting:recipient_remove", args=[rw.channel.pk]),
                       {"user": rw.alice.principal.user.pk}).status_code == 404
    assert f'data-channel="{rw.channel.pk}"' not in text(client.get(reverse("reporting:channels")))
    assert Recipient.objects.filter(channel=rw.channel).count() == 2


def test_a_reader_of_channels_sees_the_recipients_but_no_form(client, rw):
    signed_in(client, principal(Role.AUDITOR, rw.world.authority))
    page = text(client.get(reverse("reporting:channel", args=[rw.channel.pk])))
    assert rw.alice.principal.user.username in page
    assert 'data-testid="channel-form"' not in page and 'data-testid="recipient-remove"' not in page
    assert client.post(reverse("reporting:channel_edit", args=[rw.channel.pk]), channel_data()).status_code == 403


def test_an_officer_adds_and_removes_a_recipient(client, rw, sent):
    dave = principal(Role.AUTHORITY_INVESTIGATOR, rw.world.authority)
    guard = principal(Role.AUDITOR, rw.world.authority)  # may not receive reports
    signed_in(client, rw.officer)
    page = text(client.get(reverse("reporting:channel", args=[rw.channel.pk])))
    add_form = page.split('data-testid="recipient-add-form"')[1].split("</form>")[0]
    assert f'value="{dave.user.pk}"' in add_form and f'value="{guard.user.pk}"' not in add_form
    assert f'value="{rw.alice.principal.user.pk}"' not in add_form  # a recipient already
    assert "Their access to every report of this channel is deleted" in page
    refused = client.post(reverse("reporting:recipient_add", args=[rw.channel.pk]), {"user": guard.user.pk})
    assert refused.status_code == 400
    response = client.post(reverse("reporting:recipient_add", args=[rw.channel.pk]), {"user": dave.user.pk})
    assert response.status_code == 302 and Recipient.objects.filter(channel=rw.channel, user=dave.user).exists()
    assert AuditRecord.objects.filter(code="reporting.recipient.added").exists()
    removed = client.post(reverse("reporting:recipient_remove", args=[rw.channel.pk]),
                          {"user": rw.bob.principal.user.pk}, follow=True)
    assert "1 report key of theirs is deleted" in text(removed)
    assert not Recipient.objects.filter(channel=rw.channel, user=rw.bob.principal.user).exists()
    assert not ReportKey.objects.filter(report=sent.report, user=rw.bob.principal.user).exists()
    client.logout()
    unlocked(client, rw.bob)
    assert client.get(report_url(sent.report)).status_code == 404


# --- statistics ------------------------------------------------------------------------------------


@pytest.fixture
def counted(rw):
    for _ in range(3):
        submit(rw.channel, category="drugs", port=rw.world.port.pk)
    submit(rw.channel, category="theft", port=rw.world.port.pk)
    first = Report.objects.filter(channel=rw.channel).order_by("id").first()
    key = triage.report_key(actor=rw.alice.principal, report=first, recipient_key=rw.alice.key())
    triage.report_forward(actor=rw.alice.principal, report=first, key=key, to_channel=rw.foreign_channel,
                          answers={"what": "Forwarded"})


def test_statistics_count_reports_and_hide_small_numbers(client, rw, counted):
    signed_in(client, rw.officer)
    response = client.get(reverse("reporting:statistics"))
    page = text(response)
    assert response.status_code == 200
    assert "4 reports in all." in page  # the forwarded copy is not counted again
    table = page.split('data-testid="statistics-table"')[1]
    assert table.count('data-testid="statistics-row"') == 2
    assert 'data-count="3"' in table and 'data-count="hidden"' in table and "fewer than 3" in table
    assert 'data-name="Drugs" data-count="3"' in page and 'data-name="Theft" data-count="hidden"' in page
    assert 'data-name="Port A" data-count="4"' in page
    assert 'data-testid="month-chart"' in page


def test_statistics_download_as_csv_with_the_same_hiding(client, rw, counted):
    signed_in(client, rw.officer)
    response = client.get(reverse("reporting:statistics") + f"?channel={rw.channel.pk}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Month", "Channel", "Category", "Port", "Reports"]
    assert sorted((row[2], row[4]) for row in rows[1:]) == [("Drugs", "3"), ("Theft", "fewer than 3")]


def test_another_ports_officer_counts_none_of_these_reports(client, rw, counted):
    signed_in(client, rw.foreign_officer)
    page = text(client.get(reverse("reporting:statistics")))
    assert "Port A Drug Free" not in page.split('data-testid="statistics-table"')[1]


def test_a_small_total_is_hidden_too(client, rw):
    for _ in range(2):
        submit(rw.channel, category="drugs", port=rw.world.port.pk)
    signed_in(client, rw.officer)
    page = text(client.get(reverse("reporting:statistics")))
    assert 'data-testid="statistics-total" data-count="hidden"' in page and "In all: fewer than 3." in page
    assert 'data-count="2"' not in page


# --- the inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_open_reports_with_new_from_reporter_and_filters(client, rw, sent):
    other = submit(rw.channel, category="theft").report
    triage.report_triage(actor=rw.alice.principal, report=other, status=ReportStatus.CLOSED)
    read(rw.alice, sent.report)
    unlocked(client, rw.alice)
    page = text(client.get(reverse("reporting:inbox")))
    assert f'data-report="{sent.report.pk}"' in page and f'data-report="{other.pk}"' not in page
    assert 'data-testid="new-from-reporter"' not in page  # read since the reporter wrote
    assert '<span class="count" data-status="closed">1</span>' in page
    closed = text(client.get(reverse("reporting:inbox") + "?status=closed"))
    assert f'data-report="{other.pk}"' in closed and f'data-report="{sent.report.pk}"' not in closed
    by_number = text(client.get(reverse("reporting:inbox") + f"?status=all&number={other.reference}"))
    assert f'data-report="{other.pk}"' in by_number and f'data-report="{sent.report.pk}"' not in by_number
    elsewhere = text(client.get(reverse("reporting:inbox") + f"?status=all&number=port-b-tips-{other.number}"))
    assert 'data-testid="inbox-row"' not in elsewhere
    assert f'data-report="{other.pk}"' in text(client.get(reverse("reporting:inbox") + f"?status=all&number=%23{other.number}"))
    by_category = text(client.get(reverse("reporting:inbox") + "?status=all&category=drugs"))
    assert f'data-report="{sent.report.pk}"' in by_category and f'data-report="{other.pk}"' not in by_category
    opened = submission.receipt_open(channel=rw.channel, receipt=sent.receipt)
    submission.reporter_write(opened=opened, text="One more thing")
    assert 'data-testid="new-from-reporter"' in text(client.get(reverse("reporting:inbox")))


def test_the_inbox_costs_the_same_for_many_reports(client, rw, django_assert_max_num_queries):
    labelled = []
    for index in range(30):
        report = submit(rw.channel, category=("drugs", "theft")[index % 2]).report
        labelled.append(report)
    for report in labelled[:10]:
        triage.report_triage(actor=rw.alice.principal, report=report, labels=["cocaine", f"batch {report.pk % 3}"])
    unlocked(client, rw.alice)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("reporting:inbox"))
    assert response.status_code == 200 and text(response).count('data-testid="inbox-row"') == 30
