"""Recipients are told when a report comes in or its reporter writes: the bell in the page
and an e-mail in their language. Neither carries anything of the report but its channel
and number, and a link that still needs a sign-in and the unlocked key."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from havenwatch.core import clock
from havenwatch.core.events import consumer
from havenwatch.core.models import Notification, OutboxEvent
from havenwatch.reporting.models import Recipient, Report

log = logging.getLogger(__name__)

TITLES = {
    "reporting.report.submitted": gettext_noop("New anonymous report"),
    "reporting.report.received": gettext_noop("Report forwarded to your channel"),
    "reporting.report.reporter_wrote": gettext_noop("The reporter wrote"),
}


def report_url(report: Report) -> str:
    return f"{settings.HAVENWATCH['PUBLIC_URL']}/reporting/{report.pk}/"


@consumer("reporting.notify", types=set(TITLES))
def notify_recipients(event: OutboxEvent) -> None:
    report = Report.objects.select_related("channel").filter(
        channel__slug=event.payload.get("channel"), number=event.payload.get("number")).first()
    if report is None:  # deleted since (retention)
        return
    title = TITLES[event.type]
    told = []
    for recipient in Recipient.objects.filter(channel=report.channel, user__is_active=True).select_related("user"):
        _note, created = Notification.objects.get_or_create(
            user_id=recipient.user_id, event_sequence=event.sequence, kind=event.type, defaults={
                "organisation_id": report.channel.owner_id, "title": title, "created_at": clock.now(),
                "body": f"{report.channel.name} · #{report.number}", "link": f"/reporting/{report.pk}/"})
        if created and recipient.user.email:
            told.append(recipient.user)
    if told:
        transaction.on_commit(lambda: _mail(report, told, title))


def _mail(report: Report, users, title: str) -> None:
    for user in users:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            subject = f"[{settings.HAVENWATCH['INSTANCE_NAME']}] {_(title)} · {report.channel.name} #{report.number}"
            body = "\n".join([
                f"{_(title)}: {report.channel.name} #{report.number}", "",
                _("Open it (sign-in and your reporting key needed): %(link)s") % {"link": report_url(report)},
                "", _("Nothing of the report is in this e-mail, on purpose."),
            ])
        try:
            send_mail(subject[:200], body, None, [user.email])
        except Exception:  # the bell still has it; the mail server's trouble is logged
            log.exception("report e-mail to user %s failed", user.pk)
