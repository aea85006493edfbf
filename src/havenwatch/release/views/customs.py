"""The customs pages: the holds in the office's ports (place one, release one) and the
container lookup that helps decide (lights, live release, terminal).

Holds are placed and released through :mod:`havenwatch.release.services.holds`; a
container is found only among :func:`havenwatch.release.selectors.container_list`.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page, paginate, visible_or_404
from havenwatch.release import selectors, selectors_pages, validation
from havenwatch.release.choices import Light
from havenwatch.release.forms_customs import ContainerSearchForm, HoldPlaceForm, HoldReleaseForm
from havenwatch.release.models import CustomsHold
from havenwatch.release.services import holds as hold_services
from havenwatch.release.views.lines import light_items


def _release_form(hold, data=None):
    # Each row has its own form: distinct ids keep the labels right.
    return HoldReleaseForm(data, auto_id=f"id_hold{hold.pk}_%s")


def _holds_page(request, *, place_form=None, release_forms=None, status=200):
    principal = request.principal
    qs = (CustomsHold.objects.restrict(principal, "release.view_release")
          .select_related("container__terminal__port", "placed_by")
          .order_by(F("released_at").desc(nulls_first=True), "-placed_at", "-pk"))
    page_obj = paginate(request, qs)
    release_forms = release_forms or {}
    rows = []
    for hold in page_obj:
        ours = hold.released_at is None and (principal.unrestricted or hold.placed_by_id == principal.organisation_id)
        form = release_forms.get(hold.pk) or (_release_form(hold) if ours else None)
        rows.append({"hold": hold, "release_form": form})
    shown = {row["hold"].pk for row in rows}
    if place_form is None:
        place_form = HoldPlaceForm(initial={"container": request.GET.get("container", "")[:20]})
    return render(request, "release/customs/holds.html", {
        "page_obj": page_obj,
        "rows": rows,
        "place_form": place_form,
        # A refusal for a hold that is not on this page of the list is shown above it.
        "release_errors": [error for pk, form in release_forms.items() if pk not in shown
                           for error in [*form.non_field_errors(), *form.errors.get("reason", [])]],
    }, status=status)


@page("release.hold")
def hold_list(request):
    return _holds_page(request)


@require_POST
@page("release.hold")
def hold_place(request):
    principal = request.principal
    form = HoldPlaceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            number = validation.container_number(data["container"])
            container = selectors.container_list(principal=principal).filter(number=number).first()
            if container is None:
                form.add_error("container", _("No container %(number)s in your ports: check the number, or ask the "
                                              "terminal whether it is registered.") % {"number": number})
                return _holds_page(request, place_form=form, status=400)
            hold = hold_services.hold_place(actor=principal, container=container, reason=data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Container %(number)s is held: its customs light is red until you release "
                                        "the hold.") % {"number": hold.container.number})
            return redirect("release:holds")
    return _holds_page(request, place_form=form, status=400)


@require_POST
@page("release.hold")
def hold_release(request, hold_id: int):
    hold = visible_or_404(CustomsHold.objects.restrict(request.principal, "release.hold")
                          .select_related("container"), hold_id)
    form = _release_form(hold, request.POST)
    if form.is_valid():
        try:
            hold_services.hold_release(actor=request.principal, hold=hold, reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The hold on container %(number)s is released.")
                             % {"number": hold.container.number})
            return redirect("release:holds")
    return _holds_page(request, release_forms={hold.pk: form}, status=400)


@page("release.view_release")
def container_list(request):
    principal = request.principal
    form = ContainerSearchForm(request.GET or None)
    qs = selectors.container_list(principal=principal)
    query = ""
    if form.is_valid() and form.cleaned_data["q"]:
        query = "".join(form.cleaned_data["q"].split()).upper()
        qs = qs.filter(number__icontains=query).order_by("number")
    else:
        qs = qs.order_by("-created_at", "number")
    page_obj = paginate(request, qs)
    containers = list(page_obj)
    live = selectors_pages.live_releases(containers)
    lights = selectors_pages.lights_of(containers, live=live)
    readable = set(selectors.release_list(principal=principal)
                   .filter(pk__in=[release.pk for release in live.values()]).values_list("pk", flat=True))
    rows = [{
        "container": container,
        "lights": light_items(lights[container.pk]),
        "release": live.get(container.pk),
        "readable": container.pk in live and live[container.pk].pk in readable,
        "held": lights[container.pk].customs == Light.RED,
    } for container in containers]
    return render(request, "release/customs/containers.html", {
        "form": form,
        "query": query,
        "page_obj": page_obj,
        "rows": rows,
        "can_hold": principal.has_perm("release.hold"),
    })
