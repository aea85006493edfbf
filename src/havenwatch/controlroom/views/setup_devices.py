"""The device registry's pages: the list with each device's status, one device with its
map and last events, registering, changing and retiring a device, and issuing the token
its events are sent with (shown once).

Devices are found through :mod:`havenwatch.controlroom.selectors` (another's is a 404);
every write goes through :mod:`havenwatch.controlroom.services.devices`.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from havenwatch.controlroom import selectors
from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.forms_setup import (
    DeviceEditForm,
    DeviceFilterForm,
    DeviceRegisterForm,
    DeviceRetireForm,
    DeviceTokenForm,
)
from havenwatch.controlroom.services import devices as device_services
from havenwatch.controlroom.views.setup_common import steward_facilities, writable_ports
from havenwatch.core import clock
from havenwatch.core import selectors as core_selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.templatetags.havenwatch import level_short
from havenwatch.core.views._common import page, paginate, visible_or_404

LAST_EVENTS = 50


def device_status(device, now) -> dict:
    """In service and heard from lately, silent (nothing for longer than its
    ``silent_after``), never heard from, or retired: a word and a tag colour."""
    if device.retired_at is not None:
        return {"key": "retired", "label": _("Retired"), "css": ""}
    if device.last_seen_at is None:
        return {"key": "never", "label": _("Never heard from"), "css": "warning"}
    if device.last_seen_at < now - timedelta(minutes=device.silent_after):
        return {"key": "silent", "label": _("Silent"), "css": "danger"}
    return {"key": "live", "label": _("Heard from"), "css": "ok"}


def _silent(devices, now) -> Q:
    """Devices in service with nothing heard for longer than their own ``silent_after``
    (one condition per distinct setting: there are few), or never heard from."""
    q = Q(last_seen_at__isnull=True)
    for minutes in devices.order_by().values_list("silent_after", flat=True).distinct():
        q |= Q(silent_after=minutes, last_seen_at__lt=now - timedelta(minutes=minutes))
    return q


def _can_manage(principal) -> bool:
    return principal.has_perm("controlroom.manage_devices")


@page("controlroom.view_device")
def device_list(request):
    principal = request.principal
    qs = selectors.device_list(principal=principal)
    facilities = core_selectors.facility_list(principal=principal).filter(
        pk__in=qs.order_by().values("facility_id")).order_by("port__name", "name")
    filters = DeviceFilterForm(request.GET or None, facilities=facilities)
    status = ""
    if filters.is_valid():
        data = filters.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(code__icontains=data["q"].strip()) | Q(name__icontains=data["q"].strip()))
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["facility"] is not None:
            qs = qs.filter(facility=data["facility"])
        status = data["status"]
    now = clock.now()
    if status == "retired":
        qs = qs.filter(retired_at__isnull=False)
    elif status != "all":
        qs = qs.filter(retired_at__isnull=True)
        if status == "silent":
            qs = qs.filter(_silent(qs, now))
    page_obj = paginate(request, qs.order_by("port__name", "code"))
    return render(request, "controlroom/setup/devices/list.html", {
        "filters": filters,
        "page_obj": page_obj,
        "rows": [{"device": d, "status": device_status(d, now)} for d in page_obj],
        "can_manage": _can_manage(principal),
    })


def attributes_text(attributes) -> str:
    """An event's attributes on one line: ``label=person · score=0.91``."""
    if not isinstance(attributes, dict):
        return ""
    return " · ".join(f"{key}={value}" for key, value in attributes.items())


def device_map(device) -> dict:
    """What ``havenwatch/map.js`` draws: the facility's outline (or the port's boundary)
    around the device's field of view and its position."""
    area = device.facility if device.facility_id and device.facility.geometry else device.port
    level = area.effective_security_level if area is device.facility else area.security_level
    items = []
    if device.field_of_view:
        items.append({"name": _("Field of view"), "label": device.code, "level": None,
                      "geometry": device.field_of_view})
    items.append({"name": f"{device.code} · {device.name}", "label": device.get_kind_display(), "level": None,
                  "geometry": device.geometry})
    return {
        "port": {"name": area.name, "level": level, "label": level_short(level),
                 "geometry": area.geometry if area is device.facility else area.boundary},
        "facilities": items,
    }


@page("controlroom.view_device")
def device_detail(request, device_id: int):
    principal = request.principal
    device = visible_or_404(selectors.device_list(principal=principal), device_id)
    events = selectors.event_list(principal=principal).select_related(None).filter(device=device).order_by(
        "-occurred_at", "-id")[:LAST_EVENTS]
    manage = _can_manage(principal) and selectors.managed_devices(principal=principal).filter(pk=device.pk).exists()
    return render(request, "controlroom/setup/devices/detail.html", {
        "device": device,
        "status": device_status(device, clock.now()),
        "time_zone": device.port.time_zone,
        "events": [{"event": e, "attributes": attributes_text(e.attributes)} for e in events],
        "last_events": LAST_EVENTS,
        "map": device_map(device),
        "geometry_text": json.dumps(device.geometry),
        "fov_text": json.dumps(device.field_of_view) if device.field_of_view else "",
        "can_manage": manage and device.retired_at is None,
    })


def preview_places(principal) -> list[dict]:
    """The outlines a device form's map shows around the preview: the ports and facilities
    where the principal may place devices."""
    facilities = list(steward_facilities(principal))
    ports = {p.pk: p for p in writable_ports(principal)}
    ports.update({f.port_id: f.port for f in facilities})
    places = [{"name": p.name, "geometry": p.boundary, "level": p.security_level, "port": True}
              for p in ports.values() if p.boundary]
    places += [{"name": f.name, "geometry": f.geometry, "level": f.effective_security_level, "port": False}
               for f in facilities if f.geometry]
    return places


def _form_page(request, template, context, status=200):
    context = {"places": preview_places(request.principal), "kinds_with_lines": [DeviceKind.FENCE.value],
               **context}
    return render(request, template, context, status=status)


@page("controlroom.manage_devices")
def device_register(request):
    principal = request.principal
    kwargs = {"ports": writable_ports(principal), "facilities": steward_facilities(principal)}
    if request.method != "POST":
        return _form_page(request, "controlroom/setup/devices/register.html",
                          {"form": DeviceRegisterForm(**kwargs)})
    form = DeviceRegisterForm(request.POST, **kwargs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            device = device_services.device_register(
                actor=principal, port=data["port"], facility=data["facility"], kind=data["kind"],
                code=data["code"], name=data["name"], **form.place())
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Device %(code)s is registered. Issue it a token to send its events.")
                             % {"code": device.code})
            return redirect("controlroom:device", device_id=device.pk)
    return _form_page(request, "controlroom/setup/devices/register.html", {"form": form}, status=400)


def _managed(request, device_id: int):
    return visible_or_404(selectors.managed_devices(principal=request.principal), device_id)


@page("controlroom.manage_devices")
def device_edit(request, device_id: int):
    device = _managed(request, device_id)
    context = {"device": device}
    if request.method != "POST":
        form = DeviceEditForm(initial={
            "name": device.name, "geometry": device.geometry, "field_of_view": device.field_of_view,
            "external_name": device.external_name, "silent_after": device.silent_after})
        return _form_page(request, "controlroom/setup/devices/edit.html", {**context, "form": form})
    form = DeviceEditForm(request.POST)
    if form.is_valid():
        try:
            device_services.device_update(actor=request.principal, device=device, **form.place())
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Device %(code)s is updated.") % {"code": device.code})
            return redirect("controlroom:device", device_id=device.pk)
    return _form_page(request, "controlroom/setup/devices/edit.html", {**context, "form": form}, status=400)


@page("controlroom.manage_devices")
def device_retire(request, device_id: int):
    device = _managed(request, device_id)
    if request.method != "POST":
        return render(request, "controlroom/setup/devices/retire.html",
                      {"device": device, "form": DeviceRetireForm()})
    form = DeviceRetireForm(request.POST)
    if form.is_valid():
        try:
            device_services.device_retire(actor=request.principal, device=device, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Device %(code)s is retired: its events are refused from now on.")
                             % {"code": device.code})
            return redirect("controlroom:device", device_id=device.pk)
    return render(request, "controlroom/setup/devices/retire.html", {"device": device, "form": form}, status=400)


@never_cache
@page("controlroom.manage_devices")
def device_token(request):
    principal = request.principal
    devices = selectors.managed_devices(principal=principal).filter(retired_at__isnull=True).order_by(
        "port__name", "code")
    if request.method != "POST":
        chosen = [pk for pk in request.GET.getlist("device") if pk.isdigit()]
        form = DeviceTokenForm(devices=devices, initial={"devices": chosen})
        return render(request, "controlroom/setup/devices/token.html", {"form": form, "any": devices.exists()})
    form = DeviceTokenForm(request.POST, devices=devices)
    if form.is_valid():
        data = form.cleaned_data
        try:
            token, raw = device_services.device_token_issue(
                actor=principal, devices=list(data["devices"]), name=data["name"], expires_at=data["expires_at"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            # Shown on this response only: only the token's hash is kept, and the page is not cached.
            return render(request, "controlroom/setup/devices/token_created.html", {
                "token": token, "raw": raw, "devices": sorted(data["devices"], key=lambda d: d.code)})
    return render(request, "controlroom/setup/devices/token.html", {"form": form, "any": devices.exists()},
                  status=400)
