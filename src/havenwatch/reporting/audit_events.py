"""Anonymous reporting's event types. None carries content or anything of the reporter:
a report is named by its channel and number only."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.event_types import register

REPORT = ("channel", "number")
register("reporting.channel.saved", _("Reporting channel saved"),
         fields=("channel", "name", "public", "active", "retention_days", "ports", "categories", "questions"))
register("reporting.recipient.added", _("Report recipient added"), fields=("channel", "user"))
register("reporting.recipient.removed", _("Report recipient removed"), fields=("channel", "user", "keys_deleted"))
register("reporting.key.enrolled", _("Recipient key created"), fields=("user", "public_key"))
register("reporting.key.password_changed", _("Recipient key password changed"), fields=("user",))
register("reporting.key.recovered", _("Recipient key recovered"), fields=("user", "recovery_replaced"))
register("reporting.report.submitted", _("Anonymous report received"), fields=(*REPORT, "category", "port"))
register("reporting.report.reporter_wrote", _("Reporter added information"), fields=(*REPORT, "attachments"))
register("reporting.report.opened", _("Report read by a recipient"), fields=REPORT)
register("reporting.report.file_opened", _("Report attachment opened by a recipient"), fields=(*REPORT, "file"))
register("reporting.report.replied", _("Recipient wrote to the reporter"), fields=(*REPORT, "kind"))
register("reporting.report.commented", _("Internal comment on a report"), fields=REPORT)
register("reporting.report.triaged", _("Report triaged"), fields=(*REPORT, "changes"))
register("reporting.report.forwarded", _("Report forwarded"),
         fields=(*REPORT, "to_channel", "copy", "redacted", "content"), digest_fields=("content",))
register("reporting.report.shared", _("Report shared with new recipients"), fields=(*REPORT, "recipients"))
register("reporting.report.received", _("Forwarded report received"),
         fields=(*REPORT, "from_channel", "category", "port"))
register("reporting.report.purged", _("Report deleted at the end of its retention"), fields=(*REPORT, "closed_at"))
