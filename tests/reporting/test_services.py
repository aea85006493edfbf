"""The report's life through the services: submit, open with the receipt, triage, answer, forward."""

from __future__ import annotations

import pytest

from havenwatch.core.errors import NotFound, ValidationFailed
from havenwatch.reporting.choices import MessageKind, ReportStatus
from havenwatch.reporting.services import submission, triage
from tests.reporting.factories import submit

pytestmark = pytest.mark.django_db


def test_a_report_is_read_by_each_recipient_and_by_the_receipt(rw):
    sent = submit(rw.channel, where="Quay 869", people="Two men in orange vests")
    assert len(sent.receipt) == 16 and sent.receipt.isdigit()
    for person in (rw.alice, rw.bob):
        key = triage.report_key(actor=person.principal, report=sent.report, recipient_key=person.key())
        view = triage.report_read(actor=person.principal, report=sent.report, key=key)
        assert view.answers["where"] == "Quay 869"
    opened = submission.receipt_open(channel=rw.channel, receipt=sent.receipt)
    assert submission.reporter_view(opened).answers["people"] == "Two men in orange vests"


def test_the_reporter_and_a_recipient_talk_through_the_report(rw):
    sent = submit(rw.channel)
    key = triage.report_key(actor=rw.alice.principal, report=sent.report, recipient_key=rw.alice.key())
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Which container?",
                        kind=MessageKind.QUESTION)
    triage.report_write(actor=rw.alice.principal, report=sent.report, text="Looks like the Tuesday crew",
                        kind=MessageKind.COMMENT)
    opened = submission.receipt_open(channel=rw.channel, receipt=" ".join([sent.receipt[:8], sent.receipt[8:]]))
    seen = submission.reporter_view(opened)
    assert [line.text for line in seen.lines] == ["Which container?"]
    submission.reporter_write(opened=opened, text="MSKU 123456 7")
    view = triage.report_read(actor=rw.alice.principal, report=sent.report, key=key)
    assert [line.text for line in view.lines] == ["Which container?", "Looks like the Tuesday crew", "MSKU 123456 7"]


def test_a_wrong_receipt_opens_nothing(rw):
    sent = submit(rw.channel)
    wrong = f"{(int(sent.receipt) + 1) % 10 ** 16:016d}"
    with pytest.raises(ValidationFailed) as caught:
        submission.receipt_open(channel=rw.channel, receipt=wrong)
    assert caught.value.code == "receipt_unknown"
    with pytest.raises(ValidationFailed) as other_channel:
        submission.receipt_open(channel=rw.foreign_channel, receipt=sent.receipt)
    assert other_channel.value.code == "receipt_unknown"


def test_a_recipient_of_another_channel_does_not_see_the_report(rw):
    sent = submit(rw.channel)
    with pytest.raises(NotFound):
        triage.report_key(actor=rw.carol.principal, report=sent.report, recipient_key=rw.carol.key())


def test_forwarding_copies_only_what_was_chosen_and_redacted(rw):
    sent = submit(rw.channel, people="Jan, the crane driver")
    key = triage.report_key(actor=rw.alice.principal, report=sent.report, recipient_key=rw.alice.key())
    copy = triage.report_forward(actor=rw.alice.principal, report=sent.report, key=key,
                                 to_channel=rw.foreign_channel,
                                 answers={"what": "Two men loading bags from a container at night.",
                                          "people": "[redacted]"})
    sent.report.refresh_from_db()
    assert sent.report.status == ReportStatus.FORWARDED
    carol_key = triage.report_key(actor=rw.carol.principal, report=copy, recipient_key=rw.carol.key())
    view = triage.report_read(actor=rw.carol.principal, report=copy, key=carol_key)
    assert view.answers["people"] == "[redacted]"
    with pytest.raises(NotFound):  # the original stays in its own channel
        triage.report_key(actor=rw.carol.principal, report=sent.report, recipient_key=rw.carol.key())
