"""Reports, their conversation, attachments and triage log.

What a reporter wrote (answers, messages, attachments, file names) and what recipients
write about it (comments) is stored only sealed to the report's own public key. The
report's private key is stored only sealed: to each recipient's key (:class:`ReportKey`)
and under the key derived from the reporter's receipt. Kept in clear, because triage and
statistics need them and they identify nobody: the channel, the port, the category,
the status, routing, labels and times.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.reporting.choices import Author, EntryKind, MessageKind, ReportStatus

ANONYMOUS_REPORTER = "anonymous reporter"  # how the audit chain and the log name the reporter


class Report(models.Model):
    """One anonymous report and the state of its triage."""

    channel = models.ForeignKey("reporting.Channel", on_delete=models.PROTECT, related_name="reports",
                                verbose_name=_("channel"))
    number = models.PositiveIntegerField(_("number"))
    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                             verbose_name=_("port"))
    category = models.ForeignKey("reporting.Category", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("category"))
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.NEW)
    routed_to = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+", null=True,
                                  blank=True, verbose_name=_("competent organisation"))
    labels = models.ManyToManyField("reporting.Label", related_name="reports", blank=True,
                                    verbose_name=_("labels"))
    public_key = models.BinaryField(_("public key"), max_length=32)
    content = models.BinaryField(_("content (sealed)"))
    # The receipt: its Argon2id lookup half, and the report key under its other half.
    receipt_hash = models.CharField(_("receipt hash"), max_length=64, blank=True)
    receipt_box = models.BinaryField(_("report key under the receipt"), null=True, blank=True)
    receipt_opslimit = models.PositiveIntegerField(_("Argon2id passes"), default=0)
    receipt_memlimit = models.PositiveBigIntegerField(_("Argon2id memory"), default=0)
    forwarded_from = models.ForeignKey("self", on_delete=models.SET_NULL, related_name="+", null=True, blank=True,
                                       verbose_name=_("forwarded from"))
    submitted_at = models.DateTimeField(_("submitted"))
    reporter_active_at = models.DateTimeField(_("reporter's last message"), null=True, blank=True)
    reporter_read_at = models.DateTimeField(_("reporter last read"), null=True, blank=True)
    recipient_read_at = models.DateTimeField(_("recipients last read"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    purge_after = models.DateTimeField(_("deleted after"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["channel", "number"], name="%(app_label)s_%(class)s_number"),
            models.UniqueConstraint(fields=["channel", "receipt_hash"], condition=~models.Q(receipt_hash=""),
                                    name="%(app_label)s_%(class)s_receipt"),
        ]
        indexes = [
            models.Index(fields=["channel", "status", "submitted_at"], name="reporting_report_inbox"),
            models.Index(fields=["purge_after"], name="reporting_report_purge"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def reference(self) -> str:
        return f"{self.channel.slug}-{self.number}" if self.channel_id else str(self.number)


class ReportKey(models.Model):
    """The report's private key, sealed to one recipient's public key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="keys", verbose_name=_("report"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("recipient"))
    sealed = models.BinaryField(_("sealed report key"))

    class Meta:
        ordering = ["report", "user"]
        verbose_name = _("report key")
        verbose_name_plural = _("report keys")
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="%(app_label)s_%(class)s_once")]

    def __str__(self) -> str:
        return f"key of {self.report} for {self.user_id}"


class Message(models.Model):
    """A line of a report's conversation: the reporter's, a recipient's, or an internal comment."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages", verbose_name=_("report"))
    author = models.CharField(_("from"), max_length=16, choices=Author.choices)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+",
                                    null=True, blank=True, verbose_name=_("written by"))
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.BinaryField(_("text (sealed)"))
    created_at = models.DateTimeField(_("written"))

    class Meta:
        ordering = ["report", "created_at", "id"]
        verbose_name = _("report message")
        verbose_name_plural = _("report messages")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.report}"


class Attachment(models.Model):
    """A file added to a report, stripped of its metadata and then sealed with its name."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("report"))
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments", null=True,
                                blank=True, verbose_name=_("message"))
    author = models.CharField(_("from"), max_length=16, choices=Author.choices, default=Author.REPORTER)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    name = models.BinaryField(_("name (sealed)"))
    data = models.BinaryField(_("file (sealed)"))
    created_at = models.DateTimeField(_("added"))

    class Meta:
        ordering = ["report", "created_at", "id"]
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")

    def __str__(self) -> str:
        return f"attachment {self.pk} of {self.report}"


class Entry(models.Model):
    """One act of triage on a report, for its recipients: who did what, never the content."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="entries", verbose_name=_("report"))
    at = models.DateTimeField(_("time"))
    actor = models.CharField(_("by"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["report", "at", "id"]
        verbose_name = _("report log entry")
        verbose_name_plural = _("report log entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.report}"

    @property
    def shown_detail(self) -> str:
        """The detail in the reader's language where it is a code (a status)."""
        if self.kind == EntryKind.STATUS and self.detail in ReportStatus.values:
            return str(ReportStatus(self.detail).label)
        if self.kind == EntryKind.CATEGORY:
            category = self.report.channel.categories.filter(code=self.detail).first()
            return category.display_label if category is not None else self.detail
        return self.detail

    @property
    def shown_actor(self) -> str:
        return str(_("anonymous reporter")) if self.actor == ANONYMOUS_REPORTER else self.actor


class Forward(models.Model):
    """A redacted copy of a report sent to another channel (police, customs, another port)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="forwards", verbose_name=_("report"))
    to_channel = models.ForeignKey("reporting.Channel", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("to channel"))
    copy = models.ForeignKey(Report, on_delete=models.SET_NULL, related_name="+", null=True, blank=True,
                             verbose_name=_("copy"))
    at = models.DateTimeField(_("forwarded"))
    by = models.CharField(_("by"), max_length=200)
    redacted = models.BooleanField(_("redacted"), default=False)

    class Meta:
        ordering = ["report", "at", "id"]
        verbose_name = _("forwarding")
        verbose_name_plural = _("forwardings")

    def __str__(self) -> str:
        return f"{self.report} → {self.to_channel}"
