from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import ApiToken, Facility
from havenwatch.core.permissions import all_permissions
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

TOKEN_PREFIX = "hw_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor: Principal,
    name: str,
    permissions: list[str],
    expires_at: datetime | None = None,
    facility: Facility | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for the actor's organisation. Returns the row and the token, shown once.

    A token can hold only permissions its creator holds, and never those marked as not
    grantable to machines (managing users, tokens, webhooks, security levels).
    """
    require(actor, "core.manage_tokens")
    if actor.organisation is None:
        raise ValidationFailed(_("Choose the organisation the token acts for."))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the token a name that says what uses it."), field="name")
    known = all_permissions()
    cleaned = sorted(set(permissions or []))
    if not cleaned:
        raise ValidationFailed(_("Give the token at least one permission."), field="permissions")
    for code in cleaned:
        info = known.get(code)
        if info is None:
            raise ValidationFailed(_("Unknown permission: %(code)s.") % {"code": code}, field="permissions")
        if not info.token_grantable:
            raise ValidationFailed(_("%(code)s cannot be given to a token.") % {"code": code}, field="permissions")
        if not actor.has_perm(code):
            raise PermissionRefused(_("You cannot give a token %(code)s: you do not hold it.") % {"code": code},
                                    field="permissions")
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationFailed(_("The expiry must be in the future."), field="expires_at")
    if facility is not None and facility.operator_id != actor.organisation_id and not actor.unrestricted:
        raise ValidationFailed(_("%(facility)s is not your organisation's.") % {"facility": facility},
                               field="facility")
    if ApiToken.objects.filter(organisation=actor.organisation, name=name, revoked_at__isnull=True).exists():
        raise Conflict(_("A token named %(name)s exists already.") % {"name": name}, field="name")
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organisation=actor.organisation, name=name, prefix=prefix, token_hash=hash_token(raw),
        permissions=cleaned, facility=facility, created_by=actor.user, created_at=clock.now(),
        expires_at=expires_at,
    )
    emit(actor=actor, code="core.token.created", subject=token, organisation_id=token.organisation_id,
         data={"name": name, "prefix": prefix, "permissions": cleaned,
               "expires_at": expires_at.isoformat() if expires_at else None,
               "facility": facility.isps_number if facility else None, "token": raw})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Principal, token: ApiToken) -> ApiToken:
    require(actor, "core.manage_tokens", token)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict(_("This token was revoked already."))
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    emit(actor=actor, code="core.token.revoked", subject=token, organisation_id=token.organisation_id,
         data={"name": token.name, "prefix": token.prefix})
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token behind a bearer string, or None. Constant work whatever the input."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    if token is None or token.revoked_at is not None or not token.organisation.is_active:
        return None
    now = clock.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
