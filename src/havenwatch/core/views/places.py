"""Ports and port facilities: lists, details with their map, and creating a facility."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import FacilityCreateForm, FacilityFilterForm, add_service_error
from havenwatch.core.services.places import facility_create as facility_create_service
from havenwatch.core.templatetags.havenwatch import level_short
from havenwatch.core.views._common import page, paginate, visible_or_404


def map_data(port, facilities) -> dict:
    """What a map draws: the port's boundary and its facilities' outlines, each with its level."""
    return {
        "port": {"name": port.name, "level": port.security_level, "label": level_short(port.security_level),
                 "geometry": port.boundary,
                 "url": reverse("core:port_detail", args=[port.pk])},
        "facilities": [
            {"name": f.name, "level": f.effective_security_level,
             "label": level_short(f.effective_security_level), "geometry": f.geometry,
             "url": reverse("core:facility_detail", args=[f.pk])}
            for f in facilities if f.geometry
        ],
    }


@page("core.view_port")
def ports(request):
    qs = selectors.port_list(principal=request.principal)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(unlocode__icontains=q))
    return render(request, "core/ports/list.html", {"page_obj": paginate(request, qs), "q": q})


@page("core.view_port")
def port_detail(request, port_id: int):
    principal = request.principal
    port = visible_or_404(selectors.port_list(principal=principal), port_id)
    facilities = list(selectors.facility_list(principal=principal).filter(port=port)) \
        if principal.has_perm("core.view_facility") else []
    changes = selectors.security_level_history(principal=principal).filter(port=port)[:10]
    return render(request, "core/ports/detail.html", {
        "port": port, "facilities": facilities, "changes": changes,
        "map": map_data(port, [f for f in facilities if f.is_active]),
    })


@page("core.view_facility")
def facilities(request):
    principal = request.principal
    qs = selectors.facility_list(principal=principal)
    form = FacilityFilterForm(request.GET or None, ports=selectors.my_ports(principal=principal))
    if form.is_valid():
        if form.cleaned_data["port"]:
            qs = qs.filter(port_id=form.cleaned_data["port"])
        if form.cleaned_data["q"]:
            term = form.cleaned_data["q"]
            qs = qs.filter(Q(name__icontains=term) | Q(isps_number__icontains=term) | Q(operator__name__icontains=term))
    return render(request, "core/facilities/list.html", {
        "page_obj": paginate(request, qs), "filter_form": form,
        "can_create": principal.has_perm("core.manage_facility"),
    })


@page("core.view_facility")
def facility_detail(request, facility_id: int):
    principal = request.principal
    facility = visible_or_404(selectors.facility_list(principal=principal), facility_id)
    history = selectors.security_level_history(principal=principal).filter(
        Q(facility=facility) | Q(port=facility.port, facility__isnull=True)
    )[:20]
    return render(request, "core/facilities/detail.html", {
        "facility": facility, "history": history,
        "map": map_data(facility.port, [facility]),
        "pending": selectors.pending_acknowledgements(principal=principal).filter(facility=facility),
        "can_change_level": selectors.level_change_targets(principal=principal)[1].filter(pk=facility.pk).exists(),
    })


@page("core.manage_facility")
def facility_create(request):
    principal = request.principal
    form = FacilityCreateForm(request.POST or None, ports=selectors.ports_in_jurisdiction(principal=principal),
                              operators=selectors.facility_operator_choices(principal=principal))
    if request.method == "POST" and form.is_valid():
        try:
            facility = facility_create_service(actor=principal, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Port facility %(name)s created.") % {"name": facility.name})
            return redirect("core:facility_detail", facility_id=facility.pk)
    return render(request, "core/facilities/create.html", {"form": form}, status=400 if form.errors else 200)
