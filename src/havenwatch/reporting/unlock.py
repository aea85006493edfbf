"""A recipient's unlocked key, between requests, split in two so neither half reads alone.

Unlocking (the key password through Argon2id) takes about half a second, so it is done
once per working session. The unlocked private key is then kept in a secret box whose
ciphertext lives in the server-side session and whose 32-byte key lives only in a
cookie of the recipient's browser (HttpOnly, SameSite=Strict, scoped to the reporting
pages). A copy of the database or of the session store alone opens nothing; signing out
or the session's end throws the box away.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from nacl import public
from nacl.utils import random as random_bytes

from havenwatch.reporting import crypto

SESSION_KEY = "havenwatch_reporting_key"
COOKIE = "havenwatch_reporting_unlock"
COOKIE_PATH = "/reporting/"


def remember(request, response, private_key: public.PrivateKey) -> None:
    key = random_bytes(32)
    request.session[SESSION_KEY] = {
        "user": request.user.pk,
        "box": base64.b64encode(crypto.box(key, bytes(private_key))).decode(),
    }
    response.set_cookie(
        COOKIE, base64.urlsafe_b64encode(key).decode(), max_age=settings.SESSION_COOKIE_AGE, path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Strict",
    )


def forget(request, response) -> None:
    request.session.pop(SESSION_KEY, None)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Strict")


def unlocked_key(request) -> public.PrivateKey | None:
    """The recipient's private key when this browser unlocked it in this session."""
    stored = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    cookie = request.COOKIES.get(COOKIE)
    user = getattr(request, "user", None)
    if not stored or not cookie or user is None or stored.get("user") != user.pk:
        return None
    try:
        key = base64.urlsafe_b64decode(cookie.encode())
        raw = crypto.unbox(key, base64.b64decode(stored["box"]))
    except (binascii.Error, ValueError, KeyError, crypto.CannotOpen):
        return None
    return public.PrivateKey(raw)
