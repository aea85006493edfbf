""""Would this rule have fired?": a rule's text (saved or not) run over the stored events
of a period, as the evaluator would have run it, without writing anything.

The rule is compiled as :func:`~havenwatch.controlroom.services.rules.rule_save` would
compile it. The events are those the actor may see (``selectors.event_list``) of the port
in the period, of the kinds the rule names, in id order as the evaluator reads them, and
each is shaped as :meth:`havenwatch.controlroom.evaluation.Engine.to_event` shapes it (the
device's place, the security level in force now). The firings are grouped as
:func:`~havenwatch.controlroom.services.alarms.alarms_raise` groups them: a firing joins the
previous would-be alarm of its suppression key when its first event is less than the rule's
``suppress.for`` after that alarm's last event. Nobody closes a would-be alarm, so every
one of them stays open for the next firing of its key.

It writes nothing: the work runs in a transaction (read-only on PostgreSQL) that is
always rolled back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.db import connection, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from havenwatch.controlroom import evaluation, selectors
from havenwatch.controlroom import rules as rule_language
from havenwatch.controlroom.models import Device, WatchlistEntry
from havenwatch.controlroom.services.rules import compile_text
from havenwatch.core.authz import require
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.models import Facility, Port
from havenwatch.core.principal import Principal

MAX_EVENTS = 200_000
CHUNK = 2_000


def rule_dry_run(*, actor: Principal, port: Port, text: str, since: datetime, until: datetime,
                 facility: Facility | None = None) -> list[dict]:
    """The alarms ``text`` would have raised from the events of ``port`` that ``actor`` may
    see, from ``since`` (included) to ``until`` (excluded), oldest first. Each is a dict:
    ``first_event_at``, ``last_event_at``, ``count`` (firings, as an alarm counts them),
    ``device`` (the id of the device of its first event), ``device_code``, ``position``
    (GeoJSON point or None) and ``events`` (the ids of its events, in the order they joined).

    A facility's rule (``facility``) sees only that facility's events, as the evaluator
    runs it. Raises :class:`ValidationFailed` for a rule that does not compile (naming the
    key), a period that ends before it starts, or more than :data:`MAX_EVENTS` events to
    look at (choose a shorter period)."""
    require(actor, "controlroom.view_rules")
    rule = compile_text(text)
    if facility is not None:
        if facility.port_id != port.pk:
            raise ValidationFailed(_("%(facility)s is not in %(port)s.") % {"facility": facility.name,
                                                                             "port": port.name}, field="facility")
        rule = replace(rule, facility=facility.isps_number)
    if since is None or until is None or since >= until:
        raise ValidationFailed(_("The period ends after it starts."), field="until")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
        try:
            return _run(actor, port, rule, since, until)
        finally:
            transaction.set_rollback(True)


def _run(actor: Principal, port: Port, rule: rule_language.Rule, since: datetime, until: datetime) -> list[dict]:
    evaluator = rule_language.Evaluator([rule], _watchlists(port, rule))
    rows = (selectors.event_list(principal=actor).select_related(None)
            .filter(port=port, occurred_at__gte=since, occurred_at__lt=until, kind__in=sorted(rule.kinds)))
    if rule.facility is not None:
        rows = rows.filter(facility__isps_number=rule.facility)
    # tuples, not model instances: a period may hold many thousands
    rows = rows.order_by("id").values_list("id", "device_id", "kind", "occurred_at", "attributes")
    levels = evaluation.security_levels()
    places: dict[int, tuple[evaluation.Place, str]] = {}  # a device's place and its code
    firings: list[rule_language.Firing] = []
    seen = 0
    chunk: list = []
    for row in rows[:MAX_EVENTS + 1].iterator(chunk_size=CHUNK):
        seen += 1
        if seen > MAX_EVENTS:
            raise ValidationFailed(_("The period holds more than %(n)s events for this rule: choose a shorter "
                                     "period.") % {"n": number_format(MAX_EVENTS, force_grouping=True)}, field="since")
        chunk.append(row)
        if len(chunk) == CHUNK:
            firings += _offer(evaluator, chunk, places, levels)
            chunk = []
    firings += _offer(evaluator, chunk, places, levels)
    return _group(firings, places)


def _watchlists(port: Port, rule: rule_language.Rule) -> dict[str, frozenset[str]]:
    """The port's list the rule names, as the evaluator holds it."""
    if rule.watchlist is None:
        return {}
    values = WatchlistEntry.objects.filter(watchlist__port=port, watchlist__code=rule.watchlist).values_list(
        "value", flat=True)
    return {rule.watchlist: frozenset(values)}


def _offer(evaluator: rule_language.Evaluator, rows: list, places: dict, levels: dict) -> list:
    missing = {row[1] for row in rows} - set(places)
    for device in Device.objects.filter(pk__in=sorted(missing)).select_related("facility").only(
            "pk", "code", "port_id", "facility_id", "facility__isps_number", "geometry"):
        places[device.pk] = (evaluation.place_of(device), device.code)
    firings = []
    for row in rows:
        firings += evaluator.offer(_event(row, places[row[1]][0], levels))
    return firings


def _event(row: tuple, place: evaluation.Place, levels: dict) -> rule_language.Event:
    return evaluation.make_event(*row, place, levels)


def _group(firings: list[rule_language.Firing], places: dict) -> list[dict]:
    """Firings as alarms: one open alarm per suppression key, joined while the next firing
    comes less than ``suppress.for`` after its last event (``alarms_raise``)."""
    alarms: list[dict] = []
    open_by_key: dict[tuple, dict] = {}
    linked: dict[int, set[int]] = {}  # id(alarm) → its event ids (an event is linked once)
    for firing in firings:
        first, last = firing.events[0], firing.last
        alarm = open_by_key.get(firing.key)
        if alarm is not None and first.occurred_at - alarm["last_event_at"] < firing.rule.suppress_for:
            alarm["count"] += 1
            alarm["last_event_at"] = max(alarm["last_event_at"], last.occurred_at)
        else:
            alarm = {
                "first_event_at": first.occurred_at, "last_event_at": last.occurred_at, "count": 1,
                "device": first.device_id, "device_code": places[first.device_id][1],
                "position": {"type": "Point", "coordinates": list(first.position)} if first.position else None,
                "events": [],
            }
            open_by_key[firing.key] = alarm
            alarms.append(alarm)
        seen = linked.setdefault(id(alarm), set())
        for event in firing.events:
            if event.id not in seen:
                seen.add(event.id)
                alarm["events"].append(event.id)
    return alarms
