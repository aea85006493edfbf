from havenwatch.reporting.models.abuse import AnonymousThrottle, SpentChallenge
from havenwatch.reporting.models.channels import Category, Channel, Label, Recipient, RecipientKey
from havenwatch.reporting.models.reports import Attachment, Entry, Forward, Message, Report, ReportKey

__all__ = [
    "AnonymousThrottle", "Attachment", "Category", "Channel", "Entry", "Forward", "Label", "Message", "Recipient",
    "RecipientKey", "Report", "ReportKey", "SpentChallenge",
]
