"""The forwarders' and hauliers' pages: the rights inbox (accept, decline, pass on, take back)
and the haulier's driver assignment. Every act is a service of ``services/rights.py`` or
``services/assignments.py``; these views find the row the principal may see, call it, render."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Organisation
from havenwatch.core.views._common import PAGE_SIZE, page, safe_next, visible_or_404
from havenwatch.release import selectors
from havenwatch.release.choices import LIVE_STATUSES
from havenwatch.release.forms_parties import (
    AssignmentCancelForm,
    AssignmentForm,
    DeclineForm,
    TakeBackForm,
    TransferForm,
)
from havenwatch.release.models import DriverAssignment
from havenwatch.release.selectors_terminal import inbox, party_rights
from havenwatch.release.services import assignments as assignment_services
from havenwatch.release.services import rights as right_services

# Who a right may be passed on to from these pages: forwarders and hauliers.
NEXT_PARTY_KINDS = (OrganisationKind.FORWARDER, OrganisationKind.TRANSPORT_COMPANY)
# The slot offered when the assignment form opens: from now, for four hours.
SLOT_DEFAULT = timedelta(hours=4)


def redirect_back(request, default: str = "release:inbox"):
    """Where a POST returns: the page it came from (``next``: the release's page) when that
    is one of ours, else ``default``."""
    return redirect(safe_next(request, request.POST.get("next")) or reverse(default))


def _section(request, qs, key: str):
    """One paginated section of the inbox, its page number in ``?<key>=``."""
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get(key))
    query = request.GET.copy()

    def link(number):
        query[key] = number
        return "?" + query.urlencode()

    return {
        "page": page_obj,
        "previous": link(page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next": link(page_obj.next_page_number()) if page_obj.has_next() else "",
    }


def _form(bound, kind: str, pk: int, form_class):
    if bound is not None and bound[0] == kind and bound[1] == pk:
        return bound[2]
    return form_class(auto_id=f"id_{kind}_{pk}_%s")


@page("release.transfer")
def inbox_view(request):
    return _inbox(request)


def _inbox(request, bound=None, error: str = "", status: int = 200):
    """The inbox; ``bound``: (kind, id, form) of the action that failed, shown again with its error."""
    principal = request.principal
    sections = {key: _section(request, qs, key) for key, qs in inbox(principal=principal).items()}
    rows = {
        "offered": [{"right": r, "decline_form": _form(bound, "decline", r.pk, DeclineForm)}
                    for r in sections["offered"]["page"]],
        "held": [],
        "passed": [{"right": r, "take_back_form": _form(bound, "take_back", r.pk, TakeBackForm)}
                   for r in sections["passed"]["page"]],
    }
    for right in sections["held"]["page"]:
        assignment = next(iter(right.release.active_assignments), None)
        rows["held"].append({
            "right": right, "assignment": assignment,
            "cancel_form": _form(bound, "cancel", assignment.pk, AssignmentCancelForm) if assignment else None,
        })
    return render(request, "release/parties/inbox.html", {
        "sections": sections, "rows": rows, "error": error,
        "can_assign": principal.has_perm("release.assign"),
    }, status=status)


def _party_right(request, right_id: int):
    return visible_or_404(party_rights(principal=request.principal), right_id)


@require_POST
@page("release.transfer")
def right_accept_view(request, right_id: int):
    right = _party_right(request, right_id)
    try:
        right_services.right_accept(actor=request.principal, right=right)
    except ServiceError as error:
        return _inbox(request, error=str(error.message), status=400)
    messages.success(request, _("You hold the right to collect %(number)s now.")
                     % {"number": right.release.container.number})
    return redirect_back(request)


def _right_act_with_reason(request, right_id: int, *, kind: str, form_class, act, done):
    """Decline or take back a right: a reason, one service, the inbox again on a refusal."""
    right = _party_right(request, right_id)
    form = form_class(request.POST, auto_id=f"id_{kind}_{right.pk}_%s")
    if form.is_valid():
        try:
            act(actor=request.principal, right=right, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, done(right))
            return redirect_back(request)
    return _inbox(request, bound=(kind, right.pk, form), error=_first_error(form), status=400)


@require_POST
@page("release.transfer")
def right_decline_view(request, right_id: int):
    return _right_act_with_reason(
        request, right_id, kind="decline", form_class=DeclineForm, act=right_services.right_decline,
        done=lambda right: _("You declined the right to collect %(number)s: %(sender)s keeps it.")
        % {"number": right.release.container.number, "sender": right.offered_by.name})


@require_POST
@page("release.transfer")
def right_revoke_view(request, right_id: int):
    return _right_act_with_reason(
        request, right_id, kind="take_back", form_class=TakeBackForm, act=right_services.right_revoke,
        done=lambda right: _("You took back the right to collect %(number)s from %(party)s.")
        % {"number": right.release.container.number, "party": right.holder.name})


def _first_error(form) -> str:
    return next((str(e) for errors in form.errors.values() for e in errors), "")


def next_parties(principal):
    """Active forwarders and hauliers other than the principal's organisation."""
    return (Organisation.objects.filter(is_active=True, kind__in=NEXT_PARTY_KINDS)
            .exclude(pk=principal.organisation_id).order_by("name"))


@page("release.transfer")
def right_transfer_view(request, right_id: int):
    principal = request.principal
    right = _party_right(request, right_id)
    parties = next_parties(principal)
    status = 200
    if request.method == "POST":
        form = TransferForm(request.POST, parties=parties)
        if form.is_valid():
            to = form.cleaned_data["to"]
            try:
                right_services.right_transfer(actor=principal, right=right, to=to)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The right to collect %(number)s is offered to %(party)s: it holds the "
                                            "right once it accepts.")
                                 % {"number": right.release.container.number, "party": to.name})
                return redirect("release:inbox")
        status = 400
    else:
        form = TransferForm(parties=parties)
    return render(request, "release/parties/transfer.html", {
        "form": form, "right": right, "time_zone": right.release.container.terminal.port.time_zone,
    }, status=status)


def _now_to_the_minute():
    return clock.now().replace(second=0, microsecond=0)


@page("release.assign")
def assign_view(request, release_id: int):
    principal = request.principal
    release = visible_or_404(selectors.release_list(principal=principal).select_related("container__terminal__port"),
                             release_id)
    time_zone = release.container.terminal.port.time_zone
    view = selectors.release_view(principal, release)
    status = 200
    if request.method == "POST":
        form = AssignmentForm(request.POST, time_zone=time_zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assignment = assignment_services.assignment_create(
                    actor=principal, release=release, credential_number=data["credential"], plate=data["plate"],
                    slot_start=data["slot_start"], slot_end=data["slot_end"])
            except ServiceError as error:
                add_service_error(form, error, fields={"number": "credential"})
            else:
                person = assignment.credential.person
                messages.success(request, _("%(driver)s is the driver who may pick %(number)s up, with truck "
                                            "%(plate)s.")
                                 % {"driver": f"{person.first_name} {person.last_name}",
                                    "number": release.container.number, "plate": assignment.plate})
                return redirect("release:inbox")
        status = 400
    else:
        start = _now_to_the_minute()
        form = AssignmentForm(time_zone=time_zone, initial={"slot_start": start, "slot_end": start + SLOT_DEFAULT})
    return render(request, "release/parties/assign.html", {
        "form": form, "release": release, "view": view, "time_zone": time_zone,
        "live": release.status in LIVE_STATUSES,
    }, status=status)


@require_POST
@page("release.assign")
def assignment_cancel_view(request, assignment_id: int):
    principal = request.principal
    assignment = visible_or_404(
        DriverAssignment.objects.restrict(principal, "release.assign").select_related("release__container"),
        assignment_id)
    form = AssignmentCancelForm(request.POST, auto_id=f"id_cancel_{assignment.pk}_%s")
    if form.is_valid():
        try:
            assignment_services.assignment_cancel(actor=principal, assignment=assignment,
                                                  reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The driver assignment for %(number)s is cancelled.")
                             % {"number": assignment.release.container.number})
            return redirect_back(request)
    return _inbox(request, bound=("cancel", assignment.pk, form), error=_first_error(form), status=400)


