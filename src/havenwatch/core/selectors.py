"""Reads of the core app. Every one takes the principal and restricts by it."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from havenwatch.core.choices import EventAudience
from havenwatch.core.models import (
    ApiToken,
    AuditRecord,
    Facility,
    Membership,
    Notification,
    Organisation,
    OutboxEvent,
    Port,
    SecurityLevelAcknowledgement,
    SecurityLevelChange,
    User,
    Webhook,
    WebhookDelivery,
)
from havenwatch.core.principal import Principal


def organisation_list(*, principal: Principal) -> QuerySet[Organisation]:
    return Organisation.objects.restrict(principal, "core.view_organisation")


def port_list(*, principal: Principal) -> QuerySet[Port]:
    return Port.objects.restrict(principal, "core.view_port").select_related("authority")


def facility_list(*, principal: Principal) -> QuerySet[Facility]:
    return Facility.objects.restrict(principal, "core.view_facility").select_related("port", "operator")


def membership_list(*, principal: Principal) -> QuerySet[Membership]:
    return Membership.objects.restrict(principal, "core.view_membership").select_related(
        "user", "organisation", "facility"
    )


def user_list(*, principal: Principal) -> QuerySet[User]:
    memberships = membership_list(principal=principal)
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by("username")


def security_level_changes(*, principal: Principal) -> QuerySet[SecurityLevelChange]:
    return SecurityLevelChange.objects.restrict(principal, "core.view_security_level").select_related(
        "port", "facility", "set_by", "set_by_organisation"
    )


def pending_acknowledgements(*, principal: Principal) -> QuerySet[SecurityLevelAcknowledgement]:
    """Level changes this principal's facilities have not yet acknowledged."""
    if principal.organisation is None and not principal.is_platform_admin:
        return SecurityLevelAcknowledgement.objects.none()
    qs = SecurityLevelAcknowledgement.objects.restrict(principal, "core.acknowledge_security_level")
    return qs.filter(acknowledged_at__isnull=True).select_related("change", "change__port", "facility")


def acknowledgement_summary(change: SecurityLevelChange) -> dict[str, int]:
    counts = change.acknowledgements.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(acknowledged_at__isnull=False))
    )
    return {"total": counts["total"], "done": counts["done"]}


def audit_records(*, principal: Principal) -> QuerySet[AuditRecord]:
    return AuditRecord.objects.restrict(principal, "core.view_audit")


def token_list(*, principal: Principal) -> QuerySet[ApiToken]:
    return ApiToken.objects.restrict(principal, "core.manage_tokens").select_related("organisation", "facility")


def webhook_list(*, principal: Principal) -> QuerySet[Webhook]:
    return Webhook.objects.restrict(principal, "core.manage_webhooks").select_related("organisation")


def webhook_deliveries(*, principal: Principal) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.restrict(principal, "core.manage_webhooks").select_related("webhook", "event")


def notification_list(*, principal: Principal) -> QuerySet[Notification]:
    if principal.user is None:
        return Notification.objects.none()
    return Notification.objects.filter(user=principal.user, organisation_id=principal.organisation_id)


def _event_q(organisation_id: int | None, jurisdiction: frozenset[int], active: frozenset[int]) -> Q:
    q = Q(pk__in=[])
    if organisation_id is not None:
        q |= Q(organisation_id=organisation_id) & ~Q(audience=EventAudience.PLATFORM)
    if jurisdiction:
        q |= Q(port_id__in=sorted(jurisdiction)) & ~Q(audience=EventAudience.PLATFORM)
    if active:
        q |= Q(port_id__in=sorted(active), audience=EventAudience.PORT)
    return q


def visible_events(*, principal: Principal) -> QuerySet[OutboxEvent]:
    """The domain events a principal may follow in the live feed."""
    if not principal.has_perm("core.view_events"):
        return OutboxEvent.objects.none()
    if principal.is_platform_admin or principal.is_system:
        return OutboxEvent.objects.all()
    return OutboxEvent.objects.filter(
        _event_q(principal.organisation_id, principal.jurisdiction_port_ids, principal.active_port_ids)
    )


def event_visible_to_organisation(event: OutboxEvent, organisation: Organisation) -> bool:
    """Whether an organisation (for its webhooks) may receive an event."""
    from havenwatch.core.principal import port_sets

    jurisdiction, active = port_sets(organisation)
    if event.audience == EventAudience.PLATFORM:
        return False
    if event.organisation_id == organisation.pk:
        return True
    if event.port_id is not None and event.port_id in jurisdiction:
        return True
    return event.audience == EventAudience.PORT and event.port_id in active
