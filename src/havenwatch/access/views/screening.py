"""Screening pages: port bans (authorities), the companies' ban check (hit / no hit /
unavailable, never the file) and security verifications (requested by employers, decided
by authorities)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from havenwatch.access.choices import ScreeningResult, VerificationStatus
from havenwatch.access.forms_screening import (
    BanCheckForm,
    BanFilterForm,
    BanIssueForm,
    BanLiftForm,
    BanScope,
    BanState,
    PersonSearchForm,
    VerificationDecideForm,
    VerificationFilter,
    VerificationFilterForm,
    VerificationRequestForm,
)
from havenwatch.access.models import PortBan, SecurityVerification
from havenwatch.access.selectors_people import ban_list as select_bans
from havenwatch.access.selectors_people import ban_status_for, credential_list, person_list
from havenwatch.access.services.screening import (
    ban_issue,
    ban_lift,
    verification_decide,
    verification_request,
    verification_status,
)
from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import AuditRecord
from havenwatch.core.selectors import my_ports, port_list
from havenwatch.core.views._common import page, paginate, visible_or_404

SEARCH_LIMIT = 25
OPEN_VERIFICATIONS = (VerificationStatus.REQUESTED, VerificationStatus.PENDING)


def _name_filter(qs, text: str, prefix: str = ""):
    """Every word of ``text`` in the first or the last name."""
    for word in text.split():
        qs = qs.filter(Q(**{f"{prefix}first_name__icontains": word}) | Q(**{f"{prefix}last_name__icontains": word}))
    return qs


# -- port bans -------------------------------------------------------------------------


def ban_state(ban: PortBan, now) -> BanState:
    if ban.lifted_at is not None:
        return BanState.LIFTED
    if ban.valid_until <= now:
        return BanState.EXPIRED
    if ban.valid_from > now:
        return BanState.UPCOMING
    return BanState.IN_FORCE


def _ban_state_q(state: str, now) -> Q:
    return {
        BanState.LIFTED: Q(lifted_at__isnull=False),
        BanState.EXPIRED: Q(lifted_at__isnull=True, valid_until__lte=now),
        BanState.UPCOMING: Q(lifted_at__isnull=True, valid_from__gt=now),
        BanState.IN_FORCE: Q(lifted_at__isnull=True, valid_from__lte=now, valid_until__gt=now),
    }[state]


def _ban_zone(ban: PortBan, ports) -> str:
    """A ban of one port is shown in that port's time; any other in the platform's."""
    if not ban.all_ports and len(ports) == 1:
        return ports[0].time_zone
    return settings.TIME_ZONE


def _bans(request):
    return select_bans(principal=request.principal).select_related("person__employer", "issued_by")


@page("access.manage_bans")
def ban_list_view(request):
    principal = request.principal
    now = clock.now()
    ports = port_list(principal=principal).order_by("name")
    filters = BanFilterForm(request.GET or None, ports=ports)
    qs = _bans(request)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["q"]:
            for word in data["q"].split():
                qs = qs.filter(Q(person__first_name__icontains=word) | Q(person__last_name__icontains=word)
                               | Q(legal_reference__icontains=word))
        if data["state"]:
            qs = qs.filter(_ban_state_q(data["state"], now))
        if data["port"] is not None:
            qs = qs.filter(Q(all_ports=True) | Q(ports__pk=data["port"])).distinct()
    page_obj = paginate(request, qs.prefetch_related("ports").order_by("-issued_at", "pk"))
    rows = []
    for ban in page_obj:
        ban_ports = list(ban.ports.all())
        rows.append({"ban": ban, "ports": ban_ports, "state": ban_state(ban, now), "zone": _ban_zone(ban, ban_ports)})
    return render(request, "access/screening/ban_list.html", {
        "filters": filters, "page_obj": page_obj, "rows": rows,
    })


@page("access.manage_bans")
def ban_issue_view(request):
    """Step one of issuing a ban: find the person."""
    principal = request.principal
    search = PersonSearchForm(request.GET or None)
    results = None
    if search.is_valid():
        data = search.cleaned_data
        qs = person_list(principal=principal)
        if data["name"]:
            qs = _name_filter(qs, data["name"])
        if data["date_of_birth"] is not None:
            qs = qs.filter(date_of_birth=data["date_of_birth"])
        if data["credential_number"]:
            qs = qs.filter(credentials__number__iexact=data["credential_number"])
        in_force = select_bans(principal=principal).filter(
            person=OuterRef("pk"), lifted_at__isnull=True, valid_until__gt=clock.now())
        results = list(qs.annotate(banned=Exists(in_force)).distinct()
                       .order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT + 1])
    return render(request, "access/screening/ban_search.html", {
        "search": search,
        "results": results[:SEARCH_LIMIT] if results is not None else None,
        "more": results is not None and len(results) > SEARCH_LIMIT,
        "limit": SEARCH_LIMIT,
    }, status=400 if search.errors else 200)


def _issue_page(request, person, form, status=200):
    in_force = list(
        _bans(request).filter(person=person, lifted_at__isnull=True, valid_until__gt=clock.now())
        .prefetch_related("ports").order_by("valid_from", "pk")
    )
    return render(request, "access/screening/ban_issue.html", {
        "person": person, "form": form, "bans_in_force": in_force, "time_zone": settings.TIME_ZONE,
    }, status=status)


@page("access.manage_bans")
def ban_issue_person_view(request, person_id: int):
    """Step two: the ban itself, for the person found."""
    principal = request.principal
    person = visible_or_404(person_list(principal=principal), person_id)
    ports = port_list(principal=principal).order_by("name")
    if request.method != "POST":
        start = clock.now().replace(second=0, microsecond=0)
        form = BanIssueForm(ports=ports, initial={"scope": BanScope.ALL_PORTS, "valid_from": start})
        return _issue_page(request, person, form)
    form = BanIssueForm(request.POST, ports=ports)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ban = ban_issue(actor=principal, person=person, ports=form.chosen_ports(),
                            valid_from=data["valid_from"], valid_until=data["valid_until"],
                            legal_reference=data["legal_reference"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            outcome = ban_outcome(ban)
            messages.success(request, " ".join([
                _("The ban of %(person)s is issued.") % {"person": person},
                _credentials_sentence(outcome["credentials_blocked"]),
                _visits_sentence(outcome["visits_stopped"]),
            ]))
            return redirect("access:ban_detail", ban_id=ban.pk)
    return _issue_page(request, person, form, status=400)


def ban_outcome(ban: PortBan) -> dict[str, int]:
    """What issuing the ban did, as the service recorded it in the ban's audit record
    (the service returns the ban only)."""
    record = AuditRecord.objects.filter(
        code="access.ban.issued", subject_type=PortBan._meta.label_lower, subject_id=str(ban.pk),
    ).order_by("sequence").first()
    data = record.data if record is not None else {}
    return {"credentials_blocked": int(data.get("credentials_blocked") or 0),
            "visits_stopped": int(data.get("visits_stopped") or 0),
            "recorded": record is not None}


def _credentials_sentence(count: int) -> str:
    if not count:
        return _("The person had no live credential to block.")
    return ngettext("%(count)s credential of the person was blocked.",
                    "%(count)s credentials of the person were blocked.", count) % {"count": count}


def _visits_sentence(count: int) -> str:
    if not count:
        return _("No announced or approved visit of the person had to be stopped.")
    return ngettext("%(count)s announced or approved visit of the person was stopped.",
                    "%(count)s announced or approved visits of the person were stopped.", count) % {"count": count}


def _ban_detail(request, ban, *, lift_form=None, status=200):
    now = clock.now()
    ports = list(ban.ports.order_by("name"))
    outcome = ban_outcome(ban)
    state = ban_state(ban, now)
    return render(request, "access/screening/ban_detail.html", {
        "ban": ban,
        "ports": ports,
        "state": state,
        "time_zone": _ban_zone(ban, ports),
        "outcome": outcome,
        "credentials_sentence": _credentials_sentence(outcome["credentials_blocked"]),
        "visits_sentence": _visits_sentence(outcome["visits_stopped"]),
        "lift_form": lift_form or (BanLiftForm() if ban.lifted_at is None else None),
    }, status=status)


@page("access.manage_bans")
def ban_detail(request, ban_id: int):
    return _ban_detail(request, visible_or_404(_bans(request), ban_id))


@require_POST
@page("access.manage_bans")
def ban_lift_view(request, ban_id: int):
    ban = visible_or_404(_bans(request), ban_id)
    form = BanLiftForm(request.POST)
    if form.is_valid():
        try:
            ban_lift(actor=request.principal, ban=ban, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The ban is lifted. Credentials it blocked stay blocked: the employer "
                                        "issues new ones."))
            return redirect("access:ban_detail", ban_id=ban.pk)
    return _ban_detail(request, visible_or_404(_bans(request), ban_id), lift_form=form, status=400)


# -- the companies' ban check ----------------------------------------------------------


def _person_to_check(principal, form: BanCheckForm):
    """The person the form names, among those the principal may see; errors go on the form."""
    data = form.cleaned_data
    if data["credential_number"]:
        credential = (credential_list(principal=principal)
                      .filter(number__iexact=data["credential_number"]).first())
        if credential is None:
            form.add_error("credential_number", _(
                "No credential with this number among the credentials you can see. Check the number; for "
                "someone from another company, ask their employer or the port security officer to check."))
            return None
        return credential.person
    people = person_list(principal=principal).filter(
        last_name__iexact=data["last_name"], date_of_birth=data["date_of_birth"])
    if data["first_name"]:
        people = people.filter(first_name__iexact=data["first_name"])
    found = list(people.order_by("pk")[:2])
    if not found:
        form.add_error(None, _("No one you can see has this name and date of birth. Check the spelling, "
                               "or enter the person's credential number."))
        return None
    if len(found) > 1:
        form.add_error(None, _("Several people you can see have this name and date of birth: add the first "
                               "name, or enter the credential number."))
        return None
    return found[0]


@page("access.check_ban")
def ban_check_view(request):
    principal = request.principal
    ports = port_list(principal=principal).order_by("name")
    result = None
    if request.method != "POST":
        mine = list(my_ports(principal=principal).values_list("pk", flat=True)[:2])
        form = BanCheckForm(ports=ports, initial={"port": mine[0] if len(mine) == 1 else None})
    else:
        form = BanCheckForm(request.POST, ports=ports)
        if form.is_valid():
            person = _person_to_check(principal, form)
            if person is not None:
                port = form.chosen_port()
                try:
                    answer = ban_status_for(principal=principal, person=person, port=port)
                except ServiceError as error:
                    add_service_error(form, error)
                else:
                    # Only the answer reaches the page: never the ban, its dates or who issued it.
                    result = {"code": answer, "label": ScreeningResult(answer).label, "person": person,
                              "port": port, "checked_at": clock.now()}
    status = 400 if request.method == "POST" and result is None else 200
    return render(request, "access/screening/ban_check.html", {
        "form": form, "result": result, "time_zone": result["port"].time_zone if result else settings.TIME_ZONE,
    }, status=status)


# -- security verifications ------------------------------------------------------------


def _verifications(principal):
    """Authorities see every verification; employers their own requests; others none."""
    if principal.has_perm("access.decide_verifications"):
        action = "access.decide_verifications"
    elif principal.has_perm("access.request_verifications"):
        action = "access.request_verifications"
    else:
        return SecurityVerification.objects.none()
    return SecurityVerification.objects.restrict(principal, action).select_related("person", "requested_by")


def _verification_filter_q(show: str, now) -> Q | None:
    return {
        VerificationFilter.OPEN: Q(status__in=OPEN_VERIFICATIONS),
        VerificationFilter.REQUESTED: Q(status=VerificationStatus.REQUESTED),
        VerificationFilter.PENDING: Q(status=VerificationStatus.PENDING),
        VerificationFilter.NEGATIVE: Q(status=VerificationStatus.NEGATIVE),
        VerificationFilter.POSITIVE: Q(status=VerificationStatus.POSITIVE, valid_until__gt=now),
        VerificationFilter.EXPIRED: Q(status=VerificationStatus.EXPIRED)
        | Q(status=VerificationStatus.POSITIVE, valid_until__isnull=True)
        | Q(status=VerificationStatus.POSITIVE, valid_until__lte=now),
    }.get(show)


def _verification_row(verification, now) -> dict:
    status = verification_status(verification, now)
    return {"v": verification, "status": status, "label": VerificationStatus(status).label,
            "open": verification.status in OPEN_VERIFICATIONS}


@page("access.view_person")
def verification_list_view(request):
    principal = request.principal
    now = clock.now()
    can_decide = principal.has_perm("access.decide_verifications")
    can_request = principal.has_perm("access.request_verifications")
    default = VerificationFilter.OPEN if can_decide else VerificationFilter.ALL
    filters = VerificationFilterForm(request.GET or None, initial={"show": default})
    show, q = default, ""
    if filters.is_valid():
        show = filters.cleaned_data["show"] or default
        q = filters.cleaned_data["q"].strip()
    qs = _verifications(principal)
    condition = _verification_filter_q(show, now)
    if condition is not None:
        qs = qs.filter(condition)
    for word in q.split():
        qs = qs.filter(Q(person__first_name__icontains=word) | Q(person__last_name__icontains=word)
                       | Q(function__icontains=word))
    # The queue is worked oldest first; everything else newest first.
    order = ("requested_at", "pk") if show == VerificationFilter.OPEN else ("-requested_at", "pk")
    page_obj = paginate(request, qs.order_by(*order))
    return render(request, "access/screening/verification_list.html", {
        "filters": filters,
        "page_obj": page_obj,
        "rows": [_verification_row(v, now) for v in page_obj],
        "can_decide": can_decide,
        "can_request": can_request,
        "show": show,
        "time_zone": settings.TIME_ZONE,
    })


@page("access.request_verifications")
def verification_request_view(request):
    principal = request.principal
    people = person_list(principal=principal).order_by("last_name", "first_name", "pk")
    if request.method != "POST":
        initial = {}
        person_id = request.GET.get("person")
        if person_id and person_id.isdigit() and people.filter(pk=int(person_id)).exists():
            initial["person"] = int(person_id)
        form = VerificationRequestForm(people=people, initial=initial)
        return render(request, "access/screening/verification_request.html", {"form": form})
    form = VerificationRequestForm(request.POST, people=people)
    if form.is_valid():
        data = form.cleaned_data
        try:
            verification = verification_request(actor=principal, person=data["person"], function=data["function"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The security verification of %(person)s for “%(function)s” is requested. "
                                        "The authorities decide it; you see the answer here.")
                             % {"person": verification.person, "function": verification.function})
            return redirect("access:verification_detail", verification_id=verification.pk)
    return render(request, "access/screening/verification_request.html", {"form": form}, status=400)


def _verification_detail(request, verification, *, decide_form=None, status=200):
    principal = request.principal
    row = _verification_row(verification, clock.now())
    can_decide = principal.has_perm("access.decide_verifications") and row["open"]
    return render(request, "access/screening/verification_detail.html", {
        "row": row,
        "v": verification,
        "decide_form": decide_form or (VerificationDecideForm() if can_decide else None),
        "time_zone": settings.TIME_ZONE,
    }, status=status)


@page("access.view_person")
def verification_detail(request, verification_id: int):
    return _verification_detail(request, visible_or_404(_verifications(request.principal), verification_id))


@require_POST
@page("access.decide_verifications")
def verification_decide_view(request, verification_id: int):
    verification = visible_or_404(_verifications(request.principal), verification_id)
    form = VerificationDecideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decided = verification_decide(actor=request.principal, verification=verification,
                                          status=data["status"], valid_until=data["valid_until"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Decision recorded for %(person)s (%(function)s): %(status)s.") % {
                "person": decided.person, "function": decided.function,
                "status": VerificationStatus(decided.status).label,
            })
            return redirect("access:verifications")
    verification = visible_or_404(_verifications(request.principal), verification_id)
    return _verification_detail(request, verification, decide_form=form, status=400)
