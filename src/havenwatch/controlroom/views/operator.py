"""The operator's pages: the screen (map and queue, with the alarm's panel opened in place),
the wall screen, the alarm history and one alarm's page, and the snapshots of events.

Reading goes through :mod:`havenwatch.controlroom.selectors` (an alarm the principal may
not see is a 404); every act is a service of ``services/alarms.py``, whose refusals are
shown on the panel. The screen stays live through ``/api/v1/stream``: ``screen.js``
refetches the queue (:func:`queue_view`) and the map (:func:`map_data_view`) when an
alarm event arrives.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.controlroom import selectors, selectors_screen
from havenwatch.controlroom.choices import CLOSED_STATES, OPEN_STATES, AlarmState
from havenwatch.controlroom.forms_operator import AlarmFilterForm, CloseForm, NoteForm, StepForm
from havenwatch.controlroom.models import Alarm
from havenwatch.controlroom.services import alarms as alarm_services
from havenwatch.core import clock, event_types
from havenwatch.core import selectors as core_selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page, paginate, safe_next, visible_or_404
from havenwatch.core.views.events import payload_summary

EVENTS_SHOWN = 50
ALARM_EVENT_PREFIX = "controlroom.alarm."


def age(since: datetime | None, now: datetime) -> str:
    """How long ago, in the queue's short form: 40 s, 12 min, 3 h, 2 d."""
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)s min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)s h") % {"n": seconds // 3600}
    return _("%(n)s d") % {"n": seconds // 86400}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _stream(request) -> dict:
    """Where ``screen.js`` listens: the live stream from the last event already shown, and
    the alarm event types it reacts to. Nothing when the principal may not follow it."""
    principal = request.principal
    if not principal.has_perm("core.view_events"):
        return {"stream_url": "", "alarm_types": []}
    last = core_selectors.visible_events(principal=principal).order_by("-sequence").values_list(
        "sequence", flat=True).first() or 0
    return {
        "stream_url": f"{reverse('event-stream')}?after={last}",
        "alarm_types": [t.code for t in event_types.all_types() if t.code.startswith(ALARM_EVENT_PREFIX)],
    }


def _queue_context(request, selected: int | None = None) -> dict:
    now = clock.now()
    alarms, total = selectors_screen.queue(principal=request.principal)
    return {
        "queue_rows": [{"alarm": a, "age": age(a.raised_at, now),
                        "overdue": a.state == AlarmState.NEW and a.acknowledge_by < now} for a in alarms],
        "queue_total": total,
        "selected": selected,
    }


# --- the screen and the wall ------------------------------------------------------------------


@page("controlroom.view_alarm")
def screen_view(request):
    principal = request.principal
    context = {**_queue_context(request), **_stream(request),
               "map": selectors_screen.screen_map(principal=principal)}
    wanted = _int(request.GET.get("alarm"))
    if wanted is not None:
        alarm = visible_or_404(selectors.alarm_list(principal=principal), wanted)
        context.update(_panel_context(request, alarm, next_url=request.get_full_path()))
        context["selected"] = alarm.pk
    return render(request, "controlroom/operator/screen.html", context)


@page("controlroom.view_alarm")
def queue_view(request):
    """The queue alone: what ``screen.js`` swaps in when an alarm is raised or changes."""
    response = render(request, "controlroom/operator/_queue.html",
                      _queue_context(request, _int(request.GET.get("selected"))))
    response["Cache-Control"] = "no-store"
    return response


@page("controlroom.view_alarm")
def map_data_view(request):
    """The map's devices and open alarms, and the wall's counts, as JSON."""
    response = JsonResponse(selectors_screen.screen_map(principal=request.principal))
    response["Cache-Control"] = "no-store"
    return response


@page("controlroom.view_alarm")
def wall_view(request):
    principal = request.principal
    data = selectors_screen.screen_map(principal=principal)
    return render(request, "controlroom/operator/wall.html", {
        **_stream(request), "map": data, "counts": data["counts"],
        "priorities": [(p, data["counts"]["open"][str(p)]) for p in selectors_screen.PRIORITIES],
    })


# --- the history and one alarm ------------------------------------------------------------------


@page("controlroom.view_alarm")
def alarm_list_view(request):
    qs = selectors.alarm_list(principal=request.principal)
    rules = list(qs.order_by("rule_code").values_list("rule_code", flat=True).distinct())
    filters = AlarmFilterForm(request.GET or None, rules=rules)
    zone = ZoneInfo(settings.TIME_ZONE)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["state"] == "open":
            qs = qs.filter(state__in=OPEN_STATES)
        elif data["state"]:
            qs = qs.filter(state=data["state"])
        if data["priority"]:
            qs = qs.filter(priority=data["priority"])
        if data["rule"]:
            qs = qs.filter(rule_code=data["rule"])
        if data["since"]:
            qs = qs.filter(raised_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone))
        if data["until"]:
            qs = qs.filter(raised_at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone))
    elif filters.is_bound:
        qs = qs.none()
    return render(request, "controlroom/operator/alarms.html", {
        "filters": filters, "page_obj": paginate(request, qs), "time_zone": settings.TIME_ZONE,
    })


def _panel_context(request, alarm: Alarm, *, forms: dict | None = None, done: str = "", next_url: str = "") -> dict:
    """What the alarm's panel shows; ``forms`` holds the bound forms of an act that failed."""
    principal = request.principal
    forms = forms or {}
    timeline = selectors_screen.alarm_timeline(principal=principal, alarm=alarm)
    events = list(selectors.alarm_events(principal=principal, alarm=alarm)[:EVENTS_SHOWN])
    is_open = alarm.state not in CLOSED_STATES
    now = clock.now()
    failed_step = forms.get("step")
    return {
        "alarm": alarm,
        "events": [{"event": e, "summary": payload_summary(e.attributes)} for e in events],
        "event_total": alarm.count if len(events) < EVENTS_SHOWN else None,
        "timeline": timeline,
        # what screen.js compares to know whether the panel it shows is out of date
        "version": f"{alarm.state}.{alarm.count}.{timeline[-1].pk if timeline else 0}",
        "steps": selectors_screen.alarm_steps(alarm, timeline),
        "step_error": failed_step,
        "can_work": is_open and principal.has_perm("controlroom.work_alarm"),
        "is_open": is_open,
        "note_form": forms.get("note") or NoteForm(auto_id="id_note_%s"),
        "close_form": forms.get("close") or CloseForm(auto_id="id_close_%s"),
        "act_error": forms.get("act", ""),
        "done": done,
        "age": age(alarm.raised_at, now),
        "overdue": alarm.state == AlarmState.NEW and alarm.acknowledge_by < now,
        "time_zone": alarm.port.time_zone,
        "alarm_url": reverse("controlroom:alarm", args=[alarm.pk]),
        "next_url": next_url or reverse("controlroom:alarm", args=[alarm.pk]),
    }


@page("controlroom.view_alarm")
def alarm_view(request, alarm_id: int):
    alarm = visible_or_404(selectors.alarm_list(principal=request.principal), alarm_id)
    return render(request, "controlroom/operator/alarm.html", _panel_context(request, alarm))


@page("controlroom.view_alarm")
def alarm_panel_view(request, alarm_id: int):
    """The panel alone, as the screen opens it in place (htmx)."""
    alarm = visible_or_404(selectors.alarm_list(principal=request.principal), alarm_id)
    response = render(request, "controlroom/operator/_panel.html", _panel_context(request, alarm))
    response["Cache-Control"] = "no-store"
    return response


# --- acting on an alarm ----------------------------------------------------------------------


def _back(request, alarm: Alarm):
    """Where an act without JavaScript returns: the page it came from when that is ours."""
    return redirect(safe_next(request, request.POST.get("next")) or reverse("controlroom:alarm", args=[alarm.pk]))


def _answer(request, alarm: Alarm, *, done: str = "", forms: dict | None = None):
    """After an act: with htmx, the panel again (its error on the form at fault, or what was
    done); without, back to the page on success and the alarm's page with the error (400)."""
    alarm = selectors.alarm_list(principal=request.principal).get(pk=alarm.pk)
    failed = bool(forms)
    if _is_htmx(request):
        response = render(request, "controlroom/operator/_panel.html",
                          _panel_context(request, alarm, forms=forms, done=done))
        if not failed:
            response["HX-Trigger"] = "controlroom-alarm-changed"
        return response
    if not failed:
        messages.success(request, done)
        return _back(request, alarm)
    return render(request, "controlroom/operator/alarm.html", _panel_context(request, alarm, forms=forms),
                  status=400)


def _workable(request, alarm_id: int) -> Alarm:
    return visible_or_404(selectors.workable_alarms(principal=request.principal), alarm_id)


def _transition(request, alarm_id: int, service, done: str):
    """Acknowledge or start: an act with nothing to fill in."""
    alarm = _workable(request, alarm_id)
    try:
        service(actor=request.principal, alarm=alarm)
    except ServiceError as error:
        return _answer(request, alarm, forms={"act": str(error.message)})
    return _answer(request, alarm, done=done % {"n": alarm.pk})


@require_POST
@page("controlroom.work_alarm")
def alarm_acknowledge_view(request, alarm_id: int):
    return _transition(request, alarm_id, alarm_services.alarm_acknowledge, _("Alarm #%(n)s acknowledged."))


@require_POST
@page("controlroom.work_alarm")
def alarm_start_view(request, alarm_id: int):
    return _transition(request, alarm_id, alarm_services.alarm_start, _("Work on alarm #%(n)s has started."))


@require_POST
@page("controlroom.work_alarm")
def alarm_note_view(request, alarm_id: int):
    alarm = _workable(request, alarm_id)
    form = NoteForm(request.POST, auto_id="id_note_%s")
    if form.is_valid():
        try:
            alarm_services.alarm_note(actor=request.principal, alarm=alarm, text=form.cleaned_data["text"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return _answer(request, alarm, done=_("Note added to alarm #%(n)s.") % {"n": alarm.pk})
    return _answer(request, alarm, forms={"note": form})


@require_POST
@page("controlroom.work_alarm")
def alarm_step_view(request, alarm_id: int):
    alarm = _workable(request, alarm_id)
    form = StepForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            alarm_services.alarm_step(actor=request.principal, alarm=alarm, step=data["step"], done=data["done"],
                                      reason=data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            done = (_("Step %(step)s is done.") if data["done"] else _("Step %(step)s is skipped.")) % {
                "step": data["step"] + 1}
            return _answer(request, alarm, done=done)
    step = form.cleaned_data.get("step") if hasattr(form, "cleaned_data") else None
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return _answer(request, alarm, forms={"step": {"index": step, "errors": errors}})


@require_POST
@page("controlroom.work_alarm")
def alarm_close_view(request, alarm_id: int):
    alarm = _workable(request, alarm_id)
    form = CloseForm(request.POST, auto_id="id_close_%s")
    if form.is_valid():
        false_alarm = form.false_alarm()
        try:
            alarm_services.alarm_close(actor=request.principal, alarm=alarm, false_alarm=false_alarm,
                                       reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            done = (_("Alarm #%(n)s is closed as a false alarm.") if false_alarm
                    else _("Alarm #%(n)s is resolved.")) % {"n": alarm.pk}
            return _answer(request, alarm, done=done)
    return _answer(request, alarm, forms={"close": form})


# --- snapshots ----------------------------------------------------------------------------


@page("controlroom.view_alarm")
def snapshot_view(request, event_id: int):
    """An event's camera image, only for who sees the event or an alarm raised from it;
    never cached outside the browser's memory."""
    snapshot = selectors_screen.event_snapshot(principal=request.principal, event_id=event_id)
    if snapshot is None:
        raise Http404
    response = HttpResponse(bytes(snapshot.data), content_type=snapshot.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="event-{event_id}.{snapshot.content_type.split("/")[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
