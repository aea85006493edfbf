"""The access API: people, their employers, credentials (and facility activations), vehicles."""

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.access import selectors_people
from havenwatch.access.models import Credential, Vehicle
from havenwatch.access.schemas_api import (
    ActivationIn,
    CredentialIn,
    CredentialOut,
    CredentialStateIn,
    DbId,
    EmployerIn,
    EnrolmentOut,
    PersonIn,
    PersonOut,
    VehicleIn,
    VehicleOut,
)
from havenwatch.access.services import people as people_services
from havenwatch.core import selectors
from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.models import Organisation, Port

router = Router(tags=["access: people"])


def _organisation(actor, organisation_id: int | None):
    """The named organisation among those the actor sees, or the actor's own."""
    if organisation_id is None:
        return actor.organisation
    return get_visible(selectors.organisation_list(principal=actor), organisation_id, "organisation")


# --- people ----------------------------------------------------------------------------


class PersonFilter(Schema):
    q: str | None = None
    employer_id: DbId | None = None


@router.get("/people", response=list[PersonOut], summary="People you may see (your staff; authorities: anyone)")
@paginate(Page)
def person_list(request, filters: Query[PersonFilter]):
    qs = selectors_people.person_list(principal=principal_of(request))
    if filters.q:
        qs = qs.filter(Q(first_name__icontains=filters.q) | Q(last_name__icontains=filters.q))
    if filters.employer_id is not None:
        qs = qs.filter(employer_id=filters.employer_id)
    return qs


@router.post("/people", response={201: PersonOut}, summary="Register a person employed by your organisation")
def person_register(request, payload: PersonIn):
    actor = principal_of(request)
    need(actor, "access.manage_people")
    employer = _organisation(actor, payload.employer_id)
    data = payload.dict(exclude={"employer_id"})
    return Status(201, people_services.person_register(actor=actor, employer=employer, **data))


@router.get("/people/{int:person_id}", response=PersonOut, summary="A person")
def person_detail(request, person_id: int):
    return get_visible(selectors_people.person_list(principal=principal_of(request)), person_id, "person")


@router.post("/people/{int:person_id}/employer", response=PersonOut,
             summary="Record a change of employer (the person's credentials go inactive)")
def person_change_employer(request, person_id: int, payload: EmployerIn):
    actor = principal_of(request)
    need(actor, "access.manage_people")
    person = get_visible(selectors_people.person_list(principal=actor), person_id, "person")
    employer = get_visible(Organisation.objects.filter(is_active=True), payload.employer_id, "organisation")
    return people_services.person_change_employer(actor=actor, person=person, employer=employer)


# --- credentials ---------------------------------------------------------------------------


class CredentialFilter(Schema):
    q: str | None = None
    state: str | None = None
    person_id: DbId | None = None
    port_id: DbId | None = None
    facility_id: DbId | None = None


@router.get("/credentials", response=list[CredentialOut], summary="Credentials you may see")
@paginate(Page)
def credential_list(request, filters: Query[CredentialFilter]):
    qs = selectors_people.credential_list(principal=principal_of(request))
    if filters.q:
        qs = qs.filter(number__icontains=filters.q)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.port_id is not None:
        qs = qs.filter(port_id=filters.port_id)
    if filters.facility_id is not None:
        qs = qs.filter(enrolments__facility_id=filters.facility_id, enrolments__is_active=True)
    return qs


@router.post("/credentials", response={201: CredentialOut}, summary="Issue a badge or mobile credential")
def credential_issue(request, payload: CredentialIn):
    actor = principal_of(request)
    need(actor, "access.manage_people")
    person = get_visible(selectors_people.person_list(principal=actor), payload.person_id, "person")
    port = get_visible(Port.objects.all(), payload.port_id, "port")
    return Status(201, people_services.credential_issue(
        actor=actor, person=person, port=port, number=payload.number, kind=payload.kind,
        valid_from=as_utc(payload.valid_from, "valid_from"), valid_until=as_utc(payload.valid_until, "valid_until"),
    ))


@router.get("/credentials/{int:credential_id}", response=CredentialOut, summary="A credential")
def credential_detail(request, credential_id: int):
    return get_visible(selectors_people.credential_list(principal=principal_of(request)), credential_id,
                       "credential")


@router.post("/credentials/{int:credential_id}/state", response=CredentialOut,
             summary="Set a credential active, inactive, blocked or expired, with a reason")
def credential_set_state(request, credential_id: int, payload: CredentialStateIn):
    actor = principal_of(request)
    need(actor, "access.manage_people")
    credential = get_visible(selectors_people.credential_list(principal=actor), credential_id, "credential")
    return people_services.credential_set_state(actor=actor, credential=credential, state=payload.state,
                                                reason=payload.reason)


def _activatable(actor, facility_id: int, credential_id: int):
    """The facility (one the actor sees) and the credential: one the actor sees, or any of the
    ports where the actor's organisation runs a facility (port-wide credentials are activated
    there by each facility)."""
    facility = get_visible(selectors.facility_list(principal=actor), facility_id, "facility")
    reach = Q(pk__in=selectors_people.credential_list(principal=actor).values("pk"))
    if actor.organisation_id is not None:
        reach |= Q(port__facilities__operator_id=actor.organisation_id)
    credential = get_visible(Credential.objects.filter(reach).distinct(), credential_id, "credential")
    return facility, credential


@router.post("/credentials/{int:credential_id}/activations", response={201: EnrolmentOut},
             summary="Activate a port-wide credential at your facility")
def credential_activate(request, credential_id: int, payload: ActivationIn):
    actor = principal_of(request)
    need(actor, "access.activate_credentials")
    facility, credential = _activatable(actor, payload.facility_id, credential_id)
    return Status(201, people_services.credential_activate(actor=actor, credential=credential, facility=facility))


@router.delete("/credentials/{int:credential_id}/activations/{int:facility_id}", response=EnrolmentOut,
               summary="End a credential's activation at your facility")
def credential_deactivate(request, credential_id: int, facility_id: int):
    actor = principal_of(request)
    need(actor, "access.activate_credentials")
    facility, credential = _activatable(actor, facility_id, credential_id)
    return people_services.credential_deactivate(actor=actor, credential=credential, facility=facility)


# --- vehicles ------------------------------------------------------------------------------


@router.get("/vehicles", response=list[VehicleOut], summary="Your organisation's vehicles")
@paginate(Page)
def vehicle_list(request, q: str | None = None, owner_id: DbId | None = None):
    qs = Vehicle.objects.restrict(principal_of(request), "access.view_person").prefetch_related("drivers")
    if q:
        qs = qs.filter(plate__icontains=q)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs


@router.post("/vehicles", response={201: VehicleOut}, summary="Register a vehicle by its number plate")
def vehicle_register(request, payload: VehicleIn):
    actor = principal_of(request)
    need(actor, "access.manage_people")
    owner = _organisation(actor, payload.owner_id)
    visible = selectors_people.person_list(principal=actor)
    drivers = [get_visible(visible, pk, "person") for pk in dict.fromkeys(payload.driver_ids)]
    return Status(201, people_services.vehicle_register(actor=actor, plate=payload.plate, country=payload.country,
                                                        owner=owner, drivers=drivers))
