"""The terminal's pages: the containers it expects to see collected (and their discharge),
the gate clerk's pickup check, the pickup attempts and the security officer's override.
The decisions are ``services/pickups.py``'s and ``services/holds.py``'s."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page, paginate, visible_or_404
from havenwatch.release import validation
from havenwatch.release.choices import FRAUD_REASONS, OVERRIDABLE_REASONS, PickupReason
from havenwatch.release.forms_terminal import (
    AttemptFilterForm,
    ExpectedFilterForm,
    OverrideForm,
    PickupCheckForm,
)
from havenwatch.release.models import Container
from havenwatch.release.selectors_terminal import expected_pickups, pickup_attempts, row_lights, terminals
from havenwatch.release.services import holds as hold_services
from havenwatch.release.services import pickups as pickup_services
from havenwatch.release.views.parties import redirect_back

RECENT = 10


def reason_rows(codes) -> list[dict]:
    """A decision's reason codes as the gate shows them: the label, and whether it raised a
    security alert (fraud, published at priority 1) or the terminal may override it."""
    rows = []
    for code in codes or []:
        try:
            label = str(PickupReason(code).label)
        except ValueError:
            label = str(code)
        rows.append({"code": code, "label": label, "fraud": code in FRAUD_REASONS,
                     "overridable": code in OVERRIDABLE_REASONS})
    return rows


def may_override(attempt) -> bool:
    """A refusal the terminal may let through: only overridable reasons, not overridden yet."""
    return (not attempt.granted and bool(attempt.reasons) and _overridden_by(attempt) is None
            and all(code in OVERRIDABLE_REASONS for code in attempt.reasons))


def _overridden_by(attempt):
    try:
        return attempt.overridden_by
    except type(attempt).overridden_by.RelatedObjectDoesNotExist:
        return None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bound_facility(request):
    """The facility a membership is bound to (a gate guard's post), or None."""
    request.principal.has_perm("release.pickup")  # resolves the principal, which sets request.membership
    return getattr(getattr(request, "membership", None), "facility", None)


def _terminals(request):
    return terminals(principal=request.principal, facility=_bound_facility(request))


def _attempts(request):
    return pickup_attempts(principal=request.principal, terminals=_terminals(request))


# --- expected pickups and the discharge --------------------------------------------------


@page("release.pickup")
def expected_view(request):
    return _expected(request)


def _expected(request, error: str = "", status: int = 200):
    principal = request.principal
    mine = _terminals(request)
    filters = ExpectedFilterForm(request.GET or None, terminals=mine)
    chosen, ready, number = mine, False, ""
    if filters.is_valid():
        data = filters.cleaned_data
        if filters.terminal() is not None:
            chosen = mine.filter(pk=filters.terminal().pk)
        ready, number = data["ready"], data["number"]
    at = clock.now()
    qs = expected_pickups(principal=principal, terminals=chosen, ready=ready, number=number, at=at)
    if filters.is_bound and not filters.is_valid():
        qs = qs.none()
    page_obj = paginate(request, qs)
    rows = [{"release": r, "lights": row_lights(r, at), "assignment": next(iter(r.active_assignments), None)}
            for r in page_obj.object_list]
    return render(request, "release/terminal/expected.html", {
        "filters": filters, "page_obj": page_obj, "rows": rows, "error": error,
        "several": len(filters.terminals) > 1, "has_terminals": bool(filters.terminals),
        "can_discharge": principal.has_perm("release.confirm_discharge"),
    }, status=status)


@require_POST
@page("release.confirm_discharge")
def discharge_view(request, container_id: int):
    principal = request.principal
    container = visible_or_404(Container.objects.restrict(principal, "release.confirm_discharge"), container_id)
    try:
        hold_services.discharge_confirm(actor=principal, container=container)
    except ServiceError as error:
        return _expected(request, error=str(error.message), status=400)
    messages.success(request, _("The discharge of %(number)s is confirmed: its terminal light is green.")
                     % {"number": container.number})
    return redirect_back(request, "release:expected")


# --- the gate ----------------------------------------------------------------------------


def _gate_url(attempt) -> str:
    return reverse("release:gate") + "?" + urlencode({"terminal": attempt.terminal_id, "attempt": attempt.pk})


def _gate(request, mine, form=None, recorded=None, status: int = 200):
    principal = request.principal
    attempt = None
    attempt_id = _int(request.GET.get("attempt"))
    if attempt_id is not None:
        attempt = visible_or_404(_attempts(request), attempt_id)
    terminal_id = _int(request.GET.get("terminal")) or (attempt.terminal_id if attempt else None)
    terminal = next((t for t in mine if t.pk == terminal_id), None)
    if terminal is None and len(mine) == 1:
        terminal = mine[0]
    if form is None:
        form = PickupCheckForm(terminals=mine, initial={"terminal": terminal.pk if terminal else None})
    elif form.is_bound and form.terminal() is not None:
        terminal = form.terminal()
    recent = list(_attempts(request).filter(terminal=terminal)[:RECENT]) if terminal else []
    return render(request, "release/terminal/gate.html", {
        "form": form,
        "terminals": mine,
        "terminal": terminal,
        "attempt": attempt,
        "reasons": reason_rows(attempt.reasons) if attempt else [],
        "overridden_by": _overridden_by(attempt) if attempt else None,
        "can_override": (attempt is not None and principal.has_perm("release.override") and may_override(attempt)),
        "recorded": recorded,
        "recent": [{"attempt": a, "reasons": reason_rows(a.reasons)} for a in recent],
    }, status=status)


@page("release.pickup")
def gate_view(request):
    principal = request.principal
    mine = list(_terminals(request))
    if request.method != "POST":
        return _gate(request, mine)
    form = PickupCheckForm(request.POST, terminals=mine)
    recorded = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            attempt = pickup_services.pickup_decide(
                actor=principal, terminal=form.terminal(), container_number=data["container"],
                credential_number=data["credential"], plate=data["plate"], biometric_match=form.biometric_match())
        except ServiceError as error:
            add_service_error(form, error)
        else:
            if attempt.reasons != [PickupReason.MALFORMED_REQUEST.value]:
                return redirect(_gate_url(attempt))
            # The service stored the attempt as unreadable; the clerk gets the specific reason.
            recorded = attempt
            try:
                validation.container_number(data["container"])
            except ServiceError as error:
                add_service_error(form, error)
            else:
                form.add_error("container", str(PickupReason.MALFORMED_REQUEST.label))
    elif _int(request.POST.get("terminal")) is not None and _int(request.POST.get("terminal")) not in form.terminals:
        # a terminal where the principal may not decide: as if it did not exist
        visible_or_404(_terminals(request), _int(request.POST.get("terminal")))
    return _gate(request, mine, form=form, recorded=recorded, status=400)


# --- pickup attempts and the override -------------------------------------------------------


@page("release.pickup")
def attempts_view(request):
    qs = _attempts(request)
    filters = AttemptFilterForm(request.GET or None)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["outcome"] == "granted":
            qs = qs.filter(granted=True)
        elif data["outcome"] == "refused":
            qs = qs.filter(granted=False)
        term = "".join(data["container"].split()).upper()
        if term:
            qs = qs.filter(container_number__icontains=term)
    elif filters.is_bound:
        qs = qs.none()
    page_obj = paginate(request, qs)
    can_override = request.principal.has_perm("release.override")
    rows = [{"attempt": a, "reasons": reason_rows(a.reasons), "overridden_by": _overridden_by(a),
             "can_override": can_override and may_override(a)} for a in page_obj.object_list]
    return render(request, "release/terminal/attempts.html", {
        "filters": filters, "page_obj": page_obj, "rows": rows,
    })


@page("release.override")
def attempt_override_view(request, attempt_id: int):
    principal = request.principal
    attempt = visible_or_404(_attempts(request), attempt_id)
    status = 200
    if request.method == "POST":
        form = OverrideForm(request.POST)
        if form.is_valid():
            try:
                override = pickup_services.pickup_override(actor=principal, attempt=attempt,
                                                           reason=form.cleaned_data["reason"])
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Override recorded: %(number)s may leave the terminal.")
                                 % {"number": attempt.container_number})
                return redirect(_gate_url(override))
        status = 400
    else:
        form = OverrideForm()
    reasons = reason_rows(attempt.reasons)
    blocking = [r for r in reasons if not r["overridable"]]
    return render(request, "release/terminal/override.html", {
        "attempt": attempt, "form": form, "reasons": reasons, "blocking": blocking,
        # the service's own words for a refusal it will not let through
        "not_overridable": (_("This refusal cannot be overridden by the terminal: %(reasons)s.")
                            % {"reasons": ", ".join(r["label"] for r in blocking)}) if blocking else "",
        "overridden_by": _overridden_by(attempt),
        "time_zone": attempt.terminal.port.time_zone,
    }, status=status)
