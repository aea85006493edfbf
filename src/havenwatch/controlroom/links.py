"""Links sent out of the platform (e-mail, SMS, push) to an alarm and its snapshots.

A snapshot link carries a signature that expires (24 hours) and names the person it was
sent to: forwarded, it opens nothing; even then the person must sign in, and still be
allowed to see the alarm. The alarm link is a plain page address (sign-in required).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "havenwatch.controlroom.snapshot-link"
MAX_AGE = 24 * 3600


def base() -> str:
    return settings.HAVENWATCH["PUBLIC_URL"]


def alarm_url(alarm_id: int) -> str:
    return f"{base()}/controlroom/alarms/{alarm_id}/"


def snapshot_token(event_id: int, user_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"e": event_id, "u": user_id}, compress=False)


def snapshot_url(event_id: int, user_id: int) -> str:
    return base() + reverse("controlroom:snapshot_link", args=[snapshot_token(event_id, user_id)])


def read_snapshot_token(token: str) -> tuple[int, int]:
    """(event id, user id); raises ``signing.SignatureExpired`` or ``signing.BadSignature``."""
    value = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE)
    return int(value["e"]), int(value["u"])
