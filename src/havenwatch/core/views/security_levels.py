"""The security levels panel: the levels in force, setting them, their history and acknowledgements."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import SecurityLevelForm, add_service_error
from havenwatch.core.services.security_levels import security_level_acknowledge, security_level_set
from havenwatch.core.views._common import page, paginate, visible_or_404
from havenwatch.core.views.places import map_data

HISTORY_PAGE = 25


def _level_form(request, data=None):
    principal = request.principal
    if not principal.has_perm("core.change_security_level"):
        return None
    ports, facilities = selectors.level_change_targets(principal=principal)
    return SecurityLevelForm(data, ports=ports, facilities=facilities, initial={"target": request.GET.get("target")})


@page("core.view_security_level")
def security_levels(request, form=None, status=200):
    principal = request.principal
    board = selectors.level_board(principal=principal)
    history = paginate(request, selectors.security_level_history(principal=principal), HISTORY_PAGE)
    return render(request, "core/security_levels.html", {
        "board": [{**entry, "map": map_data(entry["port"], entry["facilities"])} for entry in board],
        "form": form if form is not None else _level_form(request),
        "history": history,
        "pending": selectors.pending_acknowledgements(principal=principal).order_by("-change__set_at"),
    }, status=status)


@require_POST
@page("core.change_security_level")
def security_level_change(request):
    form = _level_form(request, request.POST)
    if form.is_valid():
        port, facility = form.target_objects()
        try:
            change = security_level_set(actor=request.principal, port=port, facility=facility,
                                        level=form.cleaned_data["level"], reason=form.cleaned_data["reason"])
        except ServiceError as error:
            add_service_error(form, error, fields={"facility": "target", "port": "target"})
        else:
            messages.success(request, _("%(scope)s is now at security level %(level)s.") % {
                "scope": (change.facility or change.port).name, "level": change.level})
            return redirect("core:security_levels")
    return security_levels(request, form=form, status=400)


@require_POST
@page("core.acknowledge_security_level")
def security_level_acknowledge_view(request, ack_id: int):
    ack = visible_or_404(selectors.acknowledgement_list(principal=request.principal), ack_id)
    try:
        security_level_acknowledge(actor=request.principal, acknowledgement=ack)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(facility)s acknowledged security level %(level)s.") % {
            "facility": ack.facility.name, "level": ack.change.level})
    return redirect("core:dashboard" if request.POST.get("back") == "dashboard" else "core:security_levels")
