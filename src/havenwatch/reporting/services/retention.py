"""Retention: a closed report is deleted when its channel's retention has run out.

Deletion is cryptographic first: the report's sealed keys (to recipients and under the
receipt) are overwritten and deleted, so whatever copy of its ciphertext survives in a
backup, a WAL file or a free page can no longer be opened by anyone. The ciphertext is
then overwritten and the rows deleted; on SQLite ``secure_delete`` makes the file's
freed pages zeros. Only the audit record "deleted at the end of its retention" stays.
"""

from __future__ import annotations

from django.db import connection, transaction

from havenwatch.core import clock
from havenwatch.core.principal import system_principal
from havenwatch.core.services._emit import emit
from havenwatch.reporting.models import Attachment, Entry, Forward, Message, Report, ReportKey

SHRED = b""


def _secure_delete_on() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


@transaction.atomic
def report_purge(report: Report, *, actor=None) -> None:
    actor = actor or system_principal("retention")
    _secure_delete_on()
    ReportKey.objects.filter(report=report).update(sealed=SHRED)
    ReportKey.objects.filter(report=report).delete()
    Message.objects.filter(report=report).update(body=SHRED)
    Attachment.objects.filter(report=report).update(name=SHRED, data=SHRED)
    Report.objects.filter(pk=report.pk).update(content=SHRED, receipt_box=SHRED, receipt_hash="", public_key=SHRED)
    Forward.objects.filter(copy=report).update(copy=None)
    Report.objects.filter(forwarded_from=report).update(forwarded_from=None)
    for model in (Attachment, Message, Entry, Forward):
        model.objects.filter(report=report).delete()
    report.labels.clear()
    emit(actor=actor, code="reporting.report.purged", subject=("reporting.report", report.pk),
         organisation_id=report.channel.owner_id, port_id=report.port_id, publish=False,
         data={"channel": report.channel.slug, "number": report.number,
               "closed_at": report.closed_at.isoformat() if report.closed_at else None})
    Report.objects.filter(pk=report.pk).delete()


def reports_purge_due(*, now=None, limit: int = 200) -> int:
    """Delete closed reports whose retention ran out (oldest first, ``limit`` per round)."""
    now = now or clock.now()
    due = list(Report.objects.filter(purge_after__lte=now).select_related("channel").order_by("purge_after")[:limit])
    for report in due:
        report_purge(report)
    return len(due)
