"""Visit pre-notification pages: the list (and what awaits approval), announcing, and one visit."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from havenwatch.access.choices import ScreeningResult, VisitStatus
from havenwatch.access.forms_visits import (
    FacilityChoiceForm,
    VisitAnnounceForm,
    VisitApproveForm,
    VisitFilterForm,
    VisitorFormSet,
    VisitPolicyForm,
    VisitRejectForm,
)
from havenwatch.access.models import Credential, VisitPolicy, Zone
from havenwatch.access.selectors_places import visit_list as select_visits
from havenwatch.access.selectors_places import visits_to_approve
from havenwatch.access.services.visits import (
    OPEN_STATUSES,
    PENDING_STATUSES,
    approval_step,
    visit_announce,
    visit_approve,
    visit_cancel,
    visit_policy_set,
    visit_reject,
)
from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Facility
from havenwatch.core.views._common import page, paginate, visible_or_404


def _with_screening(qs):
    """Counts of visitors per screening result: never which ban, only hit / no hit / unavailable."""
    return qs.select_related("facility__port").annotate(
        visitor_count=Count("visitors", distinct=True),
        hits=Count("visitors", filter=Q(visitors__screening=ScreeningResult.HIT), distinct=True),
        clears=Count("visitors", filter=Q(visitors__screening=ScreeningResult.CLEAR), distinct=True),
        unavailable=Count("visitors", filter=Q(visitors__screening=ScreeningResult.UNAVAILABLE), distinct=True),
    )


@page("access.view_visit")
def visit_list(request):
    principal = request.principal
    qs = select_visits(principal=principal)
    facilities = Facility.objects.filter(pk__in=qs.values("facility_id")).order_by("name")
    filters = VisitFilterForm(request.GET or None, facilities=facilities)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["facility"] is not None:
            qs = qs.filter(facility=data["facility"])
        if data["day"] is not None:
            qs = qs.filter(window_start__date__lte=data["day"], window_end__date__gte=data["day"])
    to_approve = _with_screening(visits_to_approve(principal=principal))
    return render(request, "access/visits/list.html", {
        "filters": filters,
        "page_obj": paginate(request, _with_screening(qs).order_by("-window_start", "pk")),
        "to_approve": to_approve,
        "can_announce": principal.has_perm("access.announce_visits"),
        "policies": _policy_forms(principal),
    })


def _operated_facilities(principal):
    if not principal.has_perm("access.approve_visits") or principal.organisation_id is None:
        return Facility.objects.none()
    return Facility.objects.filter(operator_id=principal.organisation_id, is_active=True).order_by("name")


def _policy_forms(principal, bound=None):
    """One small form per facility the principal approves visits for: does the terminal
    approve ship-call visits after the agent?"""
    facilities = _operated_facilities(principal)
    current = dict(VisitPolicy.objects.filter(facility__in=facilities)
                   .values_list("facility_id", "terminal_approves_ship_calls"))
    forms = []
    for facility in facilities:
        if bound is not None and bound.data.get("facility") == str(facility.pk):
            form = bound
        else:
            form = VisitPolicyForm(facilities=facilities, auto_id=f"id_policy_{facility.pk}_%s", initial={
                "facility": facility.pk, "terminal_approves_ship_calls": current.get(facility.pk, False)})
        forms.append({"facility": facility, "form": form, "on": current.get(facility.pk, False)})
    return forms


@require_POST
@page("access.approve_visits")
def visit_policy_view(request):
    principal = request.principal
    form = VisitPolicyForm(request.POST, facilities=_operated_facilities(principal))
    if form.is_valid():
        facility = form.cleaned_data["facility"]
        on = form.cleaned_data["terminal_approves_ship_calls"]
        try:
            visit_policy_set(actor=principal, facility=facility, terminal_approves_ship_calls=on)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            if on:
                messages.success(request, _("%(facility)s now approves ship-call visits after the ship's agent.")
                                 % {"facility": facility.name})
            else:
                messages.success(request, _("At %(facility)s the ship's agent's approval is enough for ship-call "
                                            "visits.") % {"facility": facility.name})
            return redirect("access:visits")
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("access:visits")


def announceable_facilities(principal):
    """Facilities the principal's organisation may announce visitors at: its own, and those
    where it is an approved announcer now or later."""
    if principal.organisation_id is None:
        return Facility.objects.none()
    return (
        Facility.objects.filter(is_active=True)
        .filter(Q(operator_id=principal.organisation_id)
                | Q(announcers__organisation_id=principal.organisation_id,
                    announcers__valid_until__gt=clock.now()))
        .distinct()
        .select_related("port")
        .order_by("name")
    )


@page("access.announce_visits")
def visit_announce_view(request):
    principal = request.principal
    facilities = announceable_facilities(principal)
    source = request.POST if request.method == "POST" else request.GET
    chooser = FacilityChoiceForm(source if "facility" in source else None, facilities=facilities)
    if not chooser.is_valid():
        return render(request, "access/visits/choose_facility.html", {"form": chooser},
                      status=400 if chooser.errors else 200)
    facility = chooser.cleaned_data["facility"]
    zones = Zone.objects.filter(facility=facility).order_by("code")
    form_kwargs = {"facilities": facilities, "facility": facility, "zones": zones}
    if request.method != "POST":
        form = VisitAnnounceForm(initial={"facility": facility.pk}, **form_kwargs)
        formset = VisitorFormSet(prefix="visitors")
        return _announce_page(request, form, formset, facility)
    form = VisitAnnounceForm(request.POST, **form_kwargs)
    formset = VisitorFormSet(request.POST, prefix="visitors")
    if form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        visitors = [f.identity() for f in formset.forms if f.has_changed()]
        try:
            visit = visit_announce(
                actor=principal, facility=facility, zones=list(data["zones"]), reason=data["reason"],
                visitors=visitors, window_start=data["window_start"], window_end=data["window_end"],
                ship_call=data["ship_call"], eta=data["eta"], etd=data["etd"], plate=data["plate"],
                ship_agent=data["ship_agent"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            count = visit.visitors.count()
            messages.success(request, ngettext("The visit is announced: %(count)s visitor screened.",
                                               "The visit is announced: %(count)s visitors screened.", count)
                             % {"count": count})
            return redirect("access:visit_detail", visit_id=visit.pk)
    return _announce_page(request, form, formset, facility, status=400)


def _announce_page(request, form, formset, facility, status=200):
    return render(request, "access/visits/announce.html", {
        "form": form, "formset": formset, "facility": facility,
    }, status=status)


def _detail(request, visit, *, approve_form=None, reject_form=None, cancel_error=None, status=200):
    principal = request.principal
    visitors = list(visit.visitors.select_related("person").order_by("pk"))
    credentials = {}
    if visit.status == VisitStatus.APPROVED:
        for credential in Credential.objects.filter(visit=visit).order_by("pk"):
            credentials[credential.person_id] = {
                "number": credential.number,
                "state": credential.get_state_display(),
                "qr": mark_safe(segno.make(credential.number).svg_inline(scale=4)),  # noqa: S308 (our own SVG)
            }
    rows = [{"visitor": v, "credential": credentials.get(v.person_id)} for v in visitors]
    is_open = visit.status in PENDING_STATUSES and visit.window_end > clock.now()
    step = approval_step(visit) if is_open else None
    may_approve = principal.has_perm("access.approve_visits") and principal.organisation_id is not None
    is_terminal = may_approve and visit.facility.operator_id == principal.organisation_id
    is_agent = may_approve and visit.ship_agent_id == principal.organisation_id
    is_announcer = principal.has_perm("access.announce_visits") and (
        principal.organisation_id == visit.announcer_id or principal.unrestricted)
    can_approve = (step == "agent" and is_agent) or (step == "terminal" and is_terminal)
    # The terminal may refuse a visit to its facility at any step; the agent at its own.
    can_reject = can_approve or (step is not None and is_terminal)
    return render(request, "access/visits/detail.html", {
        "visit": visit,
        "rows": rows,
        "zones": visit.zones.order_by("code"),
        "time_zone": visit.facility.port.time_zone,
        "step": step,
        "any_unavailable": any(v.screening == ScreeningResult.UNAVAILABLE for v in visitors),
        "approve_form": approve_form or (VisitApproveForm() if can_approve else None),
        "reject_form": reject_form or (VisitRejectForm() if can_reject else None),
        "can_cancel": is_announcer and visit.status in OPEN_STATUSES and visit.window_end > clock.now(),
        "cancel_error": cancel_error,
    }, status=status)


def _visible_visit(request, visit_id):
    qs = select_visits(principal=request.principal).select_related("facility__port", "facility__operator",
                                                                   "ship_agent")
    return visible_or_404(qs, visit_id)


@page("access.view_visit")
def visit_detail(request, visit_id: int):
    return _detail(request, _visible_visit(request, visit_id))


@require_POST
@page("access.approve_visits")
def visit_approve_view(request, visit_id: int):
    visit = _visible_visit(request, visit_id)
    form = VisitApproveForm(request.POST)
    if form.is_valid():
        try:
            visit_approve(actor=request.principal, visit=visit,
                          confirm_unavailable=form.cleaned_data["confirm_unavailable"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The visit is approved: each visitor has a QR credential."))
            return redirect("access:visit_detail", visit_id=visit.pk)
    return _detail(request, _visible_visit(request, visit_id), approve_form=form, status=400)


@require_POST
@page("access.approve_visits")
def visit_reject_view(request, visit_id: int):
    visit = _visible_visit(request, visit_id)
    form = VisitRejectForm(request.POST)
    if form.is_valid():
        try:
            visit_reject(actor=request.principal, visit=visit, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The visit is rejected."))
            return redirect("access:visit_detail", visit_id=visit.pk)
    return _detail(request, _visible_visit(request, visit_id), reject_form=form, status=400)


@require_POST
@page("access.announce_visits")
def visit_cancel_view(request, visit_id: int):
    visit = _visible_visit(request, visit_id)
    try:
        visit_cancel(actor=request.principal, visit=visit)
    except ServiceError as error:
        return _detail(request, _visible_visit(request, visit_id), cancel_error=str(error.message), status=400)
    messages.success(request, _("The visit is cancelled."))
    return redirect("access:visit_detail", visit_id=visit.pk)
