"""People, credential and vehicle pages: a company's access manager registers its staff,
issues and blocks their credentials, asks for their screening and registers its vehicles
(a facility's security officer does the same for the facility operator's own staff).

Reads go through the selectors (another organisation's person is a 404); every write
is a service call, whose refusal is shown on the form that asked for it.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from stdnum.be import nn

from havenwatch.access import selectors_people
from havenwatch.access.choices import CredentialKind, CredentialState, ScreeningResult, VerificationStatus
from havenwatch.access.forms_people import (
    CredentialIssueForm,
    CredentialStateForm,
    EmployerChangeForm,
    PersonFilterForm,
    PersonRegisterForm,
    RecordCheckForm,
    TrainingForm,
    VehicleFilterForm,
    VehicleRegisterForm,
    VerificationRequestForm,
)
from havenwatch.access.models import (
    CredentialStateChange,
    Employment,
    FacilityEnrolment,
    RecordCheck,
    SecurityVerification,
    TrainingRecord,
    Vehicle,
)
from havenwatch.access.services import people as people_services
from havenwatch.access.services import screening as screening_services
from havenwatch.access.validation import PLATE_SEPARATORS_RE
from havenwatch.core import clock, selectors
from havenwatch.core.authz import may
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Organisation, Port
from havenwatch.core.views._common import page, paginate, visible_or_404

STATE_TAGS = {
    CredentialState.ACTIVE: "ok",
    CredentialState.INACTIVE: "warning",
    CredentialState.BLOCKED: "danger",
    CredentialState.EXPIRED: "",
}
SCREENING_TAGS = {ScreeningResult.HIT: "danger", ScreeningResult.CLEAR: "ok", ScreeningResult.UNAVAILABLE: "warning"}
VERIFICATION_TAGS = {
    VerificationStatus.POSITIVE: "ok",
    VerificationStatus.NEGATIVE: "danger",
    VerificationStatus.EXPIRED: "warning",
}


def _may_check_ban(principal) -> bool:
    return principal.has_perm("access.check_ban") or principal.has_perm("access.manage_bans")


def _own(principal, organisation_id) -> bool:
    """Whether a row of ``organisation_id`` is the principal's organisation's to act on."""
    return principal.unrestricted or (organisation_id is not None and organisation_id == principal.organisation_id)


def _screening(result: str) -> dict:
    return {"label": ScreeningResult(result).label, "tag": SCREENING_TAGS.get(result, "")}


# -- people list -------------------------------------------------------------------------

def _home_port(principal) -> Port | None:
    """The one port the principal works in (its facility's, or its authority's), if just one."""
    if len(principal.active_port_ids) != 1:
        return None
    return Port.objects.filter(pk__in=principal.active_port_ids).first()


@page("access.view_person")
def person_list(request):
    principal = request.principal
    people = selectors_people.person_list(principal=principal)
    credentials = selectors_people.credential_list(principal=principal)
    employers = Organisation.objects.filter(pk__in=people.values("employer_id")).order_by("name")
    filters = PersonFilterForm(request.GET or None, employers=employers)
    if filters.is_valid():
        data = filters.cleaned_data
        for word in data["q"].split():
            people = people.filter(
                Q(first_name__icontains=word) | Q(last_name__icontains=word)
                | Q(pk__in=credentials.filter(number__icontains=word).values("person_id"))
            )
        if data["employer"] is not None:
            people = people.filter(employer=data["employer"])
        if data["state"]:
            people = people.filter(pk__in=credentials.filter(state=data["state"]).values("person_id"))
    page_obj = paginate(request, people.order_by("last_name", "first_name", "pk"))

    # One query for every row's credentials, counted by state (never a query per row).
    counts: dict[int, dict[str, int]] = {}
    for row in (credentials.filter(person_id__in=[p.pk for p in page_obj]).order_by()
                .values("person_id", "state").annotate(n=Count("pk"))):
        counts.setdefault(row["person_id"], {})[row["state"]] = row["n"]
    # The ban check is asked per person, so only where the port is obvious: the viewer's
    # one port. Otherwise the person's page asks it for each of the person's ports.
    ban_port = _home_port(principal) if _may_check_ban(principal) else None
    rows = []
    for person in page_obj:
        held = counts.get(person.pk, {})
        rows.append({
            "person": person,
            "credentials": [{"label": label, "count": held[value], "tag": STATE_TAGS[value]}
                            for value, label in CredentialState.choices if held.get(value)],
            "ban": _screening(selectors_people.ban_status_for(principal=principal, person=person, port=ban_port))
            if ban_port is not None else None,
        })
    return render(request, "access/people/list.html", {
        "filters": filters,
        "page_obj": page_obj,
        "rows": rows,
        "ban_port": ban_port,
        "can_register": principal.has_perm("access.manage_people") and principal.organisation is not None,
    })


# -- registering a person ----------------------------------------------------------------

@page("access.manage_people")
def person_register_view(request):
    principal = request.principal
    employer = principal.organisation
    if employer is None:
        raise PermissionDenied("access.manage_people")
    form = PersonRegisterForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                person = people_services.person_register(actor=principal, employer=employer, **form.cleaned_data)
            except ServiceError as error:
                add_service_error(form, error, fields={"country": "nationality"})
            else:
                messages.success(request, _("%(person)s is registered as an employee of %(employer)s. You can now "
                                            "issue them a credential.") % {"person": person, "employer": employer})
                return redirect("access:person_detail", person_id=person.pk)
        return render(request, "access/people/register.html", {"form": form, "employer": employer}, status=400)
    return render(request, "access/people/register.html", {"form": form, "employer": employer})


# -- one person --------------------------------------------------------------------------

def _visible_person(request, person_id: int):
    return visible_or_404(selectors_people.person_list(principal=request.principal), person_id)


def _next_states(principal, credential, now) -> list[str]:
    """The states the principal may sensibly move the credential to (the service decides)."""
    if not principal.has_perm("access.manage_people") or not _own(principal, credential.issued_by_id):
        return []
    allowed = people_services.TRANSITIONS.get(credential.state, set())
    states = [value for value in CredentialState.values if value in allowed]
    if CredentialState.ACTIVE in states and (
        credential.person.employer_id != credential.issued_by_id or credential.valid_until <= now
    ):
        states.remove(CredentialState.ACTIVE)
    return states


def _state_form_prefix(credential) -> str:
    return f"credential-{credential.pk}"


def _issue_form(principal, data=None):
    ports = selectors.port_list(principal=principal)
    home = _home_port(principal)
    now = clock.now().replace(second=0, microsecond=0)
    initial = {"port": home, "kind": CredentialKind.CARD, "valid_from": now,
               "valid_until": now + timedelta(days=5 * 365)}
    return CredentialIssueForm(data, prefix="issue", ports=ports, initial=initial)


def _employer_form(person, data=None):
    organisations = (Organisation.objects.filter(is_active=True).exclude(kind=OrganisationKind.PLATFORM)
                     .exclude(pk=person.employer_id).order_by("name"))
    return EmployerChangeForm(data, prefix="employer", organisations=organisations)


def _detail(request, person, *, bound=None, state_form=None, national_number=None, status=200):
    """The person's page; ``bound`` holds a refused form (by name) to show with its errors."""
    principal = request.principal
    bound = bound or {}
    now = clock.now()
    can_manage = principal.has_perm("access.manage_people") and may(principal, "access.manage_people", person)

    credentials = list(
        selectors_people.credential_list(principal=principal).filter(person=person)
        .prefetch_related(
            Prefetch("state_changes", queryset=CredentialStateChange.objects.order_by("-changed_at", "-pk")),
            # Where a credential the viewer sees is activated is part of that credential
            # (the credential API filters by it too).
            Prefetch("enrolments", queryset=FacilityEnrolment.objects.select_related("facility__port")
                     .order_by("facility__name", "pk")),
        )
        .order_by("-valid_until", "pk")
    )
    credential_rows = []
    for credential in credentials:
        states = _next_states(principal, credential, now)
        form = None
        if state_form is not None and state_form.prefix == _state_form_prefix(credential):
            form = state_form  # refused: shown with its message, whatever it offers now
        elif states:
            form = CredentialStateForm(prefix=_state_form_prefix(credential), states=states)
        credential_rows.append({
            "credential": credential,
            "tag": STATE_TAGS.get(credential.state, ""),
            "changes": list(credential.state_changes.all()),
            "form": form,
            "issued_here": _own(principal, credential.issued_by_id),
        })
    enrolments = [e for c in credentials for e in c.enrolments.all()]

    bans = None
    if _may_check_ban(principal):
        ports = Port.objects.filter(
            Q(pk__in=principal.active_port_ids) | Q(pk__in={c.port_id for c in credentials})
        ).order_by("name")
        bans = [{"port": port, **_screening(selectors_people.ban_status_for(principal=principal, person=person,
                                                                             port=port))}
                for port in ports]

    verifications = None
    if principal.has_perm("access.decide_verifications") or principal.has_perm("access.request_verifications"):
        action = ("access.decide_verifications" if principal.has_perm("access.decide_verifications")
                  else "access.request_verifications")
        verifications = []
        for verification in SecurityVerification.objects.restrict(principal, action).filter(person=person) \
                .select_related("requested_by").order_by("-requested_at", "pk"):
            current = screening_services.verification_status(verification, now)
            verifications.append({"verification": verification, "label": VerificationStatus(current).label,
                                  "tag": VERIFICATION_TAGS.get(current, "")})
    checks = None
    if principal.has_perm("access.record_checks"):
        checks = list(RecordCheck.objects.restrict(principal, "access.record_checks").filter(person=person)
                      .order_by("-checked_on", "-pk"))

    trainings = list(TrainingRecord.objects.restrict(principal, "access.view_person").filter(person=person)
                     .order_by("course", "-completed_on", "-pk"))
    today = now.date()
    training_rows = [{"record": t, "valid": t.valid_until is None or t.valid_until >= today} for t in trainings]
    employed_here = _own(principal, person.employer_id)
    can_train = principal.has_perm("access.record_training") and employed_here
    can_request = principal.has_perm("access.request_verifications") and employed_here
    can_record = principal.has_perm("access.record_checks") and employed_here
    return render(request, "access/people/detail.html", {
        "person": person,
        "can_manage": can_manage,
        "national_number": national_number,
        "has_national_number": bool(person.national_number_sealed),
        "credential_rows": credential_rows,
        "enrolments": enrolments,
        "employments": Employment.objects.restrict(principal, "access.view_person").filter(person=person)
        .select_related("organisation").order_by("-started_on", "-pk"),
        "vehicles": Vehicle.objects.restrict(principal, "access.view_person").filter(drivers=person)
        .select_related("owner").order_by("plate"),
        "bans": bans,
        "verifications": verifications,
        "checks": checks,
        "issue_form": bound.get("issue") or (_issue_form(principal) if can_manage else None),
        "employer_form": bound.get("employer") or (_employer_form(person) if can_manage else None),
        "verification_form": bound.get("verification")
        or (VerificationRequestForm(prefix="verification") if can_request else None),
        "check_form": bound.get("check") or (RecordCheckForm(prefix="check") if can_record else None),
        "training_rows": training_rows,
        "training_form": bound.get("training") or (TrainingForm(prefix="training") if can_train else None),
    }, status=status)


@page("access.view_person")
def person_detail(request, person_id: int):
    return _detail(request, _visible_person(request, person_id))


@require_POST
@never_cache
@page("access.manage_people")
def person_national_number_view(request, person_id: int):
    """Show the national number once, in this response only (nothing is kept in the session)."""
    person = _visible_person(request, person_id)
    try:
        number = people_services.person_national_number(actor=request.principal, person=person)
    except ServiceError as error:
        raise PermissionDenied(str(error.message)) from error
    return _detail(request, person, national_number=nn.format(number) if number else "")


@require_POST
@page("access.manage_people")
def credential_issue_view(request, person_id: int):
    principal = request.principal
    person = _visible_person(request, person_id)
    form = _issue_form(principal, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            credential = people_services.credential_issue(
                actor=principal, person=person, port=data["port"], number=data["number"],
                kind=data["kind"] or CredentialKind.CARD, valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Credential %(number)s is issued to %(person)s for %(port)s.")
                             % {"number": credential.number, "person": person, "port": credential.port.name})
            return redirect("access:person_detail", person_id=person.pk)
    return _detail(request, person, bound={"issue": form}, status=400)


@require_POST
@page("access.manage_people")
def credential_state_view(request, credential_id: int):
    principal = request.principal
    credential = visible_or_404(selectors_people.credential_list(principal=principal), credential_id)
    person = _visible_person(request, credential.person_id)
    form = CredentialStateForm(request.POST, prefix=_state_form_prefix(credential), states=CredentialState.values)
    if form.is_valid():
        try:
            credential = people_services.credential_set_state(
                actor=principal, credential=credential, state=form.cleaned_data["state"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Credential %(number)s is now: %(state)s.")
                             % {"number": credential.number, "state": credential.get_state_display()})
            return redirect("access:person_detail", person_id=person.pk)
    # Shown again with the choices that make sense now; the refusal stays on it.
    form.offer(_next_states(principal, credential, clock.now()) or CredentialState.values)
    return _detail(request, person, state_form=form, status=400)


@require_POST
@page("access.manage_people")
def person_employer_view(request, person_id: int):
    principal = request.principal
    person = _visible_person(request, person_id)
    form = _employer_form(person, request.POST)
    if form.is_valid():
        employer = form.cleaned_data["employer"]
        try:
            person = people_services.person_change_employer(actor=principal, person=person, employer=employer)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(person)s now works for %(employer)s. Their active credentials are set "
                                        "inactive: the new employer issues new ones.")
                             % {"person": person, "employer": employer.name})
            if selectors_people.person_list(principal=principal).filter(pk=person.pk).exists():
                return redirect("access:person_detail", person_id=person.pk)
            return redirect("access:people")  # no longer one of ours to see
    return _detail(request, person, bound={"employer": form}, status=400)


@require_POST
@page("access.request_verifications")
def person_verification_view(request, person_id: int):
    principal = request.principal
    person = _visible_person(request, person_id)
    form = VerificationRequestForm(request.POST, prefix="verification")
    if form.is_valid():
        try:
            screening_services.verification_request(actor=principal, person=person,
                                                    function=form.cleaned_data["function"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The security verification of %(person)s is requested. The authority "
                                        "decides; its answer appears on this page.") % {"person": person})
            return redirect("access:person_detail", person_id=person.pk)
    return _detail(request, person, bound={"verification": form}, status=400)


@require_POST
@page("access.record_checks")
def person_record_check_view(request, person_id: int):
    principal = request.principal
    person = _visible_person(request, person_id)
    form = RecordCheckForm(request.POST, prefix="check")
    if form.is_valid():
        try:
            screening_services.record_check_record(actor=principal, person=person,
                                                   checked_on=form.cleaned_data["checked_on"],
                                                   result=form.cleaned_data["result"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The criminal-record extract check of %(person)s is recorded.")
                             % {"person": person})
            return redirect("access:person_detail", person_id=person.pk)
    return _detail(request, person, bound={"check": form}, status=400)


@require_POST
@page("access.record_training")
def person_training_view(request, person_id: int):
    principal = request.principal
    person = _visible_person(request, person_id)
    form = TrainingForm(request.POST, prefix="training")
    if form.is_valid():
        data = form.cleaned_data
        try:
            screening_services.training_record(actor=principal, person=person, course=data["course"],
                                               completed_on=data["completed_on"], valid_until=data["valid_until"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The course %(course)s of %(person)s is recorded.")
                             % {"course": " ".join(data["course"].split()), "person": person})
            return redirect("access:person_detail", person_id=person.pk)
    return _detail(request, person, bound={"training": form}, status=400)


# -- vehicles ----------------------------------------------------------------------------

@page("access.view_person")
def vehicle_list(request):
    principal = request.principal
    vehicles = (
        Vehicle.objects.restrict(principal, "access.view_person")
        .select_related("owner")
        # Drivers the viewer may see (someone who moved to another employer is not listed).
        .prefetch_related(Prefetch("drivers", queryset=selectors_people.person_list(principal=principal)))
    )
    filters = VehicleFilterForm(request.GET or None)
    if filters.is_valid() and filters.cleaned_data["q"]:
        vehicles = vehicles.filter(plate__icontains=PLATE_SEPARATORS_RE.sub("", filters.cleaned_data["q"]).upper())
    return render(request, "access/people/vehicles.html", {
        "filters": filters,
        "page_obj": paginate(request, vehicles.order_by("plate", "pk")),
        "can_register": principal.has_perm("access.manage_people") and principal.organisation is not None,
    })


@page("access.manage_people")
def vehicle_register_view(request):
    principal = request.principal
    owner = principal.organisation
    if owner is None:
        raise PermissionDenied("access.manage_people")
    people = selectors_people.person_list(principal=principal).filter(employer=owner)
    form = VehicleRegisterForm(request.POST or None, people=people, country=owner.country)
    context = {"form": form, "owner": owner}
    if request.method != "POST":
        return render(request, "access/people/vehicle_register.html", context)
    if form.is_valid():
        plate, country = form.plate_and_country()
        try:
            vehicle = people_services.vehicle_register(actor=principal, plate=plate, country=country, owner=owner,
                                                       drivers=list(form.cleaned_data["drivers"]))
        except ServiceError as error:
            add_service_error(form, error, fields={"country": "plate"})
        else:
            messages.success(request, _("The vehicle with number plate %(plate)s is registered.")
                             % {"plate": vehicle.plate})
            return redirect("access:vehicles")
    return render(request, "access/people/vehicle_register.html", context, status=400)
