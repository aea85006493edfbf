"""Zones and access points: each facility's map and tables, one zone, and (for the PFSO)
creating zones and access points."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from havenwatch.access.choices import LevelMode
from havenwatch.access.forms_places import (
    LEVELS,
    AccessPointForm,
    FacilityFilterForm,
    LevelRuleForm,
    ZoneForm,
    level_rules_from,
)
from havenwatch.access.selectors_places import access_point_list, zone_list
from havenwatch.access.services.places import access_point_create, zone_create
from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.models import Facility
from havenwatch.core.principal import Principal
from havenwatch.core.templatetags.havenwatch import level_short
from havenwatch.core.views._common import page, visible_or_404


def managed_facilities(principal: Principal):
    """The active facilities the principal runs (its organisation operates them); every
    visible one for the platform's administrators. The services check the same."""
    qs = selectors.facility_list(principal=principal).filter(is_active=True).order_by("name")
    if principal.unrestricted:
        return qs
    if principal.organisation_id is None:
        return qs.none()
    return qs.filter(operator_id=principal.organisation_id)


def level_conditions(zone) -> list[dict]:
    """What the zone allows at each security level, in words (no rule means open)."""
    rules = {rule.level: rule for rule in zone.level_rules.all()}
    lines = []
    for level in LEVELS:
        rule = rules.get(level)
        mode = rule.mode if rule is not None else LevelMode.OPEN
        if mode == LevelMode.CLOSED:
            text = _("Closed to everyone.")
        elif mode == LevelMode.LISTED_ONLY:
            text = _("Only people who come for one of these purposes: %(purposes)s.") % {
                "purposes": ", ".join(rule.allowed_purposes or [])}
        else:
            text = _("Open to everyone authorised for the zone.")
        lines.append({"level": level, "mode": mode, "text": text})
    return lines


def map_data(facility, zones, points) -> dict:
    """What ``havenwatch/map.js`` draws: the facility's outline (dashed, in the colour of its
    level), its zones' outlines and its access points as dots."""
    level = facility.effective_security_level
    items = [
        {"name": f"{zone.code} · {zone.name}", "label": _("Zone"), "level": None, "geometry": zone.geometry,
         "url": reverse("access:zone_detail", args=[zone.pk])}
        for zone in zones if zone.geometry
    ]
    items += [
        {"name": f"{point.code} · {point.name}", "label": point.get_kind_display(), "level": None,
         "geometry": point.position, "url": reverse("access:zone_detail", args=[point.zone_id])}
        for point in points if point.position
    ]
    return {
        "port": {"name": facility.name, "level": level, "label": level_short(level),
                 "geometry": facility.geometry},
        "facilities": items,
    }


def _can_manage(principal: Principal, facility) -> bool:
    return principal.has_perm("access.manage_zones") and managed_facilities(principal).filter(
        pk=facility.pk).exists()


@page("access.view_zone")
def zone_overview(request):
    principal = request.principal
    zones = zone_list(principal=principal)
    managed = managed_facilities(principal) if principal.has_perm("access.manage_zones") else Facility.objects.none()
    facilities = (
        Facility.objects.filter(Q(pk__in=zones.values("facility_id")) | Q(pk__in=managed.values("pk")))
        .select_related("port").order_by("name")
    )
    filters = FacilityFilterForm(request.GET or None, facilities=facilities)
    facility = None
    if filters.is_bound and filters.is_valid():
        facility = filters.cleaned_data["facility"]
    if facility is None:
        facility = managed.select_related("port").first() or facilities.first()
        if not filters.is_bound and facility is not None:
            filters = FacilityFilterForm(initial={"facility": facility.pk}, facilities=facilities)
    context = {"filters": filters, "facility": facility, "facility_count": len(facilities)}
    if facility is not None:
        facility_zones = list(zones.filter(facility=facility).order_by("code"))
        points = list(access_point_list(principal=principal, facility=facility).order_by("zone__code", "code"))
        point_count = {}
        for point in points:
            point_count[point.zone_id] = point_count.get(point.zone_id, 0) + 1
        for zone in facility_zones:
            zone.conditions = level_conditions(zone)
            zone.point_count = point_count.get(zone.pk, 0)
        context.update({
            "zones": facility_zones,
            "points": points,
            "map": map_data(facility, facility_zones, points),
            "has_shapes": bool(facility.geometry) or any(z.geometry for z in facility_zones)
            or any(p.position for p in points),
            "can_manage": _can_manage(principal, facility),
        })
    return render(request, "access/places/zones.html", context)


@page("access.view_zone")
def zone_detail(request, zone_id: int):
    principal = request.principal
    zone = visible_or_404(zone_list(principal=principal).select_related("facility__port", "facility__operator"),
                          zone_id)
    points = list(access_point_list(principal=principal, zone=zone).order_by("code"))
    return render(request, "access/places/zone_detail.html", {
        "zone": zone,
        "facility": zone.facility,
        "conditions": level_conditions(zone),
        "points": points,
        "map": map_data(zone.facility, [zone], points),
        "has_shapes": bool(zone.facility.geometry or zone.geometry) or any(p.position for p in points),
        "can_manage": _can_manage(principal, zone.facility),
        "can_see_authorisations": principal.has_perm("access.view_authorisation"),
    })


@page("access.manage_zones")
def zone_create_view(request):
    principal = request.principal
    facilities = managed_facilities(principal).select_related("port")
    if request.method == "POST":
        form = ZoneForm(request.POST, facilities=facilities)
        rule_forms = [LevelRuleForm(request.POST, level=level) for level in LEVELS]
    else:
        chosen = request.GET.get("facility") or next(iter(facilities.values_list("pk", flat=True)), None)
        form = ZoneForm(initial={"facility": chosen}, facilities=facilities)
        rule_forms = [LevelRuleForm(level=level) for level in LEVELS]
    rules_error = None
    if request.method == "POST":
        if form.is_valid() and all(f.is_valid() for f in rule_forms):
            data = form.cleaned_data
            try:
                zone = zone_create(
                    actor=principal, facility=data["facility"], code=data["code"], name=data["name"],
                    geometry=data["geometry"], escort_required=data["escort_required"],
                    requires_verification=data["requires_verification"], level_rules=level_rules_from(rule_forms),
                )
            except ServiceError as error:
                if error.field == "level_rules":
                    rules_error = str(error.message)
                else:
                    add_service_error(form, error)
            else:
                messages.success(request, _("Zone %(code)s (%(name)s) created.") % {"code": zone.code,
                                                                                    "name": zone.name})
                return redirect("access:zone_detail", zone_id=zone.pk)
    failed = request.method == "POST"
    return render(request, "access/places/zone_create.html", {
        "form": form, "rule_forms": rule_forms, "rules_error": rules_error, "has_facilities": facilities.exists(),
    }, status=400 if failed else 200)


@page("access.manage_zones")
def access_point_create_view(request, zone_id: int):
    principal = request.principal
    zone = visible_or_404(zone_list(principal=principal).select_related("facility__port"), zone_id)
    form = AccessPointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            point = access_point_create(
                actor=principal, zone=zone, code=data["code"], name=data["name"], kind=data["kind"],
                direction=data["direction"], requires_biometric=data["requires_biometric"],
                requires_plate=data["requires_plate"], open_at_levels=data["open_at_levels"],
                anti_passback=data["anti_passback"], position=form.position(),
            )
        except ServiceError as error:
            add_service_error(form, error, fields={"position": "longitude"})
        else:
            messages.success(request, _("Access point %(code)s (%(name)s) created.") % {"code": point.code,
                                                                                        "name": point.name})
            return redirect("access:zone_detail", zone_id=zone.pk)
    return render(request, "access/places/access_point_create.html", {"form": form, "zone": zone},
                  status=400 if request.method == "POST" else 200)
