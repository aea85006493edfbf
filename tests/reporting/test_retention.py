"""Retention: a closed report is deleted when its channel's days have run out, and its
receipt and keys with it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from havenwatch.core import clock
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.models import AuditRecord
from havenwatch.reporting.choices import ReportStatus
from havenwatch.reporting.models import Attachment, Message, Report, ReportKey
from havenwatch.reporting.services import retention, submission, triage
from tests.reporting.factories import submit
from tests.reporting.test_files_in_reports import jpeg_with_gps

pytestmark = pytest.mark.django_db


def test_a_closed_report_is_deleted_after_the_retention_and_not_before(rw):
    start = clock.now()
    with clock.frozen(start):
        sent = submit(rw.channel, uploads=[submission.Upload("a.jpg", jpeg_with_gps())])
        kept = submit(rw.channel)  # open: never deleted by retention
        triage.report_write(actor=rw.alice.principal, report=sent.report, text="Thank you", kind="message")
        triage.report_triage(actor=rw.alice.principal, report=sent.report, status=ReportStatus.CLOSED)
    sent.report.refresh_from_db()
    assert sent.report.purge_after == start + timedelta(days=90)
    assert retention.reports_purge_due(now=start + timedelta(days=89)) == 0
    assert retention.reports_purge_due(now=start + timedelta(days=90, seconds=1)) == 1
    assert list(Report.objects.values_list("pk", flat=True)) == [kept.report.pk]
    for model in (ReportKey, Message, Attachment):
        assert not model.objects.filter(report_id=sent.report.pk).exists()
    assert AuditRecord.objects.filter(code="reporting.report.purged").count() == 1
    with pytest.raises(ValidationFailed):  # the receipt opens nothing any more
        submission.receipt_open(channel=rw.channel, receipt=sent.receipt)


def test_reopening_stops_the_countdown(rw):
    sent = submit(rw.channel)
    triage.report_triage(actor=rw.alice.principal, report=sent.report, status=ReportStatus.CLOSED)
    triage.report_triage(actor=rw.alice.principal, report=sent.report, status=ReportStatus.IN_TRIAGE)
    sent.report.refresh_from_db()
    assert sent.report.purge_after is None
    assert retention.reports_purge_due(now=clock.now() + timedelta(days=1000)) == 0


def test_the_retention_is_the_channels(rw):
    from havenwatch.reporting.services import channels

    channels.channel_save(actor=rw.officer, channel=rw.channel, slug=rw.channel.slug, name=rw.channel.name,
                          retention_days=7)
    sent = submit(rw.channel)
    triage.report_triage(actor=rw.alice.principal, report=sent.report, status=ReportStatus.CLOSED)
    assert retention.reports_purge_due(now=clock.now() + timedelta(days=7, minutes=1)) == 1
