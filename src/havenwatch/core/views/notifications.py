"""My notifications: read them, mark them read."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from havenwatch.core import selectors
from havenwatch.core.errors import ServiceError
from havenwatch.core.services.notifications import notification_mark_all_read, notification_mark_read
from havenwatch.core.views._common import page, paginate, visible_or_404


@page()
def notifications(request):
    qs = selectors.notification_list(principal=request.principal)
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    return render(request, "core/notifications.html", {
        "page_obj": paginate(request, qs), "unread_only": request.GET.get("unread") == "1",
    })


@require_POST
@page()
def notification_read(request, notification_id: int):
    item = visible_or_404(selectors.notification_list(principal=request.principal), notification_id)
    try:
        item = notification_mark_read(actor=request.principal, notification=item)
    except ServiceError as error:
        messages.error(request, str(error.message))
    if request.headers.get("HX-Request"):
        return render(request, "core/partials/notification_read.html", {"n": item})
    return redirect("core:notifications")


@require_POST
@page()
def notification_read_all(request):
    count = notification_mark_all_read(actor=request.principal)
    messages.success(request, ngettext("%(count)s notification marked as read.",
                                       "%(count)s notifications marked as read.", count) % {"count": count})
    return redirect("core:notifications")
