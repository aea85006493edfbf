"""The reporter's pages (/report/), through Django's test client with real CSRF checks:
report, keep the receipt, come back with it, read the recipients' question and answer it;
and what the pages refuse, what they keep of the reporter (nothing), in which language."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from havenwatch.core import clock
from havenwatch.reporting import abuse
from havenwatch.reporting.choices import MessageKind
from havenwatch.reporting.models import Attachment, Message, Report
from havenwatch.reporting.services import channels, submission, triage
from havenwatch.reporting.views import public
from tests.reporting.factories import make_channel, submit
from tests.reporting.test_files_in_reports import jpeg_with_gps, pdf_with_author

pytestmark = pytest.mark.django_db

WHAT = "Two men carry bags out of a reefer container at night."
NOW = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)


@pytest.fixture
def browser():
    """A reporter's browser: cookies kept between pages, CSRF checked as in production."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def frozen():
    with clock.frozen(NOW) as moment:
        yield moment


def text(response) -> str:
    return unescape(response.content.decode())


def url(name: str, channel, *, lang: str = "") -> str:
    address = reverse(f"report:{name}", args=[channel.slug])
    return f"{address}?lang={lang}" if lang else address


def form(html: str, action: str) -> dict:
    """The hidden fields of the page's form that posts to ``action``."""
    found = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert found, f"no form posting to {action}"
    fields = {}
    for tag in re.findall(r"<input[^>]*>", found.group(1)):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag)
            fields[name] = unescape(value.group(1)) if value else ""
    return fields


def solved(html: str, action: str) -> dict:
    """The form's hidden fields with its proof of work done, as pow.js would."""
    fields = form(html, action)
    fields["pow_solution"] = abuse.solve(fields["pow_token"], int(fields["pow_difficulty"]))
    return fields


def jpeg_upload(name: str, data: bytes, content_type: str = "image/jpeg"):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def send_report(browser, channel, *, page=None, **answers):
    page = page or browser.get(url("new", channel))
    files = answers.pop("files", None)
    data = {**solved(text(page), url("new", channel)), "category": "drugs", "what": WHAT, **answers}
    if files is not None:
        data["files"] = files
    return browser.post(url("new", channel), data)


def receipt_of(response) -> str:
    return re.search(r'data-testid="receipt">(\d{4} \d{4} \d{4} \d{4})<', text(response)).group(1)


def open_report(browser, channel, receipt: str):
    page = browser.get(url("follow_up", channel))
    return browser.post(url("follow_up", channel), {**solved(text(page), url("follow_up", channel)),
                                                    "receipt": receipt})


def write(browser, channel, page, message: str, files=None):
    data = {**solved(text(page), url("write", channel)), "text": message}
    if files is not None:
        data["files"] = files
    return browser.post(url("write", channel), data)


def anonymous(response) -> None:
    """What every answer of the reporter's pages must be: not cached, no referrer, no cookie
    but the CSRF token."""
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert set(response.cookies) <= {"csrftoken"}, set(response.cookies)


# --- the whole journey -----------------------------------------------------------------


def test_a_reporter_reports_comes_back_with_the_receipt_and_answers_a_question(rw, browser):
    sent = send_report(browser, rw.channel, where="Quay 869", when="Tuesday around 23:00", ongoing="yes",
                       files=[jpeg_upload("IMG_0042.jpg", jpeg_with_gps())])
    assert sent.status_code == 200, text(sent)
    anonymous(sent)
    receipt = receipt_of(sent)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    page = text(sent)
    assert "shown only this once" in page and "cannot be recovered" in page and "Whoever has it can read" in page
    assert f'href="{url("follow_up", rw.channel)}?lang=en"' in page  # "I have written it down"
    report = Report.objects.get()
    # The report's number would tie the reporter to the recipients' numbering: never shown.
    assert report.reference not in page and f"#{report.number}" not in page

    # The recipients ask; the reporter comes back with the receipt, typed with spaces.
    question = "Which container was it? The number is on its door."
    triage.report_write(actor=rw.alice.principal, report=report, text=question, kind=MessageKind.QUESTION)
    opened = open_report(browser, rw.channel, receipt)
    assert opened.status_code == 200, text(opened)
    anonymous(opened)
    page = text(opened)
    for shown in (WHAT, "Quay 869", "Tuesday around 23:00", "Is it still going on?", "Yes", "IMG_0042.jpg",
                  question, "The recipients", "Waiting for your answer", "30 minutes"):
        assert shown in page, shown
    assert rw.alice.principal.user.username not in page  # never who of the recipients wrote

    # The reporter answers, with a photo whose GPS position must not reach the recipients.
    answered = write(browser, rw.channel, opened, "MSKU 123456 7, the blue one.",
                     files=[jpeg_upload("door.jpg", jpeg_with_gps())])
    assert answered.status_code == 200, text(answered)
    anonymous(answered)
    page = text(answered)
    assert "Sent." in page and "MSKU 123456 7, the blue one." in page and "door.jpg" in page
    assert "Waiting for your answer" not in page  # answered now

    key = triage.report_key(actor=rw.alice.principal, report=report, recipient_key=rw.alice.key())
    view = triage.report_read(actor=rw.alice.principal, report=report, key=key)
    assert view.answers == {"what": WHAT, "where": "Quay 869", "when": "Tuesday around 23:00", "ongoing": "yes"}
    assert [(line.author, line.text) for line in view.lines] == [
        ("recipient", question), ("reporter", "MSKU 123456 7, the blue one.")]
    [photo] = view.lines[1].files
    name, content_type, data = triage.attachment_open(actor=rw.alice.principal, report=report, key=key,
                                                      attachment_id=photo.id)
    assert (name, content_type) == ("door.jpg", "image/jpeg")
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()  # no camera, no time, no GPS
    assert b"PhoneMaker" not in data and b"Kwinten" not in data


def test_a_place_picked_on_the_map_is_sent_with_the_report(rw, browser):
    page = browser.get(url("new", rw.channel))
    assert 'name="point"' not in text(page)  # without JavaScript (place.js) there is no such field
    sent = send_report(browser, rw.channel, page=page, where="Near the gate", point="51.2801,4.3005")
    assert sent.status_code == 200, text(sent)
    opened = submission.receipt_open(channel=rw.channel, receipt=receipt_of(sent))
    assert submission.reporter_view(opened).answers["point"] == [51.2801, 4.3005]
    assert "51.2801, 4.3005" in text(open_report(browser, rw.channel, receipt_of(sent)))


def test_a_place_that_is_not_one_is_refused_and_the_where_kept(rw, browser):
    refused = send_report(browser, rw.channel, where="Near the gate", point="north,south")
    assert refused.status_code == 400
    assert "The place on the map is not a latitude and longitude." in text(refused)
    assert 'value="Near the gate"' in text(refused) and not Report.objects.exists()


# --- mistakes keep the answers, store nothing --------------------------------------------


def test_a_report_without_its_first_answer_comes_back_with_every_answer_kept(rw, browser):
    page = browser.get(url("new", rw.channel))
    refused = send_report(browser, rw.channel, page=page, what="", where="Quay 869", when="last night",
                          relation="work", people="A man in an orange vest",
                          files=[jpeg_upload("IMG_0042.jpg", jpeg_with_gps())])
    assert refused.status_code == 400
    anonymous(refused)
    html = text(refused)
    assert "Describe what happened." in html
    assert 'value="Quay 869"' in html and 'value="last night"' in html and "A man in an orange vest</textarea>" in html
    assert re.search(r'name="category" value="drugs" id="category-drugs" checked', html)
    assert re.search(r'name="relation" value="work" id="q-relation-work" checked', html)
    assert "Choose your files again" in html
    # A fresh challenge: the one sent was spent.
    assert form(html, url("new", rw.channel))["pow_token"] != form(text(page), url("new", rw.channel))["pow_token"]
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_a_report_without_a_category_is_refused_on_that_question(rw, browser):
    refused = send_report(browser, rw.channel, category="")
    assert refused.status_code == 400
    assert re.search(r"<legend>What kind of situation is it\?</legend>.*Choose what kind of situation this is\.",
                     text(refused), re.S)
    assert not Report.objects.exists()


def test_a_pdf_named_like_a_photo_is_stored_as_a_pdf(rw, browser):
    sent = send_report(browser, rw.channel, files=[jpeg_upload("holiday.jpg", pdf_with_author())])
    assert sent.status_code == 200, text(sent)
    [attachment] = Attachment.objects.all()
    assert attachment.content_type == "application/pdf"


def test_a_web_page_named_like_a_photo_is_refused_by_its_name(rw, browser):
    refused = send_report(browser, rw.channel, where="Quay 869",
                          files=[jpeg_upload("evidence.jpg", b"<html><script>alert(1)</script></html>")])
    assert refused.status_code == 400
    assert "evidence.jpg is not a photo (JPEG or PNG) or a PDF document." in text(refused)
    assert 'value="Quay 869"' in text(refused)
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_too_many_files_are_refused(rw, browser):
    photo = jpeg_with_gps()
    refused = send_report(browser, rw.channel, files=[jpeg_upload(f"{n}.jpg", photo) for n in range(4)])
    assert refused.status_code == 400
    assert "Attach at most 3 files." in text(refused)
    assert not Report.objects.exists()


def test_a_file_over_the_size_limit_is_refused_by_its_name_before_any_is_kept(rw, browser, settings):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_MAX_FILE_BYTES": 3 * 1024 * 1024}
    big = jpeg_with_gps() + b"\0" * (3 * 1024 * 1024)
    refused = send_report(browser, rw.channel, files=[jpeg_upload("night shot.jpg", big)])
    assert refused.status_code == 400
    assert "night shot.jpg is larger than 3 MB." in text(refused)
    assert not Report.objects.exists()


def test_uploads_stay_in_memory_and_a_big_one_keeps_only_its_name():
    handler = public.InMemoryUploads()
    handler.biggest = 10
    handler.new_file("files", "big.jpg", "image/jpeg", None)
    for chunk in (b"0123456789", b"abc"):
        handler.receive_data_chunk(chunk, 0)
    big = handler.file_complete(13)
    assert big.dropped and big.size == 13 and big.read() == b""
    handler.new_file("files", "small.jpg", "image/jpeg", None)
    handler.receive_data_chunk(b"0123", 0)
    small = handler.file_complete(4)
    assert not small.dropped and small.read() == b"0123"


def test_a_port_is_chosen_only_when_the_channel_covers_several_or_none(rw, browser):
    page = text(browser.get(url("new", rw.channel)))
    assert 'name="port"' not in page  # one port: it is the report's
    anywhere = make_channel(rw.officer, slug="anywhere", ports=[])
    channels.recipient_add(actor=rw.officer, channel=anywhere, user=rw.alice.principal.user)
    page = browser.get(url("new", anywhere))
    assert 'name="port"' in text(page)
    assert "Port A" in text(page) and "Port B" in text(page)  # no port: every port
    refused = send_report(browser, anywhere, page=page, port="999999")
    assert refused.status_code == 400 and "Choose one of the ports offered." in text(refused)
    sent = send_report(browser, anywhere, page=refused, port=str(rw.world.foreign_port.pk))
    assert sent.status_code == 200, text(sent)
    assert Report.objects.get().port == rw.world.foreign_port


# --- the forms' checks -------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused(rw, browser):
    browser.get(url("new", rw.channel))
    fields = solved(text(browser.get(url("new", rw.channel))), url("new", rw.channel))
    del fields["csrfmiddlewaretoken"]
    response = browser.post(url("new", rw.channel), {**fields, "category": "drugs", "what": WHAT})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_forged_challenge_is_refused(rw, browser):
    page = text(browser.get(url("new", rw.channel)))
    fields = {**solved(page, url("new", rw.channel)), "pow_token": "forged"}
    refused = browser.post(url("new", rw.channel), {**fields, "category": "drugs", "what": WHAT})
    assert refused.status_code == 400 and "This form's check is not valid" in text(refused)
    assert WHAT in text(refused)
    assert not Report.objects.exists()


def test_without_javascript_a_report_sent_too_soon_waits_then_the_same_form_goes(rw, browser, frozen):
    page = browser.get(url("new", rw.channel))
    fields = form(text(page), url("new", rw.channel))  # no solution: no JavaScript
    frozen.advance(seconds=5)
    early = browser.post(url("new", rw.channel), {**fields, "category": "drugs", "what": WHAT})
    assert early.status_code == 400
    assert "Please wait 15 seconds and send again" in text(early)
    assert "can be sent 20 seconds after it opened" in text(early)
    again = form(text(early), url("new", rw.channel))
    assert again["pow_token"] == fields["pow_token"]  # the wait already served counts
    frozen.advance(seconds=16)
    sent = browser.post(url("new", rw.channel), {**again, "category": "drugs", "what": WHAT})
    assert sent.status_code == 200, text(sent)
    assert Report.objects.count() == 1


def test_a_report_sent_twice_is_stored_once(rw, browser):
    page = text(browser.get(url("new", rw.channel)))
    data = {**solved(page, url("new", rw.channel)), "category": "drugs", "what": WHAT}
    assert browser.post(url("new", rw.channel), data).status_code == 200
    twice = browser.post(url("new", rw.channel), data)
    assert twice.status_code == 400 and "This form was already sent." in text(twice)
    assert Report.objects.count() == 1


def test_a_browser_sending_too_many_reports_is_told_to_wait(rw, browser, monkeypatch):
    monkeypatch.setattr(public, "SUBMIT_LIMIT", 2)
    page = browser.get(url("new", rw.channel))
    for _ in range(2):
        page = send_report(browser, rw.channel, page=page)
        assert page.status_code == 200
        page = browser.get(url("new", rw.channel))
    refused = send_report(browser, rw.channel, page=page)
    assert refused.status_code == 400 and "Too many reports were sent from this browser" in text(refused)
    assert Report.objects.count() == 2


# --- following up ------------------------------------------------------------------------


def test_every_wrong_receipt_gets_the_same_answer_and_counts_as_a_failure(rw, browser):
    real = submit(rw.channel).receipt
    answers = set()
    for wrong in (f"{(int(real) + 1) % 10 ** 16:016d}", "1234 5678 9012 3456"):
        response = open_report(browser, rw.channel, wrong)
        assert response.status_code == 400
        anonymous(response)
        answers.add(re.search(r'<p class="error" role="alert">([^<]+)</p>', text(response)).group(1))
    assert answers == {"This receipt does not open a report here. Check the digits and try again."}
    assert abuse._recent_count(abuse._failure_key(rw.channel.slug), 600) == 2
    short = open_report(browser, rw.channel, "1234")
    assert short.status_code == 400 and "A receipt is 16 digits." in text(short)


def test_too_many_receipt_attempts_are_stopped(rw, browser):
    for _ in range(public.LOGIN_LIMIT):
        assert open_report(browser, rw.channel, "0000 0000 0000 0000").status_code == 400
    stopped = open_report(browser, rw.channel, submit(rw.channel).receipt)
    assert stopped.status_code == 400 and "Too many attempts" in text(stopped)


def test_the_session_with_a_report_ends_after_thirty_minutes(rw, browser, frozen):
    sent = submit(rw.channel)
    opened = open_report(browser, rw.channel, sent.receipt)
    assert opened.status_code == 200
    frozen.advance(minutes=31)
    late = write(browser, rw.channel, opened, "One more thing.")
    assert late.status_code == 400
    assert "Your session with this report ended. Enter your receipt again." in text(late)
    assert 'name="receipt"' in text(late)
    assert not Message.objects.exists()


def test_a_message_sent_twice_is_stored_once(rw, browser):
    opened = open_report(browser, rw.channel, submit(rw.channel).receipt)
    data = {**solved(text(opened), url("write", rw.channel)), "text": "The truck was red."}
    assert browser.post(url("write", rw.channel), data).status_code == 200
    again = browser.post(url("write", rw.channel), data)
    assert again.status_code == 200 and "This was already sent." in text(again)
    assert Message.objects.count() == 1


def test_an_empty_message_is_refused_and_the_page_stays(rw, browser):
    opened = open_report(browser, rw.channel, submit(rw.channel).receipt)
    refused = write(browser, rw.channel, opened, "  ")
    assert refused.status_code == 400 and "Write something or attach a file." in text(refused)
    assert WHAT.split()[0] in text(refused) and not Message.objects.exists()


def test_internal_comments_never_reach_the_reporter(rw, browser):
    sent = submit(rw.channel)
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Looks like the Tuesday crew",
                        kind=MessageKind.COMMENT)
    opened = open_report(browser, rw.channel, sent.receipt)
    assert "Tuesday crew" not in text(opened) and "No message yet" in text(opened)


# --- language --------------------------------------------------------------------------


def test_the_language_comes_from_the_address_and_the_forms_not_a_cookie(rw, browser):
    page = browser.get(url("new", rw.channel, lang="nl"), HTTP_ACCEPT_LANGUAGE="en")
    html = text(page)
    assert '<html lang="nl">' in html and "Diefstal" in html and page["Content-Language"] == "nl"
    assert form(html, url("new", rw.channel))["lang"] == "nl"
    assert f'href="{url("channel", rw.channel)}?lang=nl"' in html  # links carry it on
    for code in ("en", "nl", "fr"):  # each page links to itself in every language
        assert f'href="{url("new", rw.channel)}?lang={code}"' in html
    refused = send_report(browser, rw.channel, page=page, what="")  # the hidden lang=nl
    assert refused.status_code == 400 and "Diefstal" in text(refused) and '<html lang="nl">' in text(refused)
    assert "havenwatch_language" not in refused.cookies and "havenwatch_language" not in page.cookies


def test_without_a_choice_the_browser_language_is_used(rw, browser):
    page = browser.get(url("new", rw.channel), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in text(page) and "Vol" in text(page)
    assert form(text(page), url("new", rw.channel))["lang"] == "fr"


def test_the_report_page_switches_language_without_putting_the_report_in_an_address(rw, browser):
    opened = open_report(browser, rw.channel, submit(rw.channel, category="theft").receipt)
    token = form(text(opened), url("write", rw.channel))["token"]
    assert token not in re.findall(r'href="([^"]*)"', text(opened))
    switched = browser.post(url("follow_up", rw.channel), {**form(text(opened), url("follow_up", rw.channel)),
                                                          "lang": "nl"})
    assert switched.status_code == 200
    assert '<html lang="nl">' in text(switched) and "Diefstal" in text(switched)
    assert form(text(switched), url("write", rw.channel))["token"] == token  # the session is not lengthened


# --- what is kept of the reporter: nothing ---------------------------------------------


def test_no_page_sets_a_cookie_but_the_csrf_token_nor_may_be_cached(rw, browser):
    pages = [reverse("report:channels"), url("channel", rw.channel), url("new", rw.channel),
             url("follow_up", rw.channel)]
    for address in pages:
        response = browser.get(address, HTTP_ACCEPT_LANGUAGE="nl")
        assert response.status_code == 200, address
        anonymous(response)
        assert "sessionid" not in response.cookies
    assert "csrftoken" in browser.cookies  # the forms' pages set it: the only one
    sent = send_report(browser, rw.channel)
    opened = open_report(browser, rw.channel, receipt_of(sent))
    for response in (sent, opened, write(browser, rw.channel, opened, "More.")):
        anonymous(response)
        assert "sessionid" not in response.cookies
    assert set(browser.cookies) == {"csrftoken"}


def test_forms_are_sent_with_their_origin_but_no_other_site_gets_a_referrer(rw, browser):
    """Under "no-referrer" a browser would send "Origin: null" with every form, which CSRF
    protection refuses; "same-origin" sends the real origin to this site only (the browser
    test shows the forms go through)."""
    for address in (url("new", rw.channel), url("follow_up", rw.channel), reverse("report:channels")):
        assert browser.get(address)["Referrer-Policy"] == "same-origin"
    page = browser.get(url("new", rw.channel))
    posted = browser.post(url("new", rw.channel), {**solved(text(page), url("new", rw.channel)),
                                                   "category": "drugs", "what": WHAT},
                          HTTP_ORIGIN="http://testserver")
    assert posted.status_code == 200


def test_the_public_channels_are_listed_with_their_ports(rw, browser):
    make_channel(rw.officer, slug="closed-one", name="Closed Channel", is_public=False)
    make_channel(rw.officer, slug="retired-one", name="Retired Channel", is_active=False)
    response = browser.get(reverse("report:channels"))
    anonymous(response)
    html = text(response)
    assert "Port A Drug Free" in html and "Port B Tips" in html and "Port A" in html and "Port B" in html
    assert f'href="{url("channel", rw.channel)}?lang=en"' in html
    assert "Closed Channel" not in html and "Retired Channel" not in html


def test_the_channel_page_explains_and_offers_both_ways(rw, browser):
    html = text(browser.get(url("channel", rw.channel)))
    for said in ("encrypted", "Only the channel's recipients can read it", "not your employer's",
                 "Do not write your own name", "location data", "Keep it"):
        assert said in html, said
    assert f'href="{url("new", rw.channel)}?lang=en"' in html and "Make a report" in html
    assert f'href="{url("follow_up", rw.channel)}?lang=en"' in html and "I have a receipt" in html


@pytest.mark.parametrize("kind", ["closed", "not public", "unknown"])
def test_a_channel_not_open_to_the_public_is_not_found(rw, browser, kind):
    if kind == "closed":
        channel = make_channel(rw.officer, slug="gone", is_active=False)
    elif kind == "not public":
        channel = make_channel(rw.officer, slug="forwards-only", is_public=False)
    else:
        channel = type("Unknown", (), {"slug": "no-such-channel"})()
    for name in ("channel", "new", "follow_up"):
        response = browser.get(url(name, channel))
        assert response.status_code == 404, name
        anonymous(response)
    page = browser.get(url("follow_up", rw.channel))
    data = {**solved(text(page), url("follow_up", rw.channel)), "what": WHAT, "category": "drugs"}
    assert browser.post(url("new", channel), data).status_code == 404
    assert browser.post(url("write", channel), data).status_code == 404
    assert not Report.objects.exists()


def test_a_channel_nobody_can_read_yet_says_so_and_takes_no_report(rw, browser):
    waiting = make_channel(rw.officer, slug="nobody-yet", name="Nobody Yet", ports=[rw.world.port])
    html = text(browser.get(url("channel", waiting)))
    assert "cannot take reports right now" in html and "Make a report" not in html
    page = browser.get(url("new", waiting))
    assert page.status_code == 200 and "cannot take reports right now" in text(page)
    assert 'name="what"' not in text(page)
    other = browser.get(url("new", rw.channel))
    refused = browser.post(url("new", waiting), {**solved(text(other), url("new", rw.channel)), "what": WHAT,
                                                 "category": "drugs"})
    assert refused.status_code == 409 and "cannot take reports right now" in text(refused)
    assert not Report.objects.exists()


def test_the_pages_load_nothing_external_and_run_nothing_inline(rw, browser):
    opened = open_report(browser, rw.channel, submit(rw.channel).receipt)
    for response in (browser.get(reverse("report:channels")), browser.get(url("new", rw.channel)), opened):
        html = text(response)
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", html)
        assert " style=" not in html and "<style" not in html


def test_reports_are_numbered_for_recipients_but_the_receipt_page_says_nothing_of_it(rw, browser):
    for _ in range(2):
        submit(rw.channel)
    sent = send_report(browser, rw.channel)
    assert Report.objects.get(channel=rw.channel, number=3)
    assert "#3" not in text(sent) and f"{rw.channel.slug}-3" not in text(sent)


def test_a_closed_report_can_be_read_but_not_added_to(rw, browser):
    sent = submit(rw.channel)
    triage.report_triage(actor=rw.alice.principal, report=sent.report, status="closed")
    opened = open_report(browser, rw.channel, sent.receipt)
    assert opened.status_code == 200
    assert "This report is closed" in text(opened) and 'name="text"' not in text(opened)


def test_the_follow_up_form_asks_for_the_receipt_as_digits_without_remembering_it(rw, browser):
    html = text(browser.get(url("follow_up", rw.channel)))
    tag = re.search(r'<input[^>]*name="receipt"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in tag and 'autocomplete="off"' in tag
    assert 'data-pow-token="' in html and form(html, url("follow_up", rw.channel))["pow_token"]


def test_the_unanswered_question_is_marked_until_the_reporter_writes(rw, browser):
    sent = submit(rw.channel)
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Which gate?", kind=MessageKind.QUESTION)
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Thank you.", kind=MessageKind.MESSAGE)
    opened = open_report(browser, rw.channel, sent.receipt)
    assert text(opened).count('data-testid="waiting"') == 1
    answered = write(browser, rw.channel, opened, "Gate 4.")
    assert 'data-testid="waiting"' not in text(answered)
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="And when?", kind=MessageKind.QUESTION)
    again = open_report(browser, rw.channel, sent.receipt)
    assert text(again).count('data-testid="waiting"') == 1
    assert re.search(r'waiting" data-testid="line">.*And when\?', text(again), re.S)


def test_a_follow_up_sent_too_soon_without_javascript_keeps_the_text(rw, browser, frozen):
    opened = open_report(browser, rw.channel, submit(rw.channel).receipt)
    fields = form(text(opened), url("write", rw.channel))
    early = browser.post(url("write", rw.channel), {**fields, "text": "It was a red truck."})
    assert early.status_code == 400 and "Please wait 6 seconds" in text(early)
    assert "It was a red truck.</textarea>" in text(early)
    frozen.advance(seconds=7)
    sent = browser.post(url("write", rw.channel), {**form(text(early), url("write", rw.channel)),
                                                   "text": "It was a red truck."})
    assert sent.status_code == 200 and "Sent." in text(sent)
    assert Message.objects.count() == 1
    assert clock.now() - NOW == timedelta(seconds=7)


def test_the_sign_in_page_points_people_without_an_account_to_anonymous_reporting(client):
    page = client.get("/login/").content.decode()
    assert 'href="/report/"' in page and "anonymously" in page
