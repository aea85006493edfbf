"""The releases pages: the list everyone with a stake sees, the shipping line's issue, edit,
block, unblock, revoke and reissue, and one release's page with its lights and chain.

Every write goes through :mod:`havenwatch.release.services.releases`; every release is
found through :func:`havenwatch.release.selectors.release_list` (another's is a 404).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Facility
from havenwatch.core.templatetags.havenwatch import local_time
from havenwatch.core.views._common import page, paginate, visible_or_404
from havenwatch.release import selectors, selectors_pages
from havenwatch.release.choices import LIVE_STATUSES, Light, PickupReason, ReleaseStatus
from havenwatch.release.forms_line import (
    ReleaseBlockForm,
    ReleaseEditForm,
    ReleaseFilterForm,
    ReleaseIssueForm,
    ReleaseReissueForm,
    ReleaseRevokeForm,
    ReleaseUnblockForm,
    common_time_zone,
    first_parties,
    release_terminals,
)
from havenwatch.release.models import CustomsHold, PickupAttempt
from havenwatch.release.services import releases as release_services

DEFAULT_VALIDITY = timedelta(days=14)

# Which lead paragraph the list shows: what a reader's releases are.
PARTY_ROLES = {Role.FORWARDER, Role.HAULIER_PLANNER}
TERMINAL_ROLES = {Role.FACILITY_SECURITY_OFFICER, Role.GATE_GUARD}


def _now_to_the_minute():
    return clock.now().replace(second=0, microsecond=0)


def light_items(lights, explanations: dict | None = None) -> list[dict]:
    """The three lights as the templates show them: name, colour and its word, never colour alone."""
    explanations = explanations or {}
    return [
        {"key": key, "name": name, "value": value, "label": Light(value).label, "explanation": explanations.get(key)}
        for key, name, value in (("commercial", _("Commercial"), lights.commercial),
                                 ("customs", _("Customs"), lights.customs),
                                 ("terminal", _("Terminal"), lights.terminal))
    ]


def pickup_reason_labels(codes) -> list[str]:
    labels = []
    for code in codes or []:
        try:
            labels.append(str(PickupReason(code).label))
        except ValueError:
            labels.append(str(code))
    return labels


def _audience(principal) -> str:
    if principal.role == Role.SHIPPING_AGENT:
        return "line"
    if principal.role in PARTY_ROLES:
        return "party"
    if principal.role in TERMINAL_ROLES:
        return "terminal"
    if principal.jurisdiction_port_ids:
        return "authority"
    return "other"


def _releases(request):
    return selectors.release_list(principal=request.principal).select_related("container__terminal__port",
                                                                              "first_party", "replaces")


def _visible(request, release_id):
    return visible_or_404(_releases(request), release_id)


def _issues(principal, release) -> bool:
    """The issuing line (or the platform) may act on the release; the service checks again."""
    return principal.has_perm("release.issue") and (
        principal.unrestricted or release.shipping_line_id == principal.organisation_id)


# --- the list ------------------------------------------------------------------------------


@page("release.view_release")
def release_list(request):
    principal = request.principal
    qs = _releases(request)
    terminals = Facility.objects.filter(pk__in=qs.values("container__terminal_id")).select_related("port").order_by(
        "port__name", "name")
    filters = ReleaseFilterForm(request.GET or None, terminals=terminals)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["container"]:
            qs = qs.filter(container__number__icontains="".join(data["container"].split()).upper())
        if data["terminal"] is not None:
            qs = qs.filter(container__terminal=data["terminal"])
    page_obj = paginate(request, qs.order_by("-created_at", "-pk"))
    releases = list(page_obj)
    audience = _audience(principal)
    lights = selectors_pages.lights_of([r.container for r in releases])
    holders = selectors_pages.holders_of(releases) if audience == "line" else {}
    rows = [{"release": r, "lights": light_items(lights[r.container_id]), "holder": holders.get(r.pk)}
            for r in releases]
    return render(request, "release/releases/list.html", {
        "filters": filters,
        "page_obj": page_obj,
        "rows": rows,
        "audience": audience,
        "show_holder": audience == "line",
        "can_issue": principal.has_perm("release.issue"),
    })


# --- issuing -------------------------------------------------------------------------------


@page("release.issue")
def release_issue(request):
    terminals = release_terminals()
    form_kwargs = {"terminals": terminals, "parties": first_parties(), "time_zone": common_time_zone(terminals)}
    if request.method != "POST":
        start = _now_to_the_minute()
        form = ReleaseIssueForm(initial={"valid_from": start, "valid_until": start + DEFAULT_VALIDITY}, **form_kwargs)
        return render(request, "release/releases/issue.html", {"form": form})
    form = ReleaseIssueForm(request.POST, **form_kwargs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            release = release_services.release_issue(
                actor=request.principal, container_number=data["container_number"], terminal=data["terminal"],
                bill_of_lading=data["bill_of_lading"], first_party=data["first_party"],
                valid_from=data["valid_from"], valid_until=data["valid_until"],
            )
        except ServiceError as error:
            add_service_error(form, error, fields={"container": "container_number"})
        else:
            messages.success(request, _("Container %(number)s is released to %(party)s, who is told.")
                             % {"number": release.container.number, "party": release.first_party.name})
            return redirect("release:release_detail", release_id=release.pk)
    return render(request, "release/releases/issue.html", {"form": form}, status=400)


# --- one release ---------------------------------------------------------------------------


def _commercial_explanation(release, live, zone, now) -> str:
    if live is None:
        return _("No live release for this container.")
    if live.status == ReleaseStatus.BLOCKED:
        return _("Blocked by the shipping line: %(reason)s") % {"reason": live.status_reason}
    if now < live.valid_from:
        return _("Not valid before %(time)s.") % {"time": local_time(live.valid_from, zone)}
    if now >= live.valid_until:
        return _("Expired on %(time)s.") % {"time": local_time(live.valid_until, zone)}
    if live.pk != release.pk:
        return _("Released by a later version, valid until %(time)s.") % {"time": local_time(live.valid_until, zone)}
    return _("Released, valid until %(time)s.") % {"time": local_time(live.valid_until, zone)}


def _explanations(request, release, lights, zone) -> dict:
    container = release.container
    now = clock.now()
    explanations = {"commercial": _commercial_explanation(release, selectors.live_release(container), zone, now)}
    if lights.customs == Light.RED:
        hold = (CustomsHold.objects.restrict(request.principal, "release.view_release")
                .filter(container=container, released_at__isnull=True).first())
        explanations["customs"] = (_("Customs hold: %(reason)s") % {"reason": hold.reason} if hold is not None
                                   else _("Held by customs."))
    else:
        explanations["customs"] = _("No customs hold.")
    if container.discharged_at is not None:
        explanations["terminal"] = _("Discharge confirmed on %(time)s.") % {
            "time": local_time(container.discharged_at, zone)}
    else:
        explanations["terminal"] = _("The terminal has not confirmed the discharge yet.")
    return explanations


def _detail(request, release, *, forms: dict | None = None, status: int = 200):
    principal = request.principal
    view = selectors.release_view(principal, release)
    zone = release.container.terminal.port.time_zone
    visible = _releases(request)
    attempts = (PickupAttempt.objects.restrict(principal, "release.view_release")
                .filter(container=release.container).order_by("-occurred_at", "-pk")[:20])
    forms = forms or {}
    manage = _issues(principal, release)
    live = release.status in LIVE_STATUSES
    allowed = {
        "block": manage and release.status == ReleaseStatus.ACTIVE,
        "unblock": manage and release.status == ReleaseStatus.BLOCKED,
        "revoke": manage and live,
        "reissue": manage and live,
    }
    builders = {
        "block": lambda: ReleaseBlockForm(),
        "unblock": lambda: ReleaseUnblockForm(),
        "revoke": lambda: ReleaseRevokeForm(),
        "reissue": lambda: ReleaseReissueForm(
            parties=first_parties(), time_zone=zone,
            initial={"valid_from": _now_to_the_minute(), "valid_until": _now_to_the_minute() + DEFAULT_VALIDITY}),
    }
    # A form sent back with an error is shown even if the release's state no longer offers it.
    act_forms = {name: forms.get(name) or (builders[name]() if allowed[name] else None) for name in builders}
    return render(request, "release/releases/detail.html", {
        "release": release,
        "view": view,
        "time_zone": zone,
        "lights": light_items(view["lights"], _explanations(request, release, view["lights"], zone)),
        "first_party": release.first_party if view["first_party_id"] is not None else None,
        "attempts": [{"attempt": a, "reasons": pickup_reason_labels(a.reasons)} for a in attempts],
        "predecessor": visible.filter(pk=release.replaces_id).first() if release.replaces_id else None,
        "successor": visible.filter(replaces=release).first(),
        "can_edit": manage and live,
        "act_forms": act_forms,
        "any_act": any(act_forms.values()),
    }, status=status)


@page("release.view_release")
def release_detail(request, release_id: int):
    return _detail(request, _visible(request, release_id))


@page("release.issue")
def release_edit(request, release_id: int):
    release = _visible(request, release_id)
    zone = release.container.terminal.port.time_zone
    if request.method != "POST":
        form = ReleaseEditForm(time_zone=zone, initial={
            "bill_of_lading": release.bill_of_lading, "valid_from": release.valid_from,
            "valid_until": release.valid_until})
        return render(request, "release/releases/edit.html", {"form": form, "release": release})
    form = ReleaseEditForm(request.POST, time_zone=zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            updated = release_services.release_update(
                actor=request.principal, release=release, bill_of_lading=data["bill_of_lading"],
                valid_from=data["valid_from"], valid_until=data["valid_until"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The release is updated: version %(version)s.") % {"version": updated.version})
            return redirect("release:release_detail", release_id=release.pk)
    return render(request, "release/releases/edit.html", {"form": form, "release": release}, status=400)


def _act(request, release_id: int, name: str, form, act, success: str):
    """One of the line's acts on a release: the service decides; a refusal shows on its form."""
    release = _visible(request, release_id)
    if form.is_valid():
        try:
            result = act(release, form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, success)
            return redirect("release:release_detail", release_id=result.pk)
    return _detail(request, _visible(request, release_id), forms={name: form}, status=400)


@require_POST
@page("release.issue")
def release_block(request, release_id: int):
    return _act(request, release_id, "block", ReleaseBlockForm(request.POST),
                lambda release, data: release_services.release_block(
                    actor=request.principal, release=release, reason=data["reason"]),
                _("The release is blocked: nobody can pick the container up until you unblock it."))


@require_POST
@page("release.issue")
def release_unblock(request, release_id: int):
    return _act(request, release_id, "unblock", ReleaseUnblockForm(request.POST),
                lambda release, data: release_services.release_unblock(
                    actor=request.principal, release=release, reason=data["reason"]),
                _("The release is unblocked."))


@require_POST
@page("release.issue")
def release_revoke(request, release_id: int):
    return _act(request, release_id, "revoke", ReleaseRevokeForm(request.POST),
                lambda release, data: release_services.release_revoke(
                    actor=request.principal, release=release, reason=data["reason"]),
                _("The release is revoked: every party of the chain lost its right and is told."))


@require_POST
@page("release.issue")
def release_reissue(request, release_id: int):
    release = _visible(request, release_id)
    form = ReleaseReissueForm(request.POST, parties=first_parties(), time_zone=release.container.terminal.port.time_zone)
    return _act(request, release_id, "reissue", form,
                lambda release, data: release_services.release_reissue(
                    actor=request.principal, release=release, valid_from=data["valid_from"],
                    valid_until=data["valid_until"], first_party=data["first_party"], reason=data["reason"]),
                _("The release is withdrawn and reissued as a new version."))
