"""Constants of anonymous reporting, each a class with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_TRIAGE = "in_triage", _("In triage")
    FORWARDED = "forwarded", _("Forwarded")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (ReportStatus.NEW, ReportStatus.IN_TRIAGE, ReportStatus.FORWARDED)


class Author(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    RECIPIENT = "recipient", _("Recipient")


class MessageKind(models.TextChoices):
    """What a line of a report's conversation is; a comment never reaches the reporter."""

    MESSAGE = "message", _("Message")
    QUESTION = "question", _("Question to the reporter")
    COMMENT = "comment", _("Internal comment")


class EntryKind(models.TextChoices):
    """The triage log of a report, seen by its recipients (no content in it)."""

    SUBMITTED = "submitted", _("Submitted")
    STATUS = "status", _("Status changed")
    CATEGORY = "category", _("Category changed")
    ROUTED = "routed", _("Routed")
    LABELS = "labels", _("Labels changed")
    FORWARDED = "forwarded", _("Forwarded")
    RECEIVED = "received", _("Received by forwarding")
    SHARED = "shared", _("Shared with a new recipient")
