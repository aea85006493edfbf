"""The access API: zones, access points and authorisations."""

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.access import selectors_people, selectors_places
from havenwatch.access.models import Person
from havenwatch.access.schemas_api import (
    AccessPointIn,
    AccessPointOut,
    AuthorisationIn,
    AuthorisationOut,
    DbId,
    ZoneIn,
    ZoneOut,
)
from havenwatch.access.services import places as place_services
from havenwatch.access.services import rights as right_services
from havenwatch.core import clock, selectors
from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.models import Organisation

router = Router(tags=["access: zones and rights"])


# --- zones ----------------------------------------------------------------------------


class ZoneFilter(Schema):
    q: str | None = None
    facility_id: DbId | None = None
    port_id: DbId | None = None


@router.get("/zones", response=list[ZoneOut], summary="Zones (restricted areas) you may see")
@paginate(Page)
def zone_list(request, filters: Query[ZoneFilter]):
    qs = selectors_places.zone_list(principal=principal_of(request))
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.facility_id is not None:
        qs = qs.filter(facility_id=filters.facility_id)
    if filters.port_id is not None:
        qs = qs.filter(facility__port_id=filters.port_id)
    return qs


@router.post("/zones", response={201: ZoneOut}, summary="Create a zone of your facility")
def zone_create(request, payload: ZoneIn):
    actor = principal_of(request)
    need(actor, "access.manage_zones")
    facility = get_visible(selectors.facility_list(principal=actor), payload.facility_id, "facility")
    rules = {level: rule.dict() for level, rule in (payload.level_rules or {}).items()}
    return Status(201, place_services.zone_create(
        actor=actor, facility=facility, code=payload.code, name=payload.name, geometry=payload.geometry,
        escort_required=payload.escort_required, requires_verification=payload.requires_verification,
        level_rules=rules,
    ))


@router.get("/zones/{int:zone_id}", response=ZoneOut, summary="A zone")
def zone_detail(request, zone_id: int):
    return get_visible(selectors_places.zone_list(principal=principal_of(request)), zone_id, "zone")


# --- access points ------------------------------------------------------------------------


class AccessPointFilter(Schema):
    q: str | None = None
    facility_id: DbId | None = None
    zone_id: DbId | None = None


@router.get("/access-points", response=list[AccessPointOut], summary="Access points (turnstiles, gates)")
@paginate(Page)
def access_point_list(request, filters: Query[AccessPointFilter]):
    qs = selectors_places.access_point_list(principal=principal_of(request))
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.facility_id is not None:
        qs = qs.filter(zone__facility_id=filters.facility_id)
    if filters.zone_id is not None:
        qs = qs.filter(zone_id=filters.zone_id)
    return qs


@router.post("/access-points", response={201: AccessPointOut}, summary="Create an access point on a zone")
def access_point_create(request, payload: AccessPointIn):
    actor = principal_of(request)
    need(actor, "access.manage_zones")
    zone = get_visible(selectors_places.zone_list(principal=actor), payload.zone_id, "zone")
    data = payload.dict(exclude={"zone_id"})
    return Status(201, place_services.access_point_create(actor=actor, zone=zone, **data))


# --- authorisations ----------------------------------------------------------------------


class AuthorisationFilter(Schema):
    zone_id: DbId | None = None
    facility_id: DbId | None = None
    person_id: DbId | None = None
    organisation_id: DbId | None = None
    active: bool | None = None


@router.get("/authorisations", response=list[AuthorisationOut], summary="Authorisations you may see")
@paginate(Page)
def authorisation_list(request, filters: Query[AuthorisationFilter]):
    qs = selectors_places.authorisation_list(principal=principal_of(request))
    if filters.zone_id is not None:
        qs = qs.filter(zone_id=filters.zone_id)
    if filters.facility_id is not None:
        qs = qs.filter(zone__facility_id=filters.facility_id)
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.organisation_id is not None:
        qs = qs.filter(organisation_id=filters.organisation_id)
    if filters.active is not None:
        now = clock.now()
        live = Q(valid_from__lte=now, valid_until__gt=now, revoked_at__isnull=True)
        qs = qs.filter(live) if filters.active else qs.exclude(live)
    return qs


@router.post("/authorisations", response={201: AuthorisationOut},
             summary="Let a person, or every employee of an organisation, into a zone")
def authorisation_grant(request, payload: AuthorisationIn):
    actor = principal_of(request)
    need(actor, "access.manage_authorisations")
    zone = get_visible(selectors_places.zone_list(principal=actor), payload.zone_id, "zone")
    person = organisation = None
    if payload.person_id is not None:
        # People the actor sees, and holders of a credential of the zone's port (contractors' staff).
        reach = Q(pk__in=selectors_people.person_list(principal=actor).values("pk")) | Q(
            credentials__port_id=zone.facility.port_id)
        person = get_visible(Person.objects.filter(reach).distinct(), payload.person_id, "person")
    if payload.organisation_id is not None:
        organisation = get_visible(Organisation.objects.filter(is_active=True), payload.organisation_id,
                                   "organisation")
    return Status(201, right_services.authorisation_grant(
        actor=actor, zone=zone, person=person, organisation=organisation,
        valid_from=as_utc(payload.valid_from, "valid_from"), valid_until=as_utc(payload.valid_until, "valid_until"),
        purpose=payload.purpose, schedule=payload.schedule, escort_required=payload.escort_required,
        vehicle_only=payload.vehicle_only, requires_verification=payload.requires_verification,
        required_training=payload.required_training,
    ))


@router.post("/authorisations/{int:authorisation_id}/revoke", response=AuthorisationOut,
             summary="End an authorisation now")
def authorisation_revoke(request, authorisation_id: int):
    actor = principal_of(request)
    need(actor, "access.manage_authorisations")
    authorisation = get_visible(selectors_places.authorisation_list(principal=actor), authorisation_id,
                                "authorisation")
    return right_services.authorisation_revoke(actor=actor, authorisation=authorisation)
