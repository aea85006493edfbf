"""The rules pages: the list, one rule with its versions, an old version as it was, and the
editor (a new rule, or the next version of one). "Would it have fired?" runs a rule's
text, saved or not, over the stored events of a period and lists the alarms it would have
raised, writing nothing (:func:`havenwatch.controlroom.services.dry_run.rule_dry_run`).

Rules are found through :func:`havenwatch.controlroom.selectors.rule_list` (another's is a
404); saving goes through :func:`havenwatch.controlroom.services.rules.rule_save`, whose
message names the key at fault when a rule does not compile.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from havenwatch.controlroom import selectors
from havenwatch.controlroom.forms_setup import DryRunForm, RuleFilterForm, RuleForm
from havenwatch.controlroom.services import rules as rule_services
from havenwatch.controlroom.services.dry_run import rule_dry_run
from havenwatch.controlroom.views.setup_common import areas, common_time_zone
from havenwatch.controlroom.views.setup_devices import attributes_text
from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page, paginate, visible_or_404

DEFAULT_PERIOD = timedelta(days=7)
SHOWN_ALARMS = 100
SHOWN_EVENTS = 20

EXAMPLE = """\
code: verified-intrusion
kind: correlation
title: Verified intrusion over the fence
priority: 1
at_level: ">= 1"
when:
  - kind: fence.alarm
  - kind: camera.detection
    where: {label: person, score: ">= 0.7"}
within: 60s
near: 150m
suppress: {per: device, for: 10m}
sop: intrusion
"""


def _rules(request):
    return selectors.rule_list(principal=request.principal)


def _area_label(rule) -> str:
    return rule.facility.name if rule.facility_id else _("%(port)s (whole port)") % {"port": rule.port.name}


@page("controlroom.view_rules")
def rule_list(request):
    qs = _rules(request)
    filters = RuleFilterForm(request.GET or None)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["q"]:
            term = data["q"].strip()
            qs = qs.filter(Q(code__icontains=term) | Q(title__icontains=term))
        if data["status"]:
            qs = qs.filter(status=data["status"])
    page_obj = paginate(request, qs)
    return render(request, "controlroom/setup/rules/list.html", {
        "filters": filters,
        "page_obj": page_obj,
        "rows": [{"rule": rule, "area": _area_label(rule)} for rule in page_obj],
        "can_write": request.principal.has_perm("controlroom.manage_rules"),
    })


def _default_period() -> dict:
    until = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    return {"since": until - DEFAULT_PERIOD, "until": until}


def _dry_run(request, form, *, port, facility, text) -> list[dict] | None:
    """Run "would it have fired?" for a valid form; None (and the error on the form) if it cannot."""
    period = form.period()
    if period is None:
        return None
    try:
        return rule_dry_run(actor=request.principal, port=port, facility=facility, text=text,
                            since=period[0], until=period[1])
    except ServiceError as error:
        add_service_error(form, error, fields={"facility": "area"})
        return None


def _results(request, alarms: list[dict] | None) -> dict | None:
    """The would-be alarms as the page lists them, each with (the first of) its events."""
    if alarms is None:
        return None
    shown = alarms[:SHOWN_ALARMS]
    ids = {pk for alarm in shown for pk in alarm["events"][:SHOWN_EVENTS]}
    events = {e.pk: e for e in selectors.event_list(principal=request.principal).filter(pk__in=sorted(ids))}
    rows = []
    for alarm in shown:
        listed = [events[pk] for pk in alarm["events"][:SHOWN_EVENTS] if pk in events]
        rows.append({**alarm, "listed": [{"event": e, "attributes": attributes_text(e.attributes)} for e in listed],
                     "more": len(alarm["events"]) - len(listed)})
    return {"alarms": rows, "total": len(alarms), "hidden": len(alarms) - len(shown),
            "firings": sum(alarm["count"] for alarm in alarms)}


@page("controlroom.view_rules")
def rule_detail(request, rule_id: int):
    rule = visible_or_404(_rules(request), rule_id)
    zone = rule.port.time_zone
    form = DryRunForm(request.GET if "since" in request.GET else None, time_zone=zone,
                      initial=_default_period())
    results = None
    if form.is_bound and form.is_valid():
        results = _dry_run(request, form, port=rule.port, facility=rule.facility, text=rule.text)
    return render(request, "controlroom/setup/rules/detail.html", {
        "rule": rule,
        "area": _area_label(rule),
        "versions": rule.versions.all(),
        "time_zone": zone,
        "dry_run_form": form,
        "results": _results(request, results),
        "can_write": request.principal.has_perm("controlroom.manage_rules"),
    }, status=400 if form.errors else 200)


@page("controlroom.view_rules")
def rule_version(request, rule_id: int, version: int):
    rule = visible_or_404(_rules(request), rule_id)
    old = rule.versions.filter(version=version).first()
    if old is None:
        raise Http404
    return render(request, "controlroom/setup/rules/version.html", {
        "rule": rule, "old": old, "area": _area_label(rule), "time_zone": rule.port.time_zone,
        "can_write": request.principal.has_perm("controlroom.manage_rules"),
    })


def _same_code(form, rule, text) -> bool:
    """The next version of a rule keeps its code (a new code would be another rule)."""
    try:
        compiled = rule_services.compile_text(text)
    except ServiceError as error:
        add_service_error(form, error)
        return False
    if compiled.code != rule.code:
        form.add_error("text", _("The code is what makes this rule the same rule: keep “code: %(code)s”, or write "
                                 "a new rule for %(new)s.") % {"code": rule.code, "new": compiled.code})
        return False
    return True


@page("controlroom.manage_rules")
def rule_edit(request, rule_id: int | None = None):
    """A new rule (``rule_id`` None) or the next version of one; with "Would it have
    fired?" on the text as it stands in the form, saved or not."""
    principal = request.principal
    rule = visible_or_404(_rules(request), rule_id) if rule_id is not None else None
    choices = None if rule is not None else areas(principal)
    if rule is not None:
        zone = rule.port.time_zone
    else:
        zone = common_time_zone({obj.port if hasattr(obj, "isps_number") else obj
                                 for _group, items in choices for _key, _label, obj in items})
    context = {"rule": rule, "example": EXAMPLE, "time_zone": zone, "no_area": choices == []}
    if request.method != "POST":
        initial = {**_default_period(), "text": rule.text if rule else "", "status": rule.status if rule else None}
        if rule is not None and request.GET.get("version", "").isdigit():  # start from an old version
            old = rule.versions.filter(version=int(request.GET["version"])).first()
            if old is not None:
                initial.update(text=old.text, note=_("Back to version %(n)s") % {"n": old.version})
        form = RuleForm(areas=choices, time_zone=zone, initial={k: v for k, v in initial.items() if v is not None})
        return render(request, "controlroom/setup/rules/edit.html", {**context, "form": form})
    form = RuleForm(request.POST, areas=choices, time_zone=zone)
    results = None
    if form.is_valid():
        data = form.cleaned_data
        port, facility = (rule.port, rule.facility) if rule is not None else form.area_objects()
        if "dry_run" in request.POST:
            results = _dry_run(request, form, port=port, facility=facility, text=data["text"])
        elif rule is None or _same_code(form, rule, data["text"]):
            try:
                saved = rule_services.rule_save(actor=principal, port=port, facility=facility, text=data["text"],
                                                status=data["status"], note=data["note"])
            except ServiceError as error:
                add_service_error(form, error, fields={"facility": "area"})
            else:
                if rule is not None and saved.version == rule.version:
                    messages.info(request, _("Nothing changed: the text and the status are those of version "
                                             "%(version)s.") % {"version": saved.version})
                else:
                    messages.success(request, _("Rule %(code)s is saved as version %(version)s.")
                                     % {"code": saved.code, "version": saved.version})
                return redirect("controlroom:rule", rule_id=saved.pk)
    return render(request, "controlroom/setup/rules/edit.html", {
        **context, "form": form, "results": _results(request, results),
    }, status=400 if form.errors else 200)
