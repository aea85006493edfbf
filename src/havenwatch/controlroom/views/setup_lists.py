"""Procedures (the checklists operators work) and watch lists (the plates and serial
numbers rules check against): their lists, the procedure editor, and one watch list with
its entries, to which values are added (with why) and from which they are removed.

Both are held by the port: they are written by an authority over it. Rows are found
through :mod:`havenwatch.controlroom.selectors`; writes go through
:mod:`havenwatch.controlroom.services.rules`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from havenwatch.controlroom import selectors
from havenwatch.controlroom.forms_setup import (
    SopForm,
    WatchlistAddForm,
    WatchlistCreateForm,
    WatchlistRemoveForm,
)
from havenwatch.controlroom.services import rules as rule_services
from havenwatch.controlroom.views.setup_common import writable_ports
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import add_service_error
from havenwatch.core.views._common import page, paginate, visible_or_404


def _writes_for(principal, port_id: int | None = None) -> bool:
    """Whether to offer the forms that write (the service decides): the right, and a port
    the principal is an authority over."""
    if not principal.has_perm("controlroom.manage_rules"):
        return False
    if port_id is None:
        return writable_ports(principal).exists()
    return principal.unrestricted or port_id in principal.jurisdiction_port_ids


# --- procedures ------------------------------------------------------------------------------


@page("controlroom.view_rules")
def sop_list(request):
    principal = request.principal
    page_obj = paginate(request, selectors.sop_list(principal=principal))
    return render(request, "controlroom/setup/sops/list.html", {
        "page_obj": page_obj,
        "editable": {sop.pk for sop in page_obj if _writes_for(principal, sop.port_id)},
        "can_write": _writes_for(principal),
    })


@page("controlroom.manage_rules")
def sop_edit(request, sop_id: int | None = None):
    """A new procedure, or the next version of one (its port and code stay)."""
    principal = request.principal
    sop = visible_or_404(selectors.sop_list(principal=principal), sop_id) if sop_id is not None else None
    ports = writable_ports(principal) if sop is None else None
    if request.method != "POST":
        initial = {"title": sop.title, "steps": "\n".join(sop.steps)} if sop is not None else {}
        return render(request, "controlroom/setup/sops/edit.html",
                      {"sop": sop, "form": SopForm(ports=ports, initial=initial)})
    form = SopForm(request.POST, ports=ports)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = rule_services.sop_save(
                actor=principal, port=sop.port if sop else data["port"], code=sop.code if sop else data["code"],
                title=data["title"], steps=data["steps"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            if sop is not None and saved.version == sop.version:
                messages.info(request, _("Nothing changed: the title and the steps are those of version "
                                         "%(version)s.") % {"version": saved.version})
            else:
                messages.success(request, _("Procedure %(code)s is saved as version %(version)s. Alarms raised "
                                            "from now on carry these steps.")
                                 % {"code": saved.code, "version": saved.version})
            return redirect("controlroom:sops")
    return render(request, "controlroom/setup/sops/edit.html", {"sop": sop, "form": form}, status=400)


# --- watch lists -------------------------------------------------------------------------------


@page("controlroom.view_rules")
def watchlist_list(request):
    principal = request.principal
    ports = writable_ports(principal)
    can_write = _writes_for(principal)
    form = None
    if can_write:
        form = WatchlistCreateForm(request.POST if request.method == "POST" else None, ports=ports)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied("controlroom.manage_rules")
        if form.is_valid():
            data = form.cleaned_data
            try:
                watchlist = rule_services.watchlist_save(actor=principal, port=data["port"], code=data["code"],
                                                         name=data["name"])
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Watch list %(code)s is ready: add its values.")
                                 % {"code": watchlist.code})
                return redirect("controlroom:watchlist", watchlist_id=watchlist.pk)
    qs = selectors.watchlist_list(principal=principal).annotate(entry_count=Count("entries")).order_by(
        "port__name", "code")
    return render(request, "controlroom/setup/watchlists/list.html", {
        "page_obj": paginate(request, qs), "form": form,
    }, status=400 if form is not None and form.errors else 200)


def _remove(request, watchlist):
    """Take one value off the list (a button on its row)."""
    form = WatchlistRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the value to take off the list."))
        return redirect("controlroom:watchlist", watchlist_id=watchlist.pk)
    value = form.cleaned_data["value"]
    try:
        rule_services.watchlist_change(actor=request.principal, watchlist=watchlist, remove=[value])
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(value)s is taken off %(code)s.") % {"value": value, "code": watchlist.code})
    return redirect("controlroom:watchlist", watchlist_id=watchlist.pk)


@page("controlroom.view_rules")
def watchlist_detail(request, watchlist_id: int):
    principal = request.principal
    watchlist = visible_or_404(selectors.watchlist_list(principal=principal), watchlist_id)
    can_write = _writes_for(principal, watchlist.port_id)
    add_form = WatchlistAddForm(auto_id="id_add_%s") if can_write else None
    if request.method == "POST":
        if not principal.has_perm("controlroom.manage_rules"):
            raise PermissionDenied("controlroom.manage_rules")
        if request.POST.get("action") == "remove":
            return _remove(request, watchlist)
        add_form = WatchlistAddForm(request.POST, auto_id="id_add_%s")
        if add_form.is_valid():
            data = add_form.cleaned_data
            try:
                rule_services.watchlist_change(actor=principal, watchlist=watchlist, add=data["values"],
                                               note=data["note"])
            except ServiceError as error:
                add_service_error(add_form, error, fields={"value": "values", "add": "values"})
            else:
                messages.success(request, _("The values are on %(code)s: rules see them at their next round.")
                                 % {"code": watchlist.code})
                return redirect("controlroom:watchlist", watchlist_id=watchlist.pk)
    return render(request, "controlroom/setup/watchlists/detail.html", {
        "watchlist": watchlist,
        "entries": watchlist.entries.all(),
        "add_form": add_form,
        "can_write": can_write,
        "time_zone": watchlist.port.time_zone,
    }, status=400 if add_form is not None and add_form.errors else 200)
