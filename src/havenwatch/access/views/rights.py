"""Who may come in: authorisations for zones, credentials activated at a facility, and the
organisations approved to announce visitors. Reading for the security staff; granting,
activating and approving for the facility's security officer (PFSO)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from havenwatch.access import validation
from havenwatch.access.forms_places import (
    DAY_LABELS,
    ActivateForm,
    AnnouncerApproveForm,
    AuthorisationFilterForm,
    AuthorisationGrantForm,
    EnrolmentFilterForm,
    FacilityChoiceForm,
)
from havenwatch.access.models import Announcer, Credential, FacilityEnrolment, Zone
from havenwatch.access.selectors_people import credential_list
from havenwatch.access.selectors_places import authorisation_list, zone_list
from havenwatch.access.services.people import credential_activate, credential_deactivate
from havenwatch.access.services.rights import authorisation_grant, authorisation_revoke
from havenwatch.access.services.visits import announcer_approve
from havenwatch.access.views.places import managed_facilities
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.schedules import DAYS
from havenwatch.core.views._common import page, paginate, visible_or_404

# Organisations that announce visitors (Prean): shipping lines and agents, forwarders,
# hauliers, other companies and other terminals.
ANNOUNCER_KINDS = (
    OrganisationKind.SHIPPING_LINE,
    OrganisationKind.FORWARDER,
    OrganisationKind.TRANSPORT_COMPANY,
    OrganisationKind.COMPANY,
    OrganisationKind.FACILITY_OPERATOR,
)


def _now_to_the_minute():
    return clock.now().replace(second=0, microsecond=0)


# --- schedules in words --------------------------------------------------------------------


def _days_in_words(days: list[str]) -> str:
    """``["mon", "tue", "wed", "fri"]`` → "Monday to Wednesday and Friday"."""
    runs: list[list[str]] = []
    for day in days:
        if runs and DAYS.index(runs[-1][-1]) == DAYS.index(day) - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(_("%(first)s to %(last)s") % {"first": DAY_LABELS[run[0]], "last": DAY_LABELS[run[-1]]})
        else:
            parts.extend(str(DAY_LABELS[day]) for day in run)
    if len(parts) == 1:
        return parts[0]
    return _("%(days)s and %(last)s") % {"days": ", ".join(parts[:-1]), "last": parts[-1]}


def _span_in_words(start: str, end: str) -> str:
    if end <= start:
        return _("%(start)s to %(end)s the next day") % {"start": start, "end": end}
    return _("%(start)s to %(end)s") % {"start": start, "end": end}


def schedule_in_words(schedule: dict | None) -> str:
    """A weekly schedule as a person reads it: "Monday to Friday, 07:00 to 19:00."."""
    if not schedule:
        return _("At any hour.")
    groups: dict[tuple, list[str]] = {}
    for day in DAYS:
        ranges = schedule.get(day)
        if ranges:
            groups.setdefault(tuple(tuple(r) for r in ranges), []).append(day)
    sentences = []
    for ranges, days in groups.items():
        hours = ", ".join(_span_in_words(start, end) for start, end in ranges)
        sentences.append(_("%(days)s, %(hours)s.") % {"days": _days_in_words(days), "hours": hours})
    return " ".join(sentences)


# --- authorisations ------------------------------------------------------------------------


def _status_of(authorisation, now) -> tuple[str, str]:
    """(label, CSS class) of an authorisation at ``now``."""
    if authorisation.revoked_at is not None and authorisation.revoked_at <= now:
        return _("Revoked"), "danger"
    if authorisation.valid_until <= now:
        return _("Expired"), ""
    if authorisation.valid_from > now:
        return _("Not yet valid"), "warning"
    return _("Valid now"), "ok"


def _filter_by_holder(qs, term: str):
    term = term.strip()
    if not term:
        return qs
    by_name = Q()
    for word in term.split():
        by_name &= (Q(person__first_name__icontains=word) | Q(person__last_name__icontains=word)
                    | Q(organisation__name__icontains=word))
    by_credential = Q(person__in=Credential.objects.filter(number__iexact=term).values("person_id"))
    return qs.filter(by_name | by_credential)


@page("access.view_authorisation")
def authorisation_overview(request):
    principal = request.principal
    now = clock.now()
    qs = authorisation_list(principal=principal)
    can_grant = principal.has_perm("access.manage_authorisations")
    managed = managed_facilities(principal) if can_grant else Facility.objects.none()
    # The filters offer what the rows reach, and the zones the principal may see (a zone's page
    # links here even before anyone is authorised for it).
    facilities = Facility.objects.filter(
        Q(pk__in=qs.values("zone__facility_id")) | Q(pk__in=managed.values("pk"))).order_by("name")
    zones = (
        Zone.objects.filter(Q(pk__in=qs.values("zone_id")) | Q(pk__in=zone_list(principal=principal).values("pk")))
        .select_related("facility").order_by("facility__name", "code")
    )
    filters = AuthorisationFilterForm(request.GET or None, facilities=facilities, zones=zones)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["facility"] is not None:
            qs = qs.filter(zone__facility=data["facility"])
        if data["zone"] is not None:
            qs = qs.filter(zone=data["zone"])
        qs = _filter_by_holder(qs, data["holder"])
        status = data["status"]
        if status == AuthorisationFilterForm.LIVE:
            qs = qs.filter(pk__in=authorisation_list(principal=principal, active_at=now).values("pk"))
        elif status == AuthorisationFilterForm.UPCOMING:
            qs = qs.filter(valid_from__gt=now, revoked_at__isnull=True)
        elif status == AuthorisationFilterForm.EXPIRED:
            qs = qs.filter(valid_until__lte=now).filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))
        elif status == AuthorisationFilterForm.REVOKED:
            qs = qs.filter(revoked_at__lte=now)
    qs = qs.select_related("zone__facility__port", "person__employer").order_by(
        "zone__facility__name", "zone__code", "-valid_from", "pk")
    page_obj = paginate(request, qs)
    managed_ids = set(managed.values_list("pk", flat=True))
    for authorisation in page_obj:
        authorisation.status_label, authorisation.status_class = _status_of(authorisation, now)
        authorisation.schedule_text = schedule_in_words(authorisation.schedule)
        authorisation.can_revoke = (authorisation.zone.facility_id in managed_ids
                                    and authorisation.revoked_at is None and authorisation.valid_until > now)
    return render(request, "access/places/authorisations.html", {
        "filters": filters, "page_obj": page_obj, "can_grant": can_grant and bool(managed_ids),
    })


def _grant_facility(request, facilities):
    """The facility the grant is for: the only one, or the one chosen; ``None`` with the chooser."""
    source = request.POST if request.method == "POST" else request.GET
    if "facility" not in source and len(facilities) == 1:
        return facilities.first(), None
    chooser = FacilityChoiceForm(source if "facility" in source else None, facilities=facilities)
    if chooser.is_valid():
        return chooser.cleaned_data["facility"], None
    return None, chooser


def _person_by_credential(principal, facility, raw: str):
    """The holder of the credential numbered ``raw``: one the principal sees, or one of the
    facility's port (port-wide cards of contractors' staff are granted access here)."""
    number = validation.credential_number(raw)
    reach = Q(pk__in=credential_list(principal=principal).values("pk")) | Q(port_id=facility.port_id)
    credential = Credential.objects.filter(reach).filter(number=number).select_related("person").first()
    return number, (credential.person if credential is not None else None)


@page("access.manage_authorisations")
def authorisation_grant_view(request):
    principal = request.principal
    facilities = managed_facilities(principal).select_related("port")
    facility, chooser = _grant_facility(request, facilities)
    if facility is None:
        return render(request, "access/places/authorisation_choose_facility.html", {"form": chooser},
                      status=400 if chooser.errors else 200)
    form_kwargs = {
        "facilities": facilities,
        "facility": facility,
        "zones": zone_list(principal=principal, facility=facility).order_by("code"),
        "organisations": Organisation.objects.filter(is_active=True).exclude(kind=OrganisationKind.PLATFORM)
        .order_by("name"),
    }
    if request.method != "POST":
        start = _now_to_the_minute()
        form = AuthorisationGrantForm(initial={"facility": facility.pk, "valid_from": start}, **form_kwargs)
        return _grant_page(request, form, facility, len(facilities))
    form = AuthorisationGrantForm(request.POST, **form_kwargs)
    if form.is_valid():
        data = form.cleaned_data
        person = None
        try:
            if data["credential_number"].strip():
                number, person = _person_by_credential(principal, facility, data["credential_number"])
                if person is None:
                    form.add_error("credential_number", _("There is no credential %(number)s in %(port)s.")
                                   % {"number": number, "port": facility.port.name})
            if not form.errors:
                with transaction.atomic():  # one zone refused: none granted
                    for zone in data["zones"]:
                        authorisation_grant(
                            actor=principal, zone=zone, person=person, organisation=data["organisation"],
                            valid_from=data["valid_from"], valid_until=data["valid_until"],
                            purpose=data["purpose"], schedule=form.schedule(),
                            escort_required=data["escort_required"], vehicle_only=data["vehicle_only"],
                            requires_verification=data["requires_verification"],
                            required_training=data["required_training"],
                        )
        except ServiceError as error:
            add_service_error(form, error, fields={"person": "credential_number", "number": "credential_number",
                                                   "schedule": "time_from"})
        else:
            if not form.errors:
                count = len(data["zones"])
                messages.success(request, ngettext("Authorisation granted for %(count)s zone.",
                                                   "Authorisations granted for %(count)s zones.", count)
                                 % {"count": count})
                return redirect(f"{reverse('access:authorisations')}?facility={facility.pk}")
    return _grant_page(request, form, facility, len(facilities), status=400)


def _grant_page(request, form, facility, facility_count, status=200):
    return render(request, "access/places/authorisation_grant.html", {
        "form": form, "facility": facility, "facility_count": facility_count,
        "has_zones": form.fields["zones"].queryset.exists(),
    }, status=status)


@page("access.manage_authorisations")
def authorisation_revoke_view(request, authorisation_id: int):
    principal = request.principal
    # Only the zones of facilities the principal runs: an authorisation granted to its staff
    # elsewhere is visible in the list, but not the principal's to revoke.
    qs = (
        authorisation_list(principal=principal)
        .filter(zone__facility__in=managed_facilities(principal))
        .select_related("zone__facility__port", "person__employer")
    )
    authorisation = visible_or_404(qs, authorisation_id)
    error = None
    if request.method == "POST":
        try:
            authorisation_revoke(actor=principal, authorisation=authorisation)
        except ServiceError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("The authorisation of %(holder)s for %(zone)s is revoked.")
                             % {"holder": authorisation.person or authorisation.organisation,
                                "zone": authorisation.zone.name})
            return redirect(f"{reverse('access:authorisations')}?facility={authorisation.zone.facility_id}")
    now = clock.now()
    authorisation.status_label, authorisation.status_class = _status_of(authorisation, now)
    return render(request, "access/places/authorisation_revoke.html", {
        "authorisation": authorisation,
        "schedule_text": schedule_in_words(authorisation.schedule),
        "time_zone": authorisation.zone.facility.port.time_zone,
        "error": error,
    }, status=400 if error else 200)


# --- facility activations ----------------------------------------------------------------


def _enrolments(principal, facilities):
    # No selector for enrolments yet: the same deny-by-default restriction, to the facilities run.
    return (
        FacilityEnrolment.objects.restrict(principal, "access.view_credential")
        .filter(facility__in=facilities)
        .select_related("credential__person__employer", "facility__port")
    )


def _enrolment_page(request, *, activate_form=None, status=200, row_error=None):
    principal = request.principal
    facilities = managed_facilities(principal).select_related("port")
    qs = _enrolments(principal, facilities)
    filters = EnrolmentFilterForm(request.GET or None, facilities=facilities)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["facility"] is not None:
            qs = qs.filter(facility=data["facility"])
        if data["status"]:
            qs = qs.filter(is_active=data["status"] == EnrolmentFilterForm.ACTIVE)
        term = data["q"].strip()
        if term:
            by_name = Q()
            for word in term.split():
                by_name &= (Q(credential__person__first_name__icontains=word)
                            | Q(credential__person__last_name__icontains=word))
            qs = qs.filter(Q(credential__number__icontains=term) | by_name)
    initial = {}
    if filters.is_valid() and filters.cleaned_data["facility"] is not None:
        initial["facility"] = filters.cleaned_data["facility"].pk
    return render(request, "access/places/enrolments.html", {
        "filters": filters,
        "page_obj": paginate(request, qs.order_by("-is_active", "facility__name", "credential__number")),
        "activate_form": activate_form or ActivateForm(initial=initial, facilities=facilities),
        "has_facilities": facilities.exists(),
        "row_error": row_error,
    }, status=status)


@page("access.activate_credentials")
def enrolment_overview(request):
    return _enrolment_page(request)


@require_POST
@page("access.activate_credentials")
def enrolment_activate_view(request):
    principal = request.principal
    facilities = managed_facilities(principal).select_related("port")
    form = ActivateForm(request.POST, facilities=facilities)
    if form.is_valid():
        facility = form.cleaned_data["facility"]
        try:
            number = validation.credential_number(form.cleaned_data["number"])
            # Port-wide credentials are activated by each facility: the actor's own, and any of
            # the ports where its organisation runs a facility (as the API does).
            reach = Q(pk__in=credential_list(principal=principal).values("pk")) | Q(port_id=facility.port_id)
            credential = Credential.objects.filter(reach).filter(number=number).first()
            if credential is None:
                form.add_error("number", _("There is no credential %(number)s in %(port)s.")
                               % {"number": number, "port": facility.port.name})
            else:
                credential_activate(actor=principal, credential=credential, facility=facility)
        except ServiceError as error:
            add_service_error(form, error, fields={"credential": "number"})
        else:
            if not form.errors:
                messages.success(request, _("Credential %(number)s is active at %(facility)s.")
                                 % {"number": credential.number, "facility": facility.name})
                return redirect(f"{reverse('access:enrolments')}?facility={facility.pk}")
    return _enrolment_page(request, activate_form=form, status=400)


@require_POST
@page("access.activate_credentials")
def enrolment_deactivate_view(request, enrolment_id: int):
    principal = request.principal
    enrolment = visible_or_404(_enrolments(principal, managed_facilities(principal)), enrolment_id)
    try:
        credential_deactivate(actor=principal, credential=enrolment.credential, facility=enrolment.facility)
    except ServiceError as error:
        return _enrolment_page(request, status=400, row_error=str(error.message))
    messages.success(request, _("Credential %(number)s is no longer active at %(facility)s.")
                     % {"number": enrolment.credential.number, "facility": enrolment.facility.name})
    return redirect(f"{reverse('access:enrolments')}?facility={enrolment.facility_id}")


# --- visit announcers ---------------------------------------------------------------------


def _announcer_organisations(principal):
    # Every active organisation of an announcing kind may be picked (as in the API's grants);
    # the service checks the rest. The facility's own staff announce without an approval.
    return (
        Organisation.objects.filter(is_active=True, kind__in=ANNOUNCER_KINDS)
        .exclude(pk=principal.organisation_id)
        .order_by("name")
    )


def _announcer_page(request, *, form=None, status=200):
    principal = request.principal
    now = clock.now()
    facilities = managed_facilities(principal).select_related("port")
    # No selector for announcers yet: deny by default, then the facilities the principal runs.
    qs = (
        Announcer.objects.restrict(principal, "access.approve_visits")
        .filter(facility__in=facilities)
        .select_related("organisation", "facility__port")
    )
    current = list(qs.filter(valid_until__gt=now).order_by("facility__name", "organisation__name", "valid_from"))
    for announcer in current:
        announcer.upcoming = announcer.valid_from > now
    if form is None:
        form = AnnouncerApproveForm(initial={"valid_from": _now_to_the_minute()}, facilities=facilities,
                                    organisations=_announcer_organisations(principal))
    return render(request, "access/places/announcers.html", {
        "current": current,
        "expired_page": paginate(request, qs.filter(valid_until__lte=now).order_by("-valid_until", "pk")),
        "form": form,
        "has_facilities": facilities.exists(),
    }, status=status)


@page("access.approve_visits")
def announcer_overview(request):
    return _announcer_page(request)


@require_POST
@page("access.approve_visits")
def announcer_approve_view(request):
    principal = request.principal
    facilities = managed_facilities(principal).select_related("port")
    form = AnnouncerApproveForm(request.POST, facilities=facilities,
                                organisations=_announcer_organisations(principal))
    if form.is_valid():
        data = form.cleaned_data
        try:
            announcer = announcer_approve(actor=principal, organisation=data["organisation"],
                                          facility=data["facility"], valid_from=data["valid_from"],
                                          valid_until=data["valid_until"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(organisation)s may announce visitors at %(facility)s.")
                             % {"organisation": announcer.organisation.name, "facility": announcer.facility.name})
            return redirect("access:announcers")
    return _announcer_page(request, form=form, status=400)
