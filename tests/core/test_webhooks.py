"""Webhooks: signed deliveries to a real receiver on 127.0.0.1, back-off, and tenancy."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from havenwatch.core import clock, events, webhooks
from havenwatch.core.choices import DeliveryStatus
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.models import AuditRecord, Webhook, WebhookDelivery
from havenwatch.core.services import tokens
from havenwatch.core.services import webhooks as webhook_services
from havenwatch.core.services.security_levels import security_level_set

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Receiver:
    """A tiny HTTP endpoint on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    item = Receiver()
    yield item
    item.close()


@pytest.fixture
def http():
    # trust_env=False: no proxy from the environment, the request goes to 127.0.0.1 and nowhere else.
    with httpx.Client(timeout=5.0, trust_env=False, follow_redirects=False) as client:
        yield client


def run_webhook_consumer() -> int:
    return events.run_consumer(events.consumers()["core.webhooks"])


@pytest.mark.django_db
def test_matching_event_is_delivered_once_with_a_signature_the_receiver_can_check(world, receiver, http):
    pso = world.pso()
    webhook, secret = webhook_services.webhook_create(actor=pso, url=receiver.url,
                                                      event_types=["core.security_level.changed"])
    with clock.frozen(T0):
        change = security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
        run_webhook_consumer()
        run_webhook_consumer()  # a second round adds nothing
        delivery = WebhookDelivery.objects.get(webhook=webhook)
        assert webhooks.deliver_due(client=http) == 1
        assert webhooks.deliver_due(client=http) == 0

    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["x-havenwatch-event"] == "core.security_level.changed"
    assert headers["x-havenwatch-delivery"] == str(delivery.pk)
    signature = headers["x-havenwatch-signature"]
    assert signature.startswith(f"t={int(T0.timestamp())},v1=")
    assert webhooks.verify_signature_header(secret, signature, sent["body"])
    assert not webhooks.verify_signature_header(secret + "x", signature, sent["body"])
    assert not webhooks.verify_signature_header(secret, signature, sent["body"].replace(b"2", b"3", 1))
    assert not webhooks.verify_signature_header(secret, "garbage", sent["body"])
    import json

    payload = json.loads(sent["body"])
    assert payload["type"] == "core.security_level.changed"
    assert payload["payload"]["change_id"] == change.pk
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 200


@pytest.mark.django_db
def test_failing_receiver_is_retried_with_back_off_then_given_up(world, receiver, http, settings):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "WEBHOOK_MAX_ATTEMPTS": 4}
    receiver.status = 500
    pso = world.pso()
    webhook, _ = webhook_services.webhook_create(actor=pso, url=receiver.url)
    with clock.frozen(T0) as frozen:
        security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
        run_webhook_consumer()
        delivery = WebhookDelivery.objects.get(webhook=webhook, event__type="core.security_level.changed")
        WebhookDelivery.objects.exclude(pk=delivery.pk).delete()  # keep the one under test
        for attempt in (1, 2, 3):
            assert webhooks.deliver_due(client=http) == 1
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.FAILED
            assert delivery.attempts == attempt
            assert delivery.last_status_code == 500
            assert delivery.last_error == "the receiver answered HTTP 500"
            assert delivery.next_attempt_at == frozen.value + webhooks.backoff(attempt)
            frozen.advance(seconds=webhooks.backoff(attempt).total_seconds() - 1)
            assert webhooks.deliver_due(client=http) == 0  # not due yet
            frozen.advance(seconds=1)
        assert webhooks.deliver_due(client=http) == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.GAVE_UP
        assert delivery.attempts == 4
        frozen.advance(hours=12)
        assert webhooks.deliver_due(client=http) == 0
    assert len(receiver.requests) == 4


def test_backoff_doubles_from_ten_seconds_and_is_capped_at_six_hours():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert webhooks.backoff(30).total_seconds() == 6 * 3600


@pytest.mark.django_db
def test_webhook_never_receives_another_organisations_events(world, receiver, http):
    pso = world.pso()
    own, _ = webhook_services.webhook_create(actor=world.pfso(), url=receiver.url)
    foreign, _ = webhook_services.webhook_create(actor=world.foreign_pfso(), url=receiver.url + "/foreign")
    # A port-wide change in port A: operator A is active there, operator B is not.
    security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
    # An act of the port authority that concerns only the authority.
    tokens.token_create(actor=pso, name="gate", permissions=["core.view_port"])
    run_webhook_consumer()

    def received(webhook):
        return sorted(WebhookDelivery.objects.filter(webhook=webhook).values_list("event__type", "event__port_id",
                                                                                   "event__organisation_id"))

    # Each organisation hears of its own webhook's creation; beyond that, only what it may see.
    assert received(foreign) == [("core.webhook.created", None, world.foreign_operator.pk)]
    assert received(own) == [("core.security_level.changed", world.port.pk, world.authority.pk),
                             ("core.webhook.created", None, world.operator.pk)]
    webhooks.deliver_due(client=http)
    assert sorted(r["path"] for r in receiver.requests) == ["/hook", "/hook", "/hook/foreign"]


@pytest.mark.django_db
@pytest.mark.parametrize("url, reason", [
    ("ftp://127.0.0.1/hook", "the URL must start with https://"),
    ("javascript:alert(1)", "the URL must start with https://"),
    ("file:///etc/passwd", "the URL must start with https://"),
    ("https:///no-host", "the URL has no host name"),
])
def test_webhook_with_a_url_that_cannot_receive_is_refused(world, url, reason):
    before = (Webhook.objects.count(), AuditRecord.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        webhook_services.webhook_create(actor=world.pso(), url=url)
    assert str(refused.value) == f"This URL cannot receive webhooks: {reason}."
    assert refused.value.field == "url"
    assert (Webhook.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/hook", "the URL must use https://"),
    ("https://127.0.0.1/hook", "the host 127.0.0.1 resolves to a private address (127.0.0.1)"),
    ("https://10.1.2.3/hook", "the host 10.1.2.3 resolves to a private address (10.1.2.3)"),
    ("https://[::1]/hook", "the host ::1 resolves to a private address (::1)"),
])
def test_production_refuses_plain_http_and_private_addresses(world, settings, url, reason):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "WEBHOOK_ALLOW_PRIVATE": False}
    with pytest.raises(ValidationFailed, match=reason.replace("(", r"\(").replace(")", r"\)")):
        webhook_services.webhook_create(actor=world.pso(), url=url)
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_webhook_created_is_audited_with_its_secret_digested(world):
    webhook, secret = webhook_services.webhook_create(actor=world.pso(), url="https://hooks.example.org/in")
    record = AuditRecord.objects.get(code="core.webhook.created", subject_id=str(webhook.pk))
    assert record.data["url"] == "https://hooks.example.org/in"
    assert record.data["secret"].startswith("sha256:") and secret not in str(record.data)
    assert secret.startswith("whsec_") and bytes(webhook.secret_sealed).find(secret.encode()) == -1
