"""Models of the core app, one module per concept."""

from havenwatch.core.models.audit import AuditCheckpoint, AuditHead, AuditRecord
from havenwatch.core.models.events import ConsumerOffset, OutboxEvent, OutboxEventParty, OutboxHead
from havenwatch.core.models.integrations import ApiToken, Webhook, WebhookDelivery
from havenwatch.core.models.notifications import Notification
from havenwatch.core.models.organisations import Jurisdiction, Organisation
from havenwatch.core.models.places import Facility, Port
from havenwatch.core.models.security_levels import SecurityLevelAcknowledgement, SecurityLevelChange
from havenwatch.core.models.users import Membership, User

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditHead",
    "AuditRecord",
    "ConsumerOffset",
    "Facility",
    "Jurisdiction",
    "Membership",
    "Notification",
    "Organisation",
    "OutboxEvent",
    "OutboxEventParty",
    "OutboxHead",
    "Port",
    "SecurityLevelAcknowledgement",
    "SecurityLevelChange",
    "User",
    "Webhook",
    "WebhookDelivery",
]
