"""Webhook delivery: HMAC-SHA256 signed POSTs with retries and back-off.

The ``core.webhooks`` consumer turns each event into one pending delivery per webhook
whose organisation may see it; :func:`deliver_due` sends what is due. Each request
carries

    X-Havenwatch-Event: <type>
    X-Havenwatch-Delivery: <delivery id>
    X-Havenwatch-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

A receiver recomputes the HMAC over the timestamp and the raw body, compares in
constant time and rejects old timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock, crypto
from havenwatch.core.choices import DeliveryStatus
from havenwatch.core.events import consumer
from havenwatch.core.models import OutboxEvent, Webhook, WebhookDelivery
from havenwatch.core.selectors import event_visible_to_organisation

log = logging.getLogger(__name__)
USER_AGENT = "havenwatch-webhooks/1"
TIMEOUT = httpx.Timeout(5.0, connect=3.0)


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature_header(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does; used by our tests and documented for integrators."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    expected = signature_header(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at six hours."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 6 * 3600))


def url_problem(url: str) -> str | None:
    """Why a webhook URL is refused, or None. Private addresses only where allowed."""
    parts = urlsplit(url)
    allow_private = settings.HAVENWATCH["WEBHOOK_ALLOW_PRIVATE"]
    if parts.scheme not in {"https", "http"}:
        return _("the URL must start with https://")
    if parts.scheme == "http" and not allow_private:
        return _("the URL must use https://")
    if not parts.hostname:
        return _("the URL has no host name")
    if allow_private:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except socket.gaierror:
        return _("the host %(host)s cannot be resolved") % {"host": parts.hostname}
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            return _("the host %(host)s resolves to a private address (%(address)s)") % {
                "host": parts.hostname, "address": address}
    return None


def event_body(event: OutboxEvent) -> dict:
    return {
        "sequence": event.sequence,
        "type": event.type,
        "time": event.created_at.isoformat(),
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "organisation_id": event.organisation_id,
        "port_id": event.port_id,
        "facility_id": event.facility_id,
        "priority": event.priority,
        "payload": event.payload,
    }


@consumer("core.webhooks")
def enqueue_deliveries(event: OutboxEvent) -> None:
    for webhook in Webhook.objects.filter(is_active=True).select_related("organisation"):
        if webhook.event_types and event.type not in webhook.event_types:
            continue
        if not event_visible_to_organisation(event, webhook.organisation):
            continue
        WebhookDelivery.objects.get_or_create(
            webhook=webhook, event=event, defaults={"next_attempt_at": clock.now()}
        )


def _attempt(delivery: WebhookDelivery, client: httpx.Client) -> None:
    body = json.dumps(event_body(delivery.event), separators=(",", ":")).encode()
    secret = crypto.unseal(delivery.webhook.secret_sealed)
    now = clock.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Havenwatch-Event": delivery.event.type,
        "X-Havenwatch-Delivery": str(delivery.pk),
        "X-Havenwatch-Signature": signature_header(secret, int(now.timestamp()), body),
    }
    delivery.attempts += 1
    try:
        problem = url_problem(delivery.webhook.url)
        if problem:
            raise ValueError(problem)
        response = client.post(delivery.webhook.url, content=body, headers=headers)
        delivery.last_status_code = response.status_code
        if 200 <= response.status_code < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = clock.now()
            delivery.last_error = ""
        else:
            raise ValueError(f"the receiver answered HTTP {response.status_code}")
    except (httpx.HTTPError, ValueError) as exc:
        delivery.last_error = str(exc)[:500]
        if delivery.attempts >= settings.HAVENWATCH["WEBHOOK_MAX_ATTEMPTS"]:
            delivery.status = DeliveryStatus.GAVE_UP
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = clock.now() + backoff(delivery.attempts)
    delivery.save(update_fields=["attempts", "status", "last_status_code", "last_error", "delivered_at",
                                 "next_attempt_at"])


def deliver_due(*, limit: int = 50, client: httpx.Client | None = None) -> int:
    """Send the deliveries that are due. Returns how many were attempted."""
    due = list(
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=clock.now(),
            webhook__is_active=True,
        ).select_related("webhook", "event").order_by("next_attempt_at", "pk")[:limit]
    )
    if not due:
        return 0
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        for delivery in due:
            with transaction.atomic():
                _attempt(delivery, client)
    finally:
        if own_client:
            client.close()
    return len(due)
