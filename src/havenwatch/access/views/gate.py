"""The guard's pages: the gate screen, the access history and who is inside (mustering)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.access.choices import Reason
from havenwatch.access.forms import EventFilterForm, GateCheckForm, OverrideForm
from havenwatch.access.selectors_places import access_point_list, zone_list
from havenwatch.access.services.gate import event_list, gate_decide, gate_override, who_is_inside
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Facility
from havenwatch.core.views._common import page, paginate, visible_or_404

RECENT = 15


def reason_labels(codes) -> list[str]:
    """The guard-facing (translated) labels of a decision's reason codes."""
    labels = []
    for code in codes or []:
        try:
            labels.append(str(Reason(code).label))
        except ValueError:
            labels.append(str(code))
    return labels


def _rows(events):
    return [{"event": e, "reasons": reason_labels(e.reasons)} for e in events]


def _guard_facility(request):
    """The facility a guard's membership is bound to, or None."""
    request.principal.has_perm("access.decide")  # resolves the principal, which sets request.membership
    membership = getattr(request, "membership", None)
    return getattr(membership, "facility", None)


def _points(request):
    return access_point_list(principal=request.principal, facility=_guard_facility(request)).order_by(
        "zone__facility__name", "code", "pk")


def _events(request):
    qs = event_list(principal=request.principal).select_related(
        "access_point", "facility__port", "person", "credential", "override_of")
    facility = _guard_facility(request)
    return qs.filter(facility=facility) if facility is not None else qs


def _gate_url(*, point=None, event=None) -> str:
    query = {k: v for k, v in (("point", point), ("event", event)) if v}
    return reverse("access:gate") + (f"?{urlencode(query)}" if query else "")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@page("access.decide")
def gate_screen(request, form=None, override_form=None, status=200):
    principal = request.principal
    points = list(_points(request))
    point_id = _int(request.GET.get("point"))
    point = next((p for p in points if p.pk == point_id), None)
    if point is None and len(points) == 1:
        point = points[0]
    if form is None:
        form = GateCheckForm(points=points, initial={"point": point.pk if point else None})
    event = None
    event_id = _int(request.GET.get("event"))
    if event_id is not None:
        event = visible_or_404(_events(request), event_id)
    can_override = principal.has_perm("access.override")
    overridden_by = None
    if event is not None and not event.granted:
        overridden_by = _events(request).filter(override_of=event).first()
    if can_override and event is not None and not event.granted and overridden_by is None and override_form is None:
        override_form = OverrideForm()
    recent = _events(request).filter(access_point=point)[:RECENT] if point else []
    return render(request, "access/gate.html", {
        "form": form,
        "points": points,
        "point": point,
        "event": event,
        "event_reasons": reason_labels(event.reasons) if event else [],
        "overridden_by": overridden_by,
        "override_form": override_form if can_override and event is not None and not event.granted else None,
        "recent": _rows(recent),
    }, status=status)


@require_POST
@page("access.decide")
def gate_decide_view(request):
    points = list(_points(request))
    form = GateCheckForm(request.POST, points=points)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = gate_decide(
                actor=request.principal, access_point=form.access_point(),
                credential_number=data["credential_number"].strip() or None,
                plate=data["plate"].strip() or None,
                biometric_match=True if data["biometric_match"] else None,
                direction=data["direction"] or None,
            )
        except ServiceError as error:
            add_service_error(form, error, fields={"access_point": "point", "credential": "credential_number"})
        else:
            return redirect(_gate_url(point=event.access_point_id, event=event.pk))
    elif _int(request.POST.get("point")) is not None and _int(request.POST.get("point")) not in form.points:
        # an access point the guard may not decide at: as if it did not exist
        visible_or_404(_points(request), _int(request.POST.get("point")))
    return gate_screen(request, form=form, status=400)


@require_POST
@page("access.override")
def gate_override_view(request, event_id: int):
    event = visible_or_404(_events(request), event_id)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            override = gate_override(actor=request.principal, event=event, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Override recorded: the person may pass."))
            return redirect(_gate_url(point=override.access_point_id, event=override.pk))
    request.GET = request.GET.copy()
    request.GET["event"] = str(event.pk)
    request.GET["point"] = str(event.access_point_id)
    return gate_screen(request, override_form=form, status=400)


def _day_start(day, *, end: bool = False):
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start + timedelta(days=1) if end else start


@page("access.view_events")
def event_history(request):
    qs = _events(request)
    facilities = Facility.objects.filter(pk__in=event_list(principal=request.principal).values("facility_id"))
    guard_facility = _guard_facility(request)
    if guard_facility is not None:
        facilities = facilities.filter(pk=guard_facility.pk)
    filter_form = EventFilterForm(request.GET or None, facilities=facilities.order_by("name"))
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        if data["facility"]:
            qs = qs.filter(facility=data["facility"])
        if data["outcome"] == "granted":
            qs = qs.filter(granted=True)
        elif data["outcome"] == "refused":
            qs = qs.filter(granted=False)
        if data["reason"]:
            # the quoted code in the stored JSON list: works on SQLite and PostgreSQL alike
            qs = qs.filter(reasons__icontains=json.dumps(data["reason"]))
        if data["since"]:
            qs = qs.filter(occurred_at__gte=_day_start(data["since"]))
        if data["until"]:
            qs = qs.filter(occurred_at__lt=_day_start(data["until"], end=True))
    elif filter_form.is_bound:
        qs = qs.none()
    events = paginate(request, qs)
    return render(request, "access/events.html", {
        "filter_form": filter_form, "page_obj": events, "rows": _rows(events.object_list),
    })


@page("access.view_presence")
def who_is_inside_view(request):
    principal = request.principal
    zones = zone_list(principal=principal, facility=_guard_facility(request)).order_by(
        "facility__name", "facility__pk", "code")
    groups = []
    total = 0
    for facility, facility_zones in groupby(zones, key=lambda z: z.facility):
        entries = []
        for zone in facility_zones:
            people = list(who_is_inside(principal=principal, zone=zone))
            total += len(people)
            entries.append({"zone": zone, "people": people})
        groups.append({"facility": facility, "zones": entries, "count": sum(len(e["people"]) for e in entries)})
    return render(request, "access/inside.html", {"groups": groups, "total": total})
