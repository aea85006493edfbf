"""The first page after signing in: levels at a glance, what awaits me, what just happened."""

from __future__ import annotations

from django.shortcuts import render

from havenwatch.core import selectors
from havenwatch.core.views._common import page
from havenwatch.core.views.events import event_rows


@page()
def dashboard(request):
    principal = request.principal
    return render(request, "core/dashboard.html", {
        "board": selectors.level_board(principal=principal),
        "pending": selectors.pending_acknowledgements(principal=principal).order_by("-change__set_at")[:20],
        "events": event_rows(selectors.visible_events(principal=principal).order_by("-sequence")[:10]),
        "notifications": selectors.notification_list(principal=principal)[:5],
    })
