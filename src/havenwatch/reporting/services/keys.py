"""A recipient's key pair: enrolment, unlocking, a new key password, recovery.

The key password is the recipient's own and is not their sign-in password on purpose:
a sign-in password can be reset by e-mail or by an administrator, and whoever could
reset it would then read every report. Nobody can reset a key password; a forgotten
one is replaced with the recovery key shown once at enrolment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from nacl import public

from havenwatch.core import clock
from havenwatch.core.errors import Conflict, PermissionRefused, ServiceError, ValidationFailed
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.reporting import abuse, crypto
from havenwatch.reporting.models import RecipientKey


@dataclass(frozen=True)
class Keyed:
    """What enrolment and recovery give back: the recovery key, to be shown once, and the
    private key itself, so the page can keep it unlocked without deriving it again."""

    recovery: str
    private_key: public.PrivateKey


def _receiving(actor: Principal):
    if actor.user is None or actor.token is not None or not actor.has_perm("reporting.receive"):
        raise PermissionRefused(_("Only a person who may receive reports has a reporting key."))
    return actor.user


def _check_password(password: str, user, *, field: str = "password") -> None:
    if len(password or "") < 12:
        raise ValidationFailed(_("A key password has at least 12 characters."), field=field)
    if user.check_password(password):
        raise ValidationFailed(_("Choose a key password that is not your sign-in password."), field=field)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field=field) from None


def _audit(actor: Principal, code: str, key: RecipientKey, **data) -> None:
    emit(actor=actor, code=code, subject=key, organisation_id=actor.organisation.pk if actor.organisation else None,
         data={"user": key.user.get_username(), **data}, publish=False)


@transaction.atomic
def key_enrol(*, actor: Principal, password: str) -> Keyed:
    """Make the actor's key pair; the recovery key in the answer is to be shown once."""
    user = _receiving(actor)
    if RecipientKey.objects.filter(user=user).exists():
        raise Conflict(_("You already have a reporting key: change its password or recover it instead."))
    _check_password(password, user)
    recovery = crypto.new_recovery_key()
    private = public.PrivateKey.generate()
    wrapped = crypto.wrap_private_key(bytes(private), password=password, recovery_key=recovery)
    now = clock.now()
    key = RecipientKey.objects.create(
        user=user, public_key=wrapped.public_key, salt=wrapped.salt, opslimit=wrapped.opslimit,
        memlimit=wrapped.memlimit, by_password=wrapped.by_password, by_recovery=wrapped.by_recovery,
        created_at=now, changed_at=now)
    _audit(actor, "reporting.key.enrolled", key, public_key=crypto.fingerprint(wrapped.public_key))
    return Keyed(recovery=recovery, private_key=private)


def key_of(user) -> RecipientKey | None:
    return RecipientKey.objects.filter(user=user).first() if user is not None else None


UNLOCK_TRIES = 10  # key-password tries per person...
UNLOCK_WINDOW = 900  # ...in this many seconds: each costs 256 MB and half a second of Argon2id


def key_unlock(*, actor: Principal, password: str) -> public.PrivateKey:
    """The actor's private key, opened with their key password. Tries are limited per
    person, so a stolen session cannot search the password, nor tie up the server."""
    user = _receiving(actor)
    key = key_of(user)
    if key is None:
        raise Conflict(_("You have no reporting key yet: create one first."))
    if not abuse.throttle(f"unlock:{user.pk}", limit=UNLOCK_TRIES, window=UNLOCK_WINDOW):
        raise ServiceError(_("Too many tries of the key password: wait a quarter of an hour and try again."),
                           code="too_many_tries", field="password")
    try:
        raw = crypto.open_with_password(password=password or "", salt=key.salt, opslimit=key.opslimit,
                                        memlimit=key.memlimit, by_password=key.by_password)
    except crypto.CannotOpen:
        raise ValidationFailed(_("This is not your key password."), field="password") from None
    return public.PrivateKey(raw)


@transaction.atomic
def key_change_password(*, actor: Principal, password: str, new_password: str) -> None:
    private = key_unlock(actor=actor, password=password)
    key = RecipientKey.objects.select_for_update().get(user=actor.user)
    _check_password(new_password, actor.user, field="new_password")
    _rewrap(key, private, new_password, recovery=None)
    _audit(actor, "reporting.key.password_changed", key)


@transaction.atomic
def key_recover(*, actor: Principal, recovery_key: str, new_password: str) -> Keyed:
    """A new key password from the recovery key, and a new recovery key (the old one is spent)."""
    user = _receiving(actor)
    key = RecipientKey.objects.select_for_update().filter(user=user).first()
    if key is None:
        raise Conflict(_("You have no reporting key yet: create one first."))
    try:
        raw = crypto.open_with_recovery(recovery_key=recovery_key or "", by_recovery=key.by_recovery)
    except crypto.CannotOpen:
        raise ValidationFailed(_("This is not your recovery key."), field="recovery_key") from None
    _check_password(new_password, user, field="new_password")
    recovery = crypto.new_recovery_key()
    private = public.PrivateKey(raw)
    _rewrap(key, private, new_password, recovery=recovery)
    _audit(actor, "reporting.key.recovered", key, recovery_replaced=True)
    return Keyed(recovery=recovery, private_key=private)


def _rewrap(key: RecipientKey, private: public.PrivateKey, password: str, *, recovery: str | None) -> None:
    if recovery is None:
        # Keep the recovery box as it is: wrap with a throwaway recovery key, then put the old box back.
        wrapped = crypto.wrap_private_key(bytes(private), password=password, recovery_key=crypto.new_recovery_key())
        by_recovery = key.by_recovery
    else:
        wrapped = crypto.wrap_private_key(bytes(private), password=password, recovery_key=recovery)
        by_recovery = wrapped.by_recovery
    key.salt, key.opslimit, key.memlimit = wrapped.salt, wrapped.opslimit, wrapped.memlimit
    key.by_password, key.by_recovery, key.changed_at = wrapped.by_password, by_recovery, clock.now()
    key.save(update_fields=["salt", "opslimit", "memlimit", "by_password", "by_recovery", "changed_at"])
