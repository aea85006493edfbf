"""Rules, procedures and watch lists: what the port security officer writes.

A rule is saved as YAML text; it must compile (:mod:`havenwatch.controlroom.rules`)
before it is stored, and the error names the key at fault. Each save is a new version;
every version is kept, so an alarm's rule is readable as it was when it fired. The port's
rules belong to an authority over the port; a facility's rules to its operator, and they
see only that facility's events.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.controlroom import rules as rule_language
from havenwatch.controlroom.choices import RuleStatus
from havenwatch.controlroom.models import Rule, RuleVersion, Sop, Watchlist, WatchlistEntry
from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility, Port
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

VALUE_RE = re.compile(r"^[A-Z0-9]{2,64}$")


def _require_writer(actor: Principal, port: Port, facility: Facility | None) -> int:
    """Who writes here, and the organisation that will own what is written."""
    require(actor, "controlroom.manage_rules")
    if actor.unrestricted:
        return facility.operator_id if facility is not None else port.authority_id
    if port.pk in actor.jurisdiction_port_ids:
        return facility.operator_id if facility is not None else actor.organisation_id
    if facility is not None and facility.operator_id == actor.organisation_id:
        return actor.organisation_id
    if facility is not None:
        raise PermissionRefused(_("Only the operator of %(facility)s or an authority over its port writes its "
                                  "rules.") % {"facility": facility.name})
    raise PermissionRefused(_("Only an authority over %(port)s writes the port's rules.") % {"port": port.name})


def compile_text(text: str) -> rule_language.Rule:
    """The rule compiled, or a 422 naming the key at fault."""
    try:
        return rule_language.parse_rule(text)
    except rule_language.RuleError as exc:
        raise ValidationFailed(_("The rule does not compile: %(error)s") % {"error": str(exc)}, field="text",
                               code="rule_invalid") from None


@transaction.atomic
def rule_save(*, actor: Principal, port: Port, text: str, facility: Facility | None = None,
              status: str = RuleStatus.ACTIVE, note: str = "") -> Rule:
    """Save a rule: new, or a new version of the rule with the same code in the port."""
    owner_id = _require_writer(actor, port, facility)
    if facility is not None and facility.port_id != port.pk:
        raise ValidationFailed(_("%(facility)s is not in %(port)s.") % {"facility": facility.name, "port": port.name},
                               field="facility")
    if status not in RuleStatus.values:
        raise ValidationFailed(_("Choose active, draft or retired."), field="status")
    compiled = compile_text(text)
    if compiled.facility is not None and (facility is None or compiled.facility != facility.isps_number):
        raise ValidationFailed(_("The rule's area names a facility: save it as that facility's rule instead."),
                               field="text")
    note = " ".join(note.split())[:300] if isinstance(note, str) else ""
    now = clock.now()
    rule = Rule.objects.select_for_update().filter(port=port, code=compiled.code).first()
    if rule is None:
        rule = Rule.objects.create(port=port, facility=facility, owner_id=owner_id, code=compiled.code, version=1,
                                   kind=compiled.kind, title=compiled.title, priority=compiled.priority, text=text,
                                   status=status, updated_at=now)
    else:
        if rule.facility_id != (facility.pk if facility else None):
            raise Conflict(_("%(code)s is a rule of another area of the port: give the new rule another code.")
                           % {"code": rule.code}, field="text")
        if not actor.unrestricted and rule.owner_id != actor.organisation_id \
                and port.pk not in actor.jurisdiction_port_ids:
            raise PermissionRefused(_("%(code)s is not your organisation's rule.") % {"code": rule.code})
        if rule.text == text and rule.status == status:
            return rule
        rule.version += 1
        rule.kind, rule.title, rule.priority = compiled.kind, compiled.title, compiled.priority
        rule.text, rule.status, rule.updated_at = text, status, now
        rule.save()
    RuleVersion.objects.create(rule=rule, version=rule.version, text=text, status=status, author=actor.label,
                               note=note, created_at=now)
    emit(actor=actor, code="controlroom.rule.saved", subject=rule, organisation_id=rule.owner_id, port_id=port.pk,
         facility_id=rule.facility_id, data={"code": rule.code, "version": rule.version, "status": status,
                                             "note": note})
    return rule


@transaction.atomic
def sop_save(*, actor: Principal, port: Port, code: str, title: str, steps: list[str]) -> Sop:
    """Write a procedure, or its next version. Open alarms keep the steps they were raised with."""
    owner_id = _require_writer(actor, port, None)
    if not isinstance(code, str) or not rule_language.CODE_RE.match(code):
        raise ValidationFailed(_("A code is 2 to 64 lower-case letters, digits and dashes."), field="code")
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if not title or len(title) > 160:
        raise ValidationFailed(_("Give the procedure a title of at most 160 characters."), field="title")
    clean = [" ".join(s.split()) for s in steps or [] if isinstance(s, str) and s.strip()]
    if not clean or len(clean) > 30 or any(len(s) > 300 for s in clean):
        raise ValidationFailed(_("A procedure has 1 to 30 steps of at most 300 characters each."), field="steps")
    now = clock.now()
    sop = Sop.objects.select_for_update().filter(port=port, code=code).first()
    if sop is None:
        sop = Sop.objects.create(port=port, owner_id=owner_id, code=code, title=title, steps=clean, updated_at=now)
    elif sop.title != title or sop.steps != clean:
        sop.version += 1
        sop.title, sop.steps, sop.updated_at = title, clean, now
        sop.save()
    else:
        return sop
    emit(actor=actor, code="controlroom.sop.saved", subject=sop, organisation_id=sop.owner_id, port_id=port.pk,
         data={"code": code, "version": sop.version, "steps": len(clean)})
    return sop


def normalise_value(value) -> str:
    """A plate or serial as lists keep it (``rules.listed_form``: capitals and digits, no
    spaces, dots or dashes), the way the evaluator reads cameras' plates."""
    value = rule_language.listed_form(value) or ""
    if not VALUE_RE.match(value):
        raise ValidationFailed(_("A listed value is 2 to 64 letters and digits (spaces, dots and dashes are "
                                 "dropped)."), field="value")
    return value


@transaction.atomic
def watchlist_save(*, actor: Principal, port: Port, code: str, name: str) -> Watchlist:
    owner_id = _require_writer(actor, port, None)
    if not isinstance(code, str) or not rule_language.CODE_RE.match(code):
        raise ValidationFailed(_("A code is 2 to 64 lower-case letters, digits and dashes."), field="code")
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name or len(name) > 120:
        raise ValidationFailed(_("Give the list a name of at most 120 characters."), field="name")
    watchlist, created = Watchlist.objects.get_or_create(port=port, code=code, defaults={
        "owner_id": owner_id, "name": name, "updated_at": clock.now()})
    if not created and watchlist.name != name:
        watchlist.name = name
        watchlist.updated_at = clock.now()
        watchlist.save(update_fields=["name", "updated_at"])
    return watchlist


@transaction.atomic
def watchlist_change(*, actor: Principal, watchlist: Watchlist, add: list[str] = (), remove: list[str] = (),
                     note: str = "") -> Watchlist:
    """Add values to a watch list (with why) or take them off; audited, and the evaluator
    picks the change up at its next round."""
    watchlist = Watchlist.objects.select_for_update().select_related("port").get(pk=watchlist.pk)
    _require_writer(actor, watchlist.port, None)
    added = sorted({normalise_value(v) for v in add or ()})
    removed = sorted({normalise_value(v) for v in remove or ()})
    if not added and not removed:
        raise ValidationFailed(_("Give values to add or to remove."), field="add")
    note = " ".join(note.split()) if isinstance(note, str) else ""
    if added and not note:
        raise ValidationFailed(_("Say why these values are listed."), field="note")
    now = clock.now()
    existing = set(WatchlistEntry.objects.filter(watchlist=watchlist, value__in=added).values_list("value", flat=True))
    WatchlistEntry.objects.bulk_create([WatchlistEntry(watchlist=watchlist, value=v, note=note[:300], added_at=now,
                                                       added_by=actor.label) for v in added if v not in existing])
    WatchlistEntry.objects.filter(watchlist=watchlist, value__in=removed).delete()
    watchlist.updated_at = now
    watchlist.save(update_fields=["updated_at"])
    emit(actor=actor, code="controlroom.watchlist.changed", subject=watchlist, organisation_id=watchlist.owner_id,
         port_id=watchlist.port_id, publish=False,
         data={"code": watchlist.code, "added": added, "removed": removed, "note": note[:300]})
    return watchlist
