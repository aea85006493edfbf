"""Reads of the core app. Every one takes the principal and restricts by it."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from havenwatch.core.choices import EventAudience, OrganisationKind
from havenwatch.core.models import (
    ApiToken,
    AuditRecord,
    Facility,
    Jurisdiction,
    Membership,
    Notification,
    Organisation,
    OutboxEvent,
    OutboxEventParty,
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
    """People who hold a role in an organisation the principal may manage or read.

    Platform administrators see every account, including people without any role yet.
    """
    if principal.has_perm("core.view_membership") and principal.unrestricted:
        return User.objects.order_by("username")
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


def acknowledgement_list(*, principal: Principal) -> QuerySet[SecurityLevelAcknowledgement]:
    """The acknowledgements this principal may give (acknowledged or not)."""
    return SecurityLevelAcknowledgement.objects.restrict(principal, "core.acknowledge_security_level").select_related(
        "change", "change__port", "facility"
    )


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
        mine = Q(organisation_id=organisation_id) | Q(
            pk__in=OutboxEventParty.objects.filter(organisation_id=organisation_id).values("event_id"))
        q |= mine & ~Q(audience=EventAudience.PLATFORM)
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
    if event.parties.filter(organisation_id=organisation.pk).exists():
        return True
    if event.port_id is not None and event.port_id in jurisdiction:
        return True
    return event.audience == EventAudience.PORT and event.port_id in active


# --- pages of the web UI ------------------------------------------------------------


def jurisdiction_list(*, principal: Principal) -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.restrict(principal, "core.view_organisation").select_related("organisation", "port")


def facility_operator_choices(*, principal: Principal) -> QuerySet[Organisation]:
    """Organisations a principal who may create facilities can name as a facility's operator."""
    if not principal.has_perm("core.manage_facility"):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        is_active=True, kind__in=[OrganisationKind.FACILITY_OPERATOR, OrganisationKind.PORT_AUTHORITY]
    ).order_by("name")


def my_ports(*, principal: Principal) -> QuerySet[Port]:
    """The ports a principal works in: every port for the platform, else the ports its
    organisation has a jurisdiction over or operates in (all ports if it has none)."""
    ports = port_list(principal=principal)
    if principal.unrestricted or not principal.active_port_ids:
        return ports
    return ports.filter(pk__in=sorted(principal.active_port_ids))


def ports_in_jurisdiction(*, principal: Principal) -> QuerySet[Port]:
    """The ports this principal's organisation is an authority over (every port for the platform)."""
    ports = port_list(principal=principal)
    if principal.unrestricted:
        return ports
    return ports.filter(pk__in=sorted(principal.jurisdiction_port_ids))


def level_board(*, principal: Principal) -> list[dict]:
    """Each of the principal's ports with its level and the levels of its visible facilities."""
    if not principal.has_perm("core.view_security_level"):
        return []
    ports = list(my_ports(principal=principal))
    facilities = list(
        facility_list(principal=principal).filter(port__in=ports, is_active=True).order_by("name")
    ) if principal.has_perm("core.view_facility") else []
    board = []
    for port in ports:
        items = [f for f in facilities if f.port_id == port.pk]
        board.append({
            "port": port,
            "facilities": items,
            "highest": max([port.security_level, *[f.effective_security_level for f in items]]),
        })
    return board


def level_badges(*, principal: Principal, membership: Membership | None = None) -> list[dict]:
    """What the shell's security level badge shows: the level where this person works.

    A role bound to one facility sees that facility; a facility operator its facilities;
    everyone else the ports they work in.
    """
    if not principal.has_perm("core.view_security_level"):
        return []
    if membership is not None and membership.facility_id is not None:
        facility = Facility.objects.select_related("port").filter(pk=membership.facility_id).first()
        if facility is not None:
            return [{"name": facility.name, "level": facility.effective_security_level}]
    if principal.organisation is not None and not principal.unrestricted:
        own = list(Facility.objects.filter(operator=principal.organisation, is_active=True)
                   .select_related("port").order_by("name"))
        if own and not principal.jurisdiction_port_ids:
            return [{"name": f.name, "level": f.effective_security_level} for f in own]
    return [{"name": p.name, "level": p.security_level} for p in my_ports(principal=principal)]


def level_change_targets(*, principal: Principal) -> tuple[QuerySet[Port], QuerySet[Facility]]:
    """The ports and facilities whose level this principal may set."""
    if not principal.has_perm("core.change_security_level"):
        return Port.objects.none(), Facility.objects.none()
    ports = Port.objects.restrict(principal, "core.change_security_level")
    if not principal.unrestricted:
        ports = ports.filter(pk__in=sorted(principal.jurisdiction_port_ids))
    facilities = Facility.objects.restrict(principal, "core.change_security_level").filter(
        is_active=True
    ).select_related("port")
    return ports.order_by("name"), facilities.order_by("port__name", "name")


def security_level_history(*, principal: Principal) -> QuerySet[SecurityLevelChange]:
    """Level changes with their acknowledgement progress and the facilities still pending."""
    return security_level_changes(principal=principal).annotate(
        ack_total=Count("acknowledgements"),
        ack_done=Count("acknowledgements", filter=Q(acknowledgements__acknowledged_at__isnull=False)),
    ).prefetch_related(
        Prefetch(
            "acknowledgements",
            queryset=SecurityLevelAcknowledgement.objects.filter(acknowledged_at__isnull=True)
            .select_related("facility").order_by("facility__name"),
            to_attr="pending_acks",
        )
    ).order_by("-set_at", "-pk")
