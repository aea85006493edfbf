from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock, crypto
from havenwatch.core.authz import require
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.event_types import all_types
from havenwatch.core.models import Webhook
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.core.webhooks import url_problem


def _clean_types(event_types: list[str] | None) -> list[str]:
    known = {t.code for t in all_types()}
    cleaned = sorted(set(event_types or []))
    for code in cleaned:
        if code not in known:
            raise ValidationFailed(_("Unknown event type: %(code)s.") % {"code": code}, field="event_types")
    return cleaned


@transaction.atomic
def webhook_create(
    *, actor: Principal, url: str, event_types: list[str] | None = None, description: str = ""
) -> tuple[Webhook, str]:
    """Register an endpoint. Returns the row and its signing secret, shown once."""
    require(actor, "core.manage_webhooks")
    if actor.organisation is None:
        raise ValidationFailed(_("Choose the organisation the webhook belongs to."))
    url = (url or "").strip()
    problem = url_problem(url)
    if problem:
        raise ValidationFailed(_("This URL cannot receive webhooks: %(problem)s.") % {"problem": problem},
                               field="url")
    secret = "whsec_" + secrets.token_urlsafe(32)
    cleaned = _clean_types(event_types)
    webhook = Webhook.objects.create(
        organisation=actor.organisation, url=url, description=description.strip()[:200], event_types=cleaned,
        secret_sealed=crypto.seal(secret), created_by=actor.user, created_at=clock.now(),
    )
    emit(actor=actor, code="core.webhook.created", subject=webhook, organisation_id=webhook.organisation_id,
         data={"url": url, "event_types": cleaned, "secret": secret})
    return webhook, secret


@transaction.atomic
def webhook_update(
    *, actor: Principal, webhook: Webhook, is_active: bool | None = None, event_types: list[str] | None = None
) -> Webhook:
    require(actor, "core.manage_webhooks", webhook)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if is_active is not None:
        webhook.is_active = is_active
    if event_types is not None:
        webhook.event_types = _clean_types(event_types)
    webhook.save(update_fields=["is_active", "event_types"])
    emit(actor=actor, code="core.webhook.updated", subject=webhook, organisation_id=webhook.organisation_id,
         data={"url": webhook.url, "is_active": webhook.is_active, "event_types": webhook.event_types})
    return webhook


@transaction.atomic
def webhook_delete(*, actor: Principal, webhook: Webhook) -> None:
    require(actor, "core.manage_webhooks", webhook)
    emit(actor=actor, code="core.webhook.deleted", subject=webhook, organisation_id=webhook.organisation_id,
         data={"url": webhook.url})
    webhook.delete()
