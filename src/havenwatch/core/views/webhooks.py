"""Webhooks of my organisation: register (the secret is shown once), pause, delete, delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from havenwatch.core import selectors
from havenwatch.core.choices import DeliveryStatus
from havenwatch.core.errors import ServiceError
from havenwatch.core.forms import WebhookCreateForm, add_service_error
from havenwatch.core.services.webhooks import webhook_create as webhook_create_service
from havenwatch.core.services.webhooks import webhook_delete as webhook_delete_service
from havenwatch.core.services.webhooks import webhook_update
from havenwatch.core.views._common import page, paginate, visible_or_404
from havenwatch.core.views.events import event_label


@page("core.manage_webhooks")
def webhooks(request):
    qs = selectors.webhook_list(principal=request.principal)
    return render(request, "core/webhooks/list.html", {"page_obj": paginate(request, qs)})


@never_cache
@page("core.manage_webhooks")
def webhook_create(request):
    form = WebhookCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = webhook_create_service(actor=request.principal, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return render(request, "core/webhooks/created.html", {"webhook": webhook, "secret": secret})
    return render(request, "core/webhooks/create.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@page("core.manage_webhooks")
def webhook_toggle(request, webhook_id: int):
    webhook = visible_or_404(selectors.webhook_list(principal=request.principal), webhook_id)
    try:
        webhook = webhook_update(actor=request.principal, webhook=webhook, is_active=not webhook.is_active)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        if webhook.is_active:
            messages.success(request, _("Webhook %(url)s is enabled.") % {"url": webhook.url})
        else:
            messages.success(request, _("Webhook %(url)s is paused: no events are sent to it.") % {"url": webhook.url})
    return redirect("core:webhooks")


@require_POST
@page("core.manage_webhooks")
def webhook_delete(request, webhook_id: int):
    webhook = visible_or_404(selectors.webhook_list(principal=request.principal), webhook_id)
    url = webhook.url
    try:
        webhook_delete_service(actor=request.principal, webhook=webhook)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Webhook %(url)s is deleted.") % {"url": url})
    return redirect("core:webhooks")


@page("core.manage_webhooks")
def webhook_deliveries(request, webhook_id: int):
    principal = request.principal
    webhook = visible_or_404(selectors.webhook_list(principal=principal), webhook_id)
    qs = selectors.webhook_deliveries(principal=principal).filter(webhook=webhook)
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    page_obj = paginate(request, qs)
    for delivery in page_obj:
        delivery.event_label = event_label(delivery.event.type)
    return render(request, "core/webhooks/deliveries.html", {
        "webhook": webhook, "page_obj": page_obj, "status": status, "statuses": DeliveryStatus.choices,
    })
