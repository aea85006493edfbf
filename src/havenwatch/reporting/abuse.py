"""Abuse controls for the anonymous pages that identify nobody.

Reporters have no account, and nothing here ever reads their address, user agent,
referrer or any cookie but Django's CSRF cookie. Two tools stand between the public
forms and a flood of reports or of receipt guesses (each receipt login costs the server
an Argon2id derivation):

Proof-of-work challenges
    Each public form carries a signed, stateless challenge (:func:`challenge_issue`).
    With JavaScript, the browser searches a counter such that
    ``SHA-256(token + ":" + counter)`` starts with ``difficulty`` zero bits (``pow.js``);
    the server checks it with one hash (:func:`challenge_check`). Without JavaScript no
    work can be done: the server then accepts an unsolved challenge only if it was issued
    long enough ago ("patience": a person needs longer than that to fill in the form) and
    counts it against a stricter channel-wide bucket. Every challenge is good for one
    request: its digest is kept as :class:`SpentChallenge` until it expires. Failed receipt
    logins (:func:`record_failure`) raise the difficulty of the channel's new challenges.

Anonymous counters
    :func:`throttle` counts an act under a key in fixed windows. Keys are stored only as a
    keyed hash (HMAC with ``SECRET_KEY``); an anonymous session's key is a keyed hash of
    its CSRF cookie (:func:`session_key`).

Settings: ``HAVENWATCH["REPORTING_POW"]``, merged over these defaults (missing or malformed
entries take the default)::

    {
        # leading zero bits asked of a solution, per purpose; ~2**bits hashes on average
        "difficulty": {"submit": 18, "login": 16, "followup": 14},
        # seconds an unsolved (no JavaScript) challenge must have been out before it counts
        "patience": {"submit": 20, "login": 6, "followup": 6},
        "lifetime": 3600,            # seconds a challenge is good for
        "nojs_limit": 60,            # unsolved challenges accepted per purpose and channel...
        "nojs_window": 600,          # ...in this many seconds
        "adaptive_threshold": 20,    # failed logins in the window before difficulty rises
        "adaptive_window": 600,      # seconds over which failed logins are counted
        "adaptive_max": 6,           # most extra bits: +1 per doubling over the threshold
    }

Call :func:`challenge_check` and :func:`throttle` before any long transaction: on
PostgreSQL a counter's row stays locked until the caller's transaction ends, and every
request counted under the same key waits for it. :func:`record_failure` must run outside
the transaction that the failed login rolls back, or the failure is rolled back with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, ngettext

from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.periodic import periodic
from havenwatch.reporting.models import AnonymousThrottle, SpentChallenge

DEFAULTS: dict = {
    "difficulty": {"submit": 18, "login": 16, "followup": 14},
    "patience": {"submit": 20, "login": 6, "followup": 6},
    "lifetime": 3600,
    "nojs_limit": 60,
    "nojs_window": 600,
    "adaptive_threshold": 20,
    "adaptive_window": 600,
    "adaptive_max": 6,
}
MAX_DIFFICULTY = 40  # a sanity bound on a configured or adaptive difficulty (~10**12 hashes)
THROTTLE_KEEP = timedelta(days=1)  # counters' windows are purged a day after they began

_VERSION = 1
_POW_SALT = "havenwatch.reporting.pow"
_THROTTLE_SALT = "havenwatch.reporting.throttle"
_SESSION_SALT = "havenwatch.reporting.session"
_MAC_SIZE = 32
_NONCE_SIZE = 16
_MAX_TOKEN_CHARS = 1024
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_SOLUTION = re.compile(r"[0-9]{1,20}")
_CSRF_COOKIE = re.compile(f"[{re.escape(CSRF_ALLOWED_CHARS)}]{{{CSRF_SECRET_LENGTH}}}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- settings ---------------------------------------------------------------------

def _int(value, default: int, *, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    value = int(value)
    if value < low or (high is not None and value > high):
        return default
    return value


def config() -> dict:
    """``HAVENWATCH["REPORTING_POW"]`` merged over :data:`DEFAULTS`, every value checked."""
    raw = getattr(settings, "HAVENWATCH", None)
    raw = raw.get("REPORTING_POW") if isinstance(raw, dict) else None
    raw = raw if isinstance(raw, dict) else {}
    merged: dict = {}
    for name in ("difficulty", "patience"):
        given = raw.get(name)
        given = given if isinstance(given, dict) else {}
        high = MAX_DIFFICULTY if name == "difficulty" else None
        merged[name] = {purpose: _int(given.get(purpose), default, high=high)
                        for purpose, default in DEFAULTS[name].items()}
    for name in ("lifetime", "nojs_window", "adaptive_threshold", "adaptive_window"):
        merged[name] = _int(raw.get(name), DEFAULTS[name], low=1)
    merged["nojs_limit"] = _int(raw.get("nojs_limit"), DEFAULTS["nojs_limit"])
    merged["adaptive_max"] = _int(raw.get("adaptive_max"), DEFAULTS["adaptive_max"], high=MAX_DIFFICULTY)
    return merged


def _base_difficulty(purpose: str, cfg: dict) -> int:
    try:
        return cfg["difficulty"][purpose]
    except KeyError:
        raise ValueError(f"unknown proof-of-work purpose {purpose!r}") from None


# --- proof of work ----------------------------------------------------------------

@dataclass
class Challenge:
    """What a form carries: the signed ``token`` and the ``difficulty`` it asks for
    (also inside the token; given apart for the page's script)."""

    token: str
    difficulty: int
    purpose: str


def leading_zero_bits(digest: bytes) -> int:
    """How many bits at the start of ``digest`` are zero."""
    return len(digest) * 8 - int.from_bytes(digest, "big").bit_length()


def solve(token: str, difficulty: int) -> str:
    """The smallest counter (as a decimal string) that solves ``token`` at ``difficulty``.

    Pure Python, for the tests and the benchmark; browsers run ``pow-worker.js``, which
    finds the same counter."""
    prefix = hashlib.sha256(f"{token}:".encode())
    counter = 0
    while True:
        attempt = prefix.copy()
        attempt.update(str(counter).encode())
        if leading_zero_bits(attempt.digest()) >= difficulty:
            return str(counter)
        counter += 1


def _mac(body: bytes, secret: str | bytes | None = None) -> bytes:
    return salted_hmac(_POW_SALT, body, secret, algorithm="sha256").digest()


def _encode(*, purpose: str, scope: str, issued: int, difficulty: int, nonce: bytes) -> str:
    purpose_bytes, scope_bytes = purpose.encode(), scope.encode()
    body = b"".join([
        struct.pack(">BB", _VERSION, len(purpose_bytes)), purpose_bytes,
        struct.pack(">H", len(scope_bytes)), scope_bytes,
        struct.pack(">QB", issued, difficulty), nonce,
    ])
    return base64.urlsafe_b64encode(body + _mac(body)).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class _Token:
    purpose: str
    scope: str
    issued: int
    difficulty: int


def _invalid() -> ServiceError:
    return ServiceError(gettext("This form's check is not valid. Please reload the page and send it again."),
                        code="challenge_invalid")


def _decode(token) -> _Token:
    """The token's fields, once its signature is verified; ``challenge_invalid`` otherwise."""
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_CHARS or not _TOKEN_CHARS.fullmatch(token):
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if len(raw) <= _MAC_SIZE:
        raise _invalid()
    body, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(mac, _mac(body, secret)) for secret in secrets_):
        raise _invalid()
    try:
        version, purpose_size = struct.unpack_from(">BB", body, 0)
        at = 2
        purpose = body[at:at + purpose_size].decode()
        at += purpose_size
        (scope_size,) = struct.unpack_from(">H", body, at)
        at += 2
        scope = body[at:at + scope_size].decode()
        at += scope_size
        issued, difficulty = struct.unpack_from(">QB", body, at)
        at += 9 + _NONCE_SIZE
    except (struct.error, UnicodeDecodeError):
        raise _invalid() from None
    if version != _VERSION or at != len(body):
        raise _invalid()
    return _Token(purpose=purpose, scope=scope, issued=issued, difficulty=difficulty)


def adaptive_bits(scope: str, cfg: dict | None = None) -> int:
    """Extra bits for the scope's new challenges: +1 for each doubling of its recent failed
    logins over the threshold (threshold x2 → +1, x4 → +2, ...), at most ``adaptive_max``."""
    cfg = cfg or config()
    failures = _recent_count(_failure_key(scope), cfg["adaptive_window"])
    extra, bar = 0, 2 * cfg["adaptive_threshold"]
    while failures >= bar and extra < cfg["adaptive_max"]:
        extra += 1
        bar *= 2
    return extra


def challenge_issue(*, purpose: str, scope: str) -> Challenge:
    """A new challenge for a form of ``purpose`` ("submit", "login", "followup") on the
    channel ``scope`` (its slug). Stateless: nothing is written."""
    cfg = config()
    # Failed receipt logins make only receipt logins harder: a guessing attack must not
    # slow down the people who come to report.
    extra = adaptive_bits(scope, cfg) if purpose == "login" else 0
    difficulty = min(MAX_DIFFICULTY, _base_difficulty(purpose, cfg) + extra)
    token = _encode(purpose=purpose, scope=scope, issued=int(clock.now().timestamp()), difficulty=difficulty,
                    nonce=secrets.token_bytes(_NONCE_SIZE))
    return Challenge(token=token, difficulty=difficulty, purpose=purpose)


def challenge_check(*, purpose: str, scope: str, token, solution) -> None:
    """Accept the challenge of one request or raise :class:`ServiceError`.

    Codes: ``challenge_invalid`` (not ours, changed, or for another purpose or channel),
    ``challenge_expired``, ``challenge_unsolved`` (a solution that does not solve it),
    ``too_soon`` (no solution and issued less than the purpose's patience ago),
    ``busy`` (no solution, and the channel's bucket for those is full),
    ``challenge_spent`` (already used). A refused challenge is not spent, so a person told
    to wait sends the same form again; an accepted one is spent in a savepoint, which the
    caller's transaction takes back if it fails (the person may then send again).
    """
    cfg = config()
    _base_difficulty(purpose, cfg)
    fields = _decode(token)
    if fields.purpose != purpose or fields.scope != scope:
        raise _invalid()
    now = clock.now().timestamp()
    expires = fields.issued + cfg["lifetime"]
    if now > expires:
        raise ServiceError(gettext("This page was open for too long. Please send the form again."),
                           code="challenge_expired")
    solution = solution.strip() if isinstance(solution, str) else ""
    if solution:
        digest = hashlib.sha256(f"{token}:{solution}".encode()).digest()
        if not _SOLUTION.fullmatch(solution) or leading_zero_bits(digest) < fields.difficulty:
            raise ServiceError(gettext("This page's check did not succeed. Please send the form again."),
                               code="challenge_unsolved")
    else:
        wait = fields.issued + cfg["patience"].get(purpose, 0) - now
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ServiceError(ngettext(
                "Please wait %(seconds)s second and send again: this page checks that a person, "
                "not a program, is sending.",
                "Please wait %(seconds)s seconds and send again: this page checks that a person, "
                "not a program, is sending.", seconds) % {"seconds": seconds}, code="too_soon")
    with transaction.atomic():  # spent and counted together, or neither
        _spend(hashlib.sha256(token.encode()).hexdigest(), _at(expires))
        if not solution and not throttle(f"nojs:{purpose}:{scope}", limit=cfg["nojs_limit"],
                                         window=cfg["nojs_window"]):
            raise ServiceError(gettext("Too many reports are being sent without JavaScript right now; please try "
                                       "again in a few minutes, or enable JavaScript."), code="busy")


def _spend(digest: str, expires_at: datetime) -> None:
    try:
        with transaction.atomic():
            SpentChallenge.objects.create(digest=digest, expires_at=expires_at)
    except IntegrityError:
        raise ServiceError(gettext("This form was already sent. Please send it again from the new page."),
                           code="challenge_spent") from None


# --- anonymous counters -----------------------------------------------------------

def _at(seconds: float) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _window_start(window: int, now: datetime | None = None) -> datetime:
    seconds = int((now or clock.now()).timestamp())
    return _at(seconds - seconds % window)


def _stored_key(key: str) -> str:
    return salted_hmac(_THROTTLE_SALT, key, algorithm="sha256").hexdigest()


def _failure_key(scope: str) -> str:
    return f"fail:{scope}"


def _check_window(window: int) -> None:
    if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
        raise ValueError("a window is a positive number of seconds")


def throttle(key: str, *, limit: int, window: int) -> bool:
    """Count one act under ``key`` and say it may go ahead, or refuse (``False``, not
    counted) once ``limit`` acts were counted in the current window. Windows are fixed,
    aligned on the epoch, of ``window`` seconds (at most a day: see :func:`purge_expired`).

    Safe under concurrency: a conditional increment, else an insert in a savepoint; an
    insert that loses a race retries the increment once."""
    _check_window(window)
    if limit <= 0:
        return False
    rows = AnonymousThrottle.objects.filter(key=_stored_key(key), window_start=_window_start(window))
    if rows.filter(count__lt=limit).update(count=F("count") + 1):
        return True
    try:
        with transaction.atomic():
            AnonymousThrottle.objects.create(key=_stored_key(key), window_start=_window_start(window), count=1)
        return True
    except IntegrityError:
        pass  # the window's row exists: it was full, or another request just made it
    return bool(rows.filter(count__lt=limit).update(count=F("count") + 1))


def _bump(key: str, window: int) -> None:
    rows = AnonymousThrottle.objects.filter(key=_stored_key(key), window_start=_window_start(window))
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            AnonymousThrottle.objects.create(key=_stored_key(key), window_start=_window_start(window), count=1)
        return
    except IntegrityError:
        pass
    rows.update(count=F("count") + 1)


def throttle_count(key: str, window: int) -> int:
    """How many acts were counted under ``key`` in the current window (counts nothing)."""
    _check_window(window)
    row = AnonymousThrottle.objects.filter(key=_stored_key(key), window_start=_window_start(window)).first()
    return row.count if row else 0


def _recent_count(key: str, window: int) -> int:
    """About how many acts in the last ``window`` seconds: the current window's count and
    the previous one's in proportion to the part of it still inside (a sliding window)."""
    now = clock.now()
    current = _window_start(window, now)
    previous = current - timedelta(seconds=window)
    counts = dict(AnonymousThrottle.objects.filter(key=_stored_key(key), window_start__in=[current, previous])
                  .values_list("window_start", "count"))
    share = 1 - (now - current).total_seconds() / window
    return counts.get(current, 0) + int(counts.get(previous, 0) * share)


def record_failure(scope: str) -> None:
    """Count a failed receipt login on the channel ``scope``: many of them raise the
    difficulty of its new challenges (:func:`adaptive_bits`). Call it outside the
    transaction that the failure rolls back."""
    _bump(_failure_key(scope), config()["adaptive_window"])


def session_key(request) -> str | None:
    """A keyed hash of the anonymous session, which is Django's CSRF cookie; ``None``
    without a well-formed one. Reads that cookie and nothing else of the request."""
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not isinstance(cookie, str) or not _CSRF_COOKIE.fullmatch(cookie):
        return None
    return salted_hmac(_SESSION_SALT, cookie, algorithm="sha256").hexdigest()


@periodic("reporting.abuse_purge", every=600)
def purge_expired() -> int:
    """Forget spent challenges past their expiry (their tokens are refused as expired
    anyway) and counters' windows that began over a day ago. Returns the rows deleted."""
    now = clock.now()
    spent, _ = SpentChallenge.objects.filter(expires_at__lt=now).delete()
    counters, _ = AnonymousThrottle.objects.filter(window_start__lt=now - THROTTLE_KEEP).delete()
    return spent + counters
