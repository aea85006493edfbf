"""The core's API routers."""

from datetime import datetime

from django.db.models import Count, Q
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch import __version__
from havenwatch.core import selectors
from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.api.schemas import (
    AcknowledgementOut,
    AuditRecordOut,
    CurrentLevelOut,
    DeliveryOut,
    EventOut,
    EventTypeOut,
    FacilityIn,
    FacilityOut,
    FacilityPatch,
    HealthOut,
    MembershipIn,
    MembershipOut,
    MeOut,
    NotificationOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    PermissionOut,
    PortIn,
    PortOut,
    PortPatch,
    SecurityLevelChangeIn,
    SecurityLevelChangeOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserIn,
    VerifyOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from havenwatch.core.event_types import all_types
from havenwatch.core.models import Facility, Organisation, Port
from havenwatch.core.permissions import all_permissions
from havenwatch.core.services import audit as audit_services
from havenwatch.core.services import organisations as org_services
from havenwatch.core.services import places as place_services
from havenwatch.core.services import security_levels as level_services
from havenwatch.core.services import tokens as token_services
from havenwatch.core.services import users as user_services
from havenwatch.core.services import webhooks as webhook_services

meta = Router(tags=["platform"])
organisations = Router(tags=["organisations"])
places = Router(tags=["ports and facilities"])
people = Router(tags=["users and roles"])
levels = Router(tags=["security levels"])
audit_router = Router(tags=["audit"])
integration = Router(tags=["tokens and webhooks"])
feed = Router(tags=["events and notifications"])


# --- platform ------------------------------------------------------------------


@meta.get("/health", auth=None, response=HealthOut, summary="Is the platform up (no sign-in needed)")
def health(request):
    return {"status": "ok", "version": __version__}


@meta.get("/me", response=MeOut, summary="Who the request acts as")
def me(request):
    p = principal_of(request)
    return {
        "username": p.user.username if p.user else None,
        "organisation_id": p.organisation_id,
        "organisation": p.organisation.name if p.organisation else None,
        "role": p.role,
        "token": p.token.prefix if p.token else None,
        "permissions": sorted(p.permissions if not p.is_platform_admin else all_permissions()),
    }


@meta.get("/permissions", response=list[PermissionOut], summary="Every permission a role or token can hold")
def permission_list(request):
    principal_of(request)
    return [{"code": i.code, "label": str(i.label), "token_grantable": i.token_grantable}
            for i in all_permissions().values()]


@meta.get("/event-types", response=list[EventTypeOut], summary="Every event type (audit and domain events)")
def event_type_list(request):
    principal_of(request)
    return [{"code": t.code, "label": str(t.label)} for t in all_types()]


# --- organisations ---------------------------------------------------------------


class OrganisationFilter(Schema):
    q: str | None = None
    kind: str | None = None


@organisations.get("/", response=list[OrganisationOut], summary="Organisations visible to you")
@paginate(Page)
def organisation_list(request, filters: Query[OrganisationFilter]):
    qs = selectors.organisation_list(principal=principal_of(request))
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(slug__icontains=filters.q))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


@organisations.post("/", response={201: OrganisationOut}, summary="Create an organisation")
def organisation_create(request, payload: OrganisationIn):
    actor = principal_of(request)
    need(actor, "core.manage_organisation")
    return Status(201, org_services.organisation_create(actor=actor, **payload.dict()))


@organisations.get("/{int:organisation_id}", response=OrganisationOut)
def organisation_detail(request, organisation_id: int):
    return get_visible(selectors.organisation_list(principal=principal_of(request)), organisation_id, "organisation")


@organisations.patch("/{int:organisation_id}", response=OrganisationOut)
def organisation_update(request, organisation_id: int, payload: OrganisationPatch):
    actor = principal_of(request)
    org = get_visible(selectors.organisation_list(principal=actor), organisation_id, "organisation")
    return org_services.organisation_update(actor=actor, organisation=org, **payload.dict(exclude_unset=True))


# --- ports and facilities -------------------------------------------------------------


@places.get("/ports", response=list[PortOut], summary="Ports")
@paginate(Page)
def port_list(request, q: str | None = None):
    qs = selectors.port_list(principal=principal_of(request))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(unlocode__icontains=q))
    return qs


@places.post("/ports", response={201: PortOut}, summary="Create a port")
def port_create(request, payload: PortIn):
    actor = principal_of(request)
    need(actor, "core.manage_organisation")
    authority = get_visible(Organisation.objects.all(), payload.authority_id, "organisation")
    data = payload.dict(exclude={"authority_id"})
    return Status(201, place_services.port_create(actor=actor, authority=authority, **data))


@places.get("/ports/{int:port_id}", response=PortOut)
def port_detail(request, port_id: int):
    return get_visible(selectors.port_list(principal=principal_of(request)), port_id, "port")


@places.patch("/ports/{int:port_id}", response=PortOut)
def port_update(request, port_id: int, payload: PortPatch):
    actor = principal_of(request)
    port = get_visible(selectors.port_list(principal=actor), port_id, "port")
    return place_services.port_update(actor=actor, port=port, **payload.dict(exclude_unset=True))


@places.get("/facilities", response=list[FacilityOut], summary="Port facilities visible to you")
@paginate(Page)
def facility_list(request, port_id: int | None = None, q: str | None = None):
    qs = selectors.facility_list(principal=principal_of(request))
    if port_id:
        qs = qs.filter(port_id=port_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(isps_number__icontains=q))
    return qs


@places.post("/facilities", response={201: FacilityOut}, summary="Create a port facility")
def facility_create(request, payload: FacilityIn):
    actor = principal_of(request)
    need(actor, "core.manage_facility")
    port = get_visible(selectors.port_list(principal=actor), payload.port_id, "port")
    operator = get_visible(Organisation.objects.filter(is_active=True), payload.operator_id, "organisation")
    return Status(201, place_services.facility_create(
        actor=actor, port=port, operator=operator, name=payload.name, isps_number=payload.isps_number,
        geometry=payload.geometry,
    ))


@places.get("/facilities/{int:facility_id}", response=FacilityOut)
def facility_detail(request, facility_id: int):
    return get_visible(selectors.facility_list(principal=principal_of(request)), facility_id, "facility")


@places.patch("/facilities/{int:facility_id}", response=FacilityOut)
def facility_update(request, facility_id: int, payload: FacilityPatch):
    actor = principal_of(request)
    facility = get_visible(selectors.facility_list(principal=actor), facility_id, "facility")
    return place_services.facility_update(actor=actor, facility=facility, **payload.dict(exclude_unset=True))


# --- users and roles ------------------------------------------------------------------


@people.get("/memberships", response=list[MembershipOut], summary="Users and their roles in your organisation")
@paginate(Page)
def membership_list(request, role: str | None = None, organisation_id: int | None = None):
    qs = selectors.membership_list(principal=principal_of(request))
    if role:
        qs = qs.filter(role=role)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    return qs


def _facility_or_none(actor, facility_id):
    if facility_id is None:
        return None
    return get_visible(Facility.objects.all(), facility_id, "facility")


@people.post("/users", response={201: MembershipOut}, summary="Create a user with a first role")
def user_create(request, payload: UserIn):
    actor = principal_of(request)
    need(actor, "core.manage_membership")
    organisation = get_visible(selectors.organisation_list(principal=actor), payload.organisation_id, "organisation")
    user = user_services.user_create(
        actor=actor, username=payload.username, email=payload.email, password=payload.password,
        first_name=payload.first_name, last_name=payload.last_name, organisation=organisation,
        role=payload.role, facility=_facility_or_none(actor, payload.facility_id),
    )
    return Status(201, user.memberships.get(organisation=organisation, role=payload.role))


@people.post("/memberships", response={201: MembershipOut}, summary="Give a user a role")
def membership_add(request, payload: MembershipIn):
    actor = principal_of(request)
    need(actor, "core.manage_membership")
    organisation = get_visible(selectors.organisation_list(principal=actor), payload.organisation_id, "organisation")
    user = get_visible(selectors.user_list(principal=actor).filter(is_active=True), payload.user_id, "user")
    return Status(201, user_services.membership_add(
        actor=actor, user=user, organisation=organisation, role=payload.role,
        facility=_facility_or_none(actor, payload.facility_id),
    ))


@people.delete("/memberships/{int:membership_id}", response=MembershipOut, summary="Withdraw a role")
def membership_remove(request, membership_id: int):
    actor = principal_of(request)
    membership = get_visible(selectors.membership_list(principal=actor), membership_id, "membership")
    return user_services.membership_remove(actor=actor, membership=membership)


# --- security levels -----------------------------------------------------------------


@levels.get("/security-levels", response=list[CurrentLevelOut], summary="Current levels of the ports you see")
def current_levels(request):
    principal = principal_of(request)
    need(principal, "core.view_security_level")
    facilities = selectors.facility_list(principal=principal) if principal.has_perm("core.view_facility") else None
    result = []
    for port in selectors.port_list(principal=principal):
        items = []
        if facilities is not None:
            items = [
                {"id": f.pk, "name": f.name, "isps_number": f.isps_number, "level": f.effective_security_level}
                for f in facilities if f.port_id == port.pk
            ]
        result.append({"port_id": port.pk, "port": port.name, "unlocode": port.unlocode,
                       "port_level": port.security_level, "facilities": items})
    return result


@levels.get("/security-levels/changes", response=list[SecurityLevelChangeOut], summary="History of level changes")
@paginate(Page)
def level_changes(request, port_id: int | None = None, facility_id: int | None = None):
    qs = selectors.security_level_changes(principal=principal_of(request)).annotate(
        ack_total=Count("acknowledgements"),
        acked=Count("acknowledgements", filter=Q(acknowledgements__acknowledged_at__isnull=False)),
    )
    if port_id:
        qs = qs.filter(port_id=port_id)
    if facility_id:
        qs = qs.filter(facility_id=facility_id)
    return qs


@levels.post("/security-levels/changes", response={201: SecurityLevelChangeOut}, summary="Raise or lower a level")
def level_change(request, payload: SecurityLevelChangeIn):
    actor = principal_of(request)
    need(actor, "core.change_security_level")
    port = get_visible(Port.objects.all(), payload.port_id, "port")
    facility = None
    if payload.facility_id is not None:
        facility = get_visible(selectors.facility_list(principal=actor), payload.facility_id, "facility")
    change = level_services.security_level_set(
        actor=actor, port=port, facility=facility, level=payload.level, reason=payload.reason
    )
    change.acked = 0
    change.ack_total = change.acknowledgements.count()
    return Status(201, change)


@levels.get("/security-levels/acknowledgements", response=list[AcknowledgementOut],
            summary="Level changes your facilities still have to acknowledge")
@paginate(Page)
def pending_acknowledgements(request):
    return selectors.pending_acknowledgements(principal=principal_of(request))


@levels.post("/security-levels/acknowledgements/{int:ack_id}/acknowledge", response=AcknowledgementOut)
def acknowledge(request, ack_id: int):
    actor = principal_of(request)
    need(actor, "core.acknowledge_security_level")
    from havenwatch.core.models import SecurityLevelAcknowledgement

    ack = get_visible(
        SecurityLevelAcknowledgement.objects.restrict(actor, "core.acknowledge_security_level").select_related(
            "facility", "change"
        ),
        ack_id, "acknowledgement",
    )
    return level_services.security_level_acknowledge(actor=actor, acknowledgement=ack)


# --- audit ---------------------------------------------------------------------------


class AuditFilter(Schema):
    code: str | None = None
    actor: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@audit_router.get("/audit", response=list[AuditRecordOut], summary="Audit records visible to you, newest first")
@paginate(Page)
def audit_list(request, filters: Query[AuditFilter]):
    qs = selectors.audit_records(principal=principal_of(request))
    if filters.code:
        qs = qs.filter(code__startswith=filters.code)
    if filters.actor:
        qs = qs.filter(actor_label__icontains=filters.actor)
    if filters.subject_type:
        qs = qs.filter(subject_type=filters.subject_type)
    if filters.subject_id:
        qs = qs.filter(subject_id=filters.subject_id)
    if filters.since:
        qs = qs.filter(occurred_at__gte=as_utc(filters.since, "since"))
    if filters.until:
        qs = qs.filter(occurred_at__lt=as_utc(filters.until, "until"))
    return qs


@audit_router.post("/audit/verify", response=VerifyOut, summary="Walk the whole chain and its signed checkpoints")
def audit_verify(request):
    actor = principal_of(request)
    need(actor, "core.verify_audit")
    return audit_services.audit_chain_verify(actor=actor).as_dict()


# --- tokens and webhooks ---------------------------------------------------------------


@integration.get("/tokens", response=list[TokenOut], summary="Your organisation's API tokens")
@paginate(Page)
def token_list(request):
    return selectors.token_list(principal=principal_of(request))


@integration.post("/tokens", response={201: TokenCreatedOut}, summary="Create a token (shown once)")
def token_create(request, payload: TokenIn):
    actor = principal_of(request)
    need(actor, "core.manage_tokens")
    facility = None
    if payload.facility_id is not None:
        facility = get_visible(selectors.facility_list(principal=actor), payload.facility_id, "facility")
    token, raw = token_services.token_create(
        actor=actor, name=payload.name, permissions=payload.permissions, expires_at=as_utc(payload.expires_at, "expires_at"),
        facility=facility,
    )
    out = TokenOut.from_orm(token).dict()
    return Status(201, {**out, "token": raw})


@integration.post("/tokens/{int:token_id}/revoke", response=TokenOut, summary="Revoke a token")
def token_revoke(request, token_id: int):
    actor = principal_of(request)
    token = get_visible(selectors.token_list(principal=actor), token_id, "token")
    return token_services.token_revoke(actor=actor, token=token)


@integration.get("/webhooks", response=list[WebhookOut], summary="Your organisation's webhooks")
@paginate(Page)
def webhook_list(request):
    return selectors.webhook_list(principal=principal_of(request))


@integration.post("/webhooks", response={201: WebhookCreatedOut}, summary="Register a webhook (secret shown once)")
def webhook_create(request, payload: WebhookIn):
    actor = principal_of(request)
    need(actor, "core.manage_webhooks")
    webhook, secret = webhook_services.webhook_create(
        actor=actor, url=payload.url, event_types=payload.event_types, description=payload.description
    )
    return Status(201, {**WebhookOut.from_orm(webhook).dict(), "secret": secret})


@integration.patch("/webhooks/{int:webhook_id}", response=WebhookOut)
def webhook_update(request, webhook_id: int, payload: WebhookPatch):
    actor = principal_of(request)
    webhook = get_visible(selectors.webhook_list(principal=actor), webhook_id, "webhook")
    return webhook_services.webhook_update(actor=actor, webhook=webhook, **payload.dict(exclude_unset=True))


@integration.delete("/webhooks/{int:webhook_id}", response={204: None})
def webhook_delete(request, webhook_id: int):
    actor = principal_of(request)
    webhook = get_visible(selectors.webhook_list(principal=actor), webhook_id, "webhook")
    webhook_services.webhook_delete(actor=actor, webhook=webhook)
    return Status(204, None)


@integration.get("/webhooks/{int:webhook_id}/deliveries", response=list[DeliveryOut], summary="Delivery log")
@paginate(Page)
def webhook_deliveries(request, webhook_id: int, status: str | None = None):
    actor = principal_of(request)
    webhook = get_visible(selectors.webhook_list(principal=actor), webhook_id, "webhook")
    qs = selectors.webhook_deliveries(principal=actor).filter(webhook=webhook)
    if status:
        qs = qs.filter(status=status)
    return qs


# --- events and notifications -------------------------------------------------------------


@feed.get("/events", response=list[EventOut], summary="Domain events visible to you, in order")
@paginate(Page)
def event_list(request, after: int = 0, type: str | None = None):
    qs = selectors.visible_events(principal=principal_of(request)).filter(sequence__gt=after)
    if type:
        qs = qs.filter(type__startswith=type)
    return qs.order_by("sequence")


@feed.get("/notifications", response=list[NotificationOut], summary="Your notifications")
@paginate(Page)
def notification_list(request, unread: bool = False):
    qs = selectors.notification_list(principal=principal_of(request))
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


@feed.post("/notifications/{int:notification_id}/read", response=NotificationOut)
def notification_read(request, notification_id: int):
    from havenwatch.core.services.notifications import notification_mark_read

    actor = principal_of(request)
    item = get_visible(selectors.notification_list(principal=actor), notification_id, "notification")
    return notification_mark_read(actor=actor, notification=item)


ROUTERS = [
    ("/", meta),
    ("/organisations/", organisations),
    ("/", places),
    ("/", people),
    ("/", levels),
    ("/", audit_router),
    ("/", integration),
    ("/", feed),
]
