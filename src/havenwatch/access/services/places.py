"""Zones of a facility and the access points on their boundaries."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.access.choices import AccessPointKind, Direction, LevelMode
from havenwatch.access.models import AccessPoint, Zone, ZoneLevelRule
from havenwatch.core import validation
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

LEVELS = (1, 2, 3)


def require_facility_operator(actor: Principal, facility: Facility, what: str) -> None:
    """Only the facility's operator (or the platform) manages its zones and rights."""
    if actor.unrestricted or facility.operator_id == actor.organisation_id:
        return
    raise PermissionRefused(
        _("Only the operator of %(facility)s can %(what)s.") % {"facility": facility.name, "what": what}
    )


def _text(value, *, field: str, max_length: int, message: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        raise ValidationFailed(message, field=field)
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(field)s is too long: at most %(max)s characters.") % {"field": field, "max": max_length},
            field=field,
        )
    return value


def _clean_level_rules(level_rules) -> dict[int, dict]:
    if not level_rules:
        return {}
    if not isinstance(level_rules, dict):
        raise ValidationFailed(_("Level rules map a security level (1, 2, 3) to a rule."), field="level_rules")
    cleaned: dict[int, dict] = {}
    for raw_level, rule in level_rules.items():
        try:
            level = int(raw_level)
        except (TypeError, ValueError):
            level = 0
        if level not in LEVELS:
            raise ValidationFailed(_("%(level)s is not a security level: use 1, 2 or 3.") % {"level": raw_level},
                                   field="level_rules")
        if level in cleaned:
            raise ValidationFailed(_("Security level %(level)s has two rules.") % {"level": level},
                                   field="level_rules")
        if not isinstance(rule, dict):
            raise ValidationFailed(_("The rule for security level %(level)s must say its mode.") % {"level": level},
                                   field="level_rules")
        mode = rule.get("mode", LevelMode.OPEN)
        if mode not in LevelMode.values:
            raise ValidationFailed(
                _("%(mode)s is not a mode: use open, listed_only or closed.") % {"mode": mode}, field="level_rules"
            )
        purposes = rule.get("allowed_purposes") or []
        if not isinstance(purposes, list | tuple) or not all(isinstance(p, str) and p.strip() for p in purposes):
            raise ValidationFailed(_("Allowed purposes are a list of words such as \"emergency\"."),
                                   field="level_rules")
        purposes = sorted({p.strip() for p in purposes})
        if mode == LevelMode.LISTED_ONLY and not purposes:
            raise ValidationFailed(
                _("At security level %(level)s only listed purposes enter: list at least one.") % {"level": level},
                field="level_rules",
            )
        if mode != LevelMode.LISTED_ONLY and purposes:
            raise ValidationFailed(
                _("Purposes are listed only for the mode listed_only (level %(level)s).") % {"level": level},
                field="level_rules",
            )
        cleaned[level] = {"mode": str(mode), "allowed_purposes": purposes}
    return cleaned


def _is_area(geometry: dict) -> bool:
    """Whether every shape in a (validated) GeoJSON object is a polygon."""
    kind = geometry.get("type")
    if kind == "FeatureCollection":
        features = geometry.get("features") or []
        return bool(features) and all(_is_area(f) for f in features)
    if kind == "Feature":
        return isinstance(geometry.get("geometry"), dict) and _is_area(geometry["geometry"])
    return kind in ("Polygon", "MultiPolygon")


@transaction.atomic
def zone_create(
    *,
    actor: Principal,
    facility: Facility,
    code: str,
    name: str,
    geometry: dict | None = None,
    escort_required: bool = False,
    requires_verification: bool = False,
    level_rules: dict | None = None,
) -> Zone:
    """A restricted area of a facility, with what it allows at each security level."""
    require(actor, "access.manage_zones")
    require_facility_operator(actor, facility, _("create its zones"))
    code = _text(code, field="code", max_length=40, message=_("Give the zone a code."))
    name = _text(name, field="name", max_length=120, message=_("Give the zone a name."))
    geometry = validation.geojson(geometry, field="geometry")
    if geometry is not None and not _is_area(geometry):
        raise ValidationFailed(_("A zone's outline is an area: give a GeoJSON Polygon or MultiPolygon."),
                               field="geometry")
    rules = _clean_level_rules(level_rules)
    if Zone.objects.filter(facility=facility, code=code).exists():
        raise Conflict(_("%(facility)s has a zone %(code)s already.") % {"facility": facility.name, "code": code},
                       field="code")
    zone = Zone.objects.create(facility=facility, code=code, name=name, geometry=geometry,
                               escort_required=bool(escort_required),
                               requires_verification=bool(requires_verification))
    ZoneLevelRule.objects.bulk_create(
        [ZoneLevelRule(zone=zone, level=level, **rule) for level, rule in sorted(rules.items())]
    )
    emit(actor=actor, code="access.zone.created", subject=zone, organisation_id=facility.operator_id,
         port_id=facility.port_id, facility_id=facility.pk,
         data={"facility": facility.isps_number, "code": code, "name": name,
               "escort_required": zone.escort_required, "requires_verification": zone.requires_verification,
               "level_rules": {str(level): rule for level, rule in sorted(rules.items())}})
    return zone


@transaction.atomic
def access_point_create(
    *,
    actor: Principal,
    zone: Zone,
    code: str,
    name: str,
    kind: str,
    direction: str = Direction.BOTH,
    requires_biometric: bool = False,
    requires_plate: bool = False,
    open_at_levels=(1, 2, 3),
    anti_passback: bool = True,
    position: dict | None = None,
) -> AccessPoint:
    """A turnstile or gate on a zone's boundary.

    At security level 3 entry goes through a single controlled point (ISPS): a facility
    never has more than one access point open at level 3.
    """
    require(actor, "access.manage_zones")
    # Lock the facility: two points created at once must not both become "the" SL3 point.
    facility = Facility.objects.select_for_update().get(pk=zone.facility_id)
    require_facility_operator(actor, facility, _("create its access points"))
    code = _text(code, field="code", max_length=40, message=_("Give the access point a code."))
    name = _text(name, field="name", max_length=120, message=_("Give the access point a name."))
    if kind not in AccessPointKind.values:
        raise ValidationFailed(_("%(kind)s is not a kind of access point: use turnstile, vehicle_gate or "
                                 "quay_gate.") % {"kind": kind}, field="kind")
    if direction not in Direction.values:
        raise ValidationFailed(_("%(direction)s is not a direction: use in, out or both.") % {"direction": direction},
                               field="direction")
    if requires_plate and kind != AccessPointKind.VEHICLE_GATE:
        raise ValidationFailed(_("Only a vehicle gate can require a number plate."), field="requires_plate")
    levels: set[int] = set()
    for raw in open_at_levels or ():
        if isinstance(raw, bool) or not isinstance(raw, int) or raw not in LEVELS:
            raise ValidationFailed(_("%(level)s is not a security level: use 1, 2 or 3.") % {"level": raw},
                                   field="open_at_levels")
        levels.add(raw)
    if not levels:
        raise ValidationFailed(_("An access point is open at one security level at least."), field="open_at_levels")
    if position not in (None, "", {}):
        if not isinstance(position, dict) or position.get("type") != "Point":
            raise ValidationFailed(_("The position must be a GeoJSON Point."), field="position")
        position = validation.geojson(position, field="position")
    else:
        position = None
    if AccessPoint.objects.filter(zone=zone, code=code).exists():
        raise Conflict(_("%(zone)s has an access point %(code)s already.") % {"zone": zone.name, "code": code},
                       field="code")
    if 3 in levels:
        for other in AccessPoint.objects.filter(zone__facility=facility).select_related("zone").order_by("pk"):
            if 3 in (other.open_at_levels or []):
                raise Conflict(
                    _("At security level 3 entry goes through a single controlled point, and %(other)s "
                      "(zone %(zone)s) is open at level 3 already.") % {"other": other.name, "zone": other.zone.name},
                    field="open_at_levels",
                )
    point = AccessPoint.objects.create(
        zone=zone, code=code, name=name, kind=kind, direction=direction,
        requires_biometric=bool(requires_biometric), requires_plate=bool(requires_plate),
        open_at_levels=sorted(levels), anti_passback=bool(anti_passback), position=position,
    )
    emit(actor=actor, code="access.access_point.created", subject=point, organisation_id=facility.operator_id,
         port_id=facility.port_id, facility_id=facility.pk,
         data={"zone": zone.code, "code": code, "kind": kind, "direction": direction,
               "requires_biometric": point.requires_biometric, "requires_plate": point.requires_plate,
               "open_at_levels": sorted(levels)})
    return point
