"""Signing in: password with lockout, and a TOTP second factor for roles that change security state."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock, crypto
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.models import User
from havenwatch.core.permissions import TOTP_REQUIRED_ROLES
from havenwatch.core.principal import system_principal
from havenwatch.core.services._emit import emit

# Checked against when the user name is unknown, so both paths cost one Argon2 hash.
_DUMMY_HASH = make_password("havenwatch-no-such-user-dummy-password")
TOTP_ISSUER = "havenwatch"


class LoginRefused(PermissionRefused):
    code = "login_refused"


def needs_second_factor(user: User) -> bool:
    return user.memberships.filter(is_active=True, role__in=TOTP_REQUIRED_ROLES).exists()


def login_check_password(*, username: str, password: str) -> User:
    """The user whose password this is, or :class:`LoginRefused`. Counts failures and locks.

    The failure is counted in its own committed transaction before the refusal is
    raised, so a refusal never rolls back the counter that leads to the lockout.
    """
    username = (username or "").strip().lower()
    refusal = None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        now = clock.now()
        actor = system_principal(label=f"login:{username[:60]}")
        if user is None:
            check_password(password, _DUMMY_HASH)
            refusal = _("Wrong user name or password.")
        elif user.locked_until and user.locked_until > now:
            refusal = _(
                "This account is locked after too many failed sign-ins. Try again after %(time)s UTC."
            ) % {"time": user.locked_until.strftime("%H:%M")}
        elif not user.is_active or not user.check_password(password):
            user.failed_logins += 1
            fields = ["failed_logins"]
            if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                user.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
                user.failed_logins = 0
                fields.append("locked_until")
                emit(actor=actor, code="core.login.locked", subject=user, publish=False,
                     data={"username": username, "until": user.locked_until.isoformat()})
            else:
                emit(actor=actor, code="core.login.failed", subject=user, publish=False,
                     data={"username": username, "reason": "password" if user.is_active else "inactive"})
            user.save(update_fields=fields)
            refusal = _("Wrong user name or password.")
    if refusal is not None:
        raise LoginRefused(refusal)
    return user


@transaction.atomic
def login_succeeded(*, user: User, second_factor: bool) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=clock.now())
    emit(actor=system_principal(label=user.username), code="core.login.succeeded", subject=user, publish=False,
         data={"username": user.username, "second_factor": second_factor})


def totp_provisioning(user: User) -> tuple[str, str]:
    """Start (or restart) enrolment: a new secret, sealed on the user, not yet confirmed."""
    secret = pyotp.random_base32()
    User.objects.filter(pk=user.pk).update(totp_secret_sealed=crypto.seal(secret), totp_confirmed_at=None)
    user.refresh_from_db(fields=["totp_secret_sealed", "totp_confirmed_at"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return secret, uri


def _totp(user: User) -> pyotp.TOTP:
    if user.totp_secret_sealed is None:
        raise ValidationFailed(_("No second factor is set up for this account."))
    return pyotp.TOTP(crypto.unseal(user.totp_secret_sealed))


@transaction.atomic
def totp_check(*, user: User, code: str) -> bool:
    """Accept a current code once (the step before and after too, for clock drift)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    code = (code or "").replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return False
    totp = _totp(user)
    now = clock.now()
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if candidate <= user.totp_last_step:
            continue
        if totp.verify(code, for_time=candidate * totp.interval, valid_window=0):
            User.objects.filter(pk=user.pk).update(totp_last_step=candidate)
            return True
    return False


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> None:
    if not totp_check(user=user, code=code):
        raise ValidationFailed(_("That code is not right. Check the clock of your phone and try the next code."),
                               field="code")
    User.objects.filter(pk=user.pk).update(totp_confirmed_at=clock.now())
    emit(actor=system_principal(label=user.username), code="core.totp.enrolled", subject=user, publish=False,
         data={"username": user.username})


@transaction.atomic
def totp_set_for_demo(*, user: User, secret: str) -> None:
    """Seeded demo users get a known second factor, printed on the console."""
    User.objects.filter(pk=user.pk).update(totp_secret_sealed=crypto.seal(secret), totp_confirmed_at=clock.now())


def totp_enrolment(*, user: User) -> tuple[str, str]:
    """The secret being enrolled: the unconfirmed one if enrolment has started, else a new one.

    Reloading the enrolment page must not change the secret a phone has just scanned.
    """
    user = User.objects.get(pk=user.pk)
    if user.totp_secret_sealed is not None and user.totp_confirmed_at is None:
        secret = crypto.unseal(user.totp_secret_sealed)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
        return secret, uri
    return totp_provisioning(user)


def login_check_second_factor(*, user: User, code: str) -> None:
    """The second step of signing in: accept a fresh TOTP code, or refuse with :class:`LoginRefused`.

    A wrong code counts as a failed sign-in (same counter and lockout as a wrong password),
    so the six digits cannot be guessed by trying them all. As with the password, the
    failure is committed before the refusal is raised.
    """
    refusal = None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        now = clock.now()
        if locked.locked_until and locked.locked_until > now:
            refusal = _(
                "This account is locked after too many failed sign-ins. Try again after %(time)s UTC."
            ) % {"time": locked.locked_until.strftime("%H:%M")}
        elif not locked.is_active:
            refusal = _("Wrong user name or password.")
    if refusal is None:
        if totp_check(user=user, code=code):
            return
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            actor = system_principal(label=f"login:{locked.username[:60]}")
            locked.failed_logins += 1
            fields = ["failed_logins"]
            if locked.failed_logins >= settings.LOGIN_MAX_FAILURES:
                locked.locked_until = clock.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
                locked.failed_logins = 0
                fields.append("locked_until")
                emit(actor=actor, code="core.login.locked", subject=locked, publish=False,
                     data={"username": locked.username, "until": locked.locked_until.isoformat()})
                refusal = _(
                    "This account is locked after too many failed sign-ins. Try again after %(time)s UTC."
                ) % {"time": locked.locked_until.strftime("%H:%M")}
            else:
                emit(actor=actor, code="core.login.failed", subject=locked, publish=False,
                     data={"username": locked.username, "reason": "second_factor"})
                refusal = _("That code is not right, or it was used already. Wait for the next code and try again.")
            locked.save(update_fields=fields)
    raise LoginRefused(refusal)


@transaction.atomic
def totp_reset(*, actor, user: User) -> User:
    """Clear a person's second factor (a lost or replaced phone): they enrol again at next sign-in.

    Done by a manager of an organisation the person works for, or a platform
    administrator; never by the person themself, so a stolen session cannot swap the
    second factor for the thief's.
    """
    from havenwatch.core.authz import require
    from havenwatch.core.selectors import user_list

    require(actor, "core.manage_membership")
    if not user_list(principal=actor).filter(pk=user.pk).exists():
        raise PermissionRefused(_("%(user)s does not work for your organisation.") % {"user": user.username})
    if actor.user_id == user.pk:
        raise PermissionRefused(_("Ask another manager to reset your own second factor."))
    if user.totp_secret_sealed is None and user.totp_confirmed_at is None:
        raise ValidationFailed(_("%(user)s has no second factor to reset.") % {"user": user.username})
    User.objects.filter(pk=user.pk).update(totp_secret_sealed=None, totp_confirmed_at=None, totp_last_step=0)
    user.refresh_from_db()
    emit(actor=actor, code="core.totp.reset", subject=user, publish=False, data={"username": user.username})
    return user
