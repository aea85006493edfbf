"""The cryptography of anonymous reports, all of it libsodium (PyNaCl).

- A report has its own X25519 key pair. Everything the reporter or a recipient writes
  into it is a sealed box to the report's public key: anyone may add to a report,
  only holders of its private key may read it.
- The report's private key is stored only sealed: to each recipient's public key
  (sealed box), and in a secret box under a key derived from the reporter's receipt.
- A receipt goes through Argon2id once per use, with the channel's salt, into 64
  bytes: the first half is the receipt's stored hash (to find the report), the second
  half the key that opens the report's private key. The stored half tells nothing
  about the other.
- A recipient's private key is stored only in secret boxes: under a key derived from
  their key password (Argon2id, per-person salt) and under their recovery key.

The Argon2id cost is a setting (``HAVENWATCH["REPORTING_KDF"]``): the cost used is
stored beside each derived key, so changing it never locks anyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

import nacl.pwhash.argon2id as argon2id
from django.conf import settings
from nacl import public, secret
from nacl.exceptions import CryptoError
from nacl.utils import random as random_bytes

RECEIPT_DIGITS = 16
SALT_BYTES = argon2id.SALTBYTES

# name -> (opslimit, memlimit). "interactive" is libsodium's advice for a login; the
# recipient's key password gets "moderate": it is typed once per working session.
COSTS = {
    "min": (argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN),
    "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
}


class CannotOpen(CryptoError):
    """A key or a sealed value could not be opened: wrong secret, or tampered data."""


def cost(purpose: str) -> tuple[int, int]:
    """The Argon2id cost for ``purpose`` ("receipt" or "password") from the settings."""
    configured = settings.HAVENWATCH.get("REPORTING_KDF", {})
    default = "interactive" if purpose == "receipt" else "moderate"
    return COSTS[configured.get(purpose, default)]


def derive(secret_text: bytes, salt: bytes, *, size: int, opslimit: int, memlimit: int) -> bytes:
    return argon2id.kdf(size, secret_text, bytes(salt), opslimit=opslimit, memlimit=memlimit)


def new_salt() -> bytes:
    return random_bytes(SALT_BYTES)


# --- sealing to a report ------------------------------------------------------------
def new_report_key() -> public.PrivateKey:
    return public.PrivateKey.generate()


def seal(public_key: bytes | memoryview, data: bytes) -> bytes:
    return bytes(public.SealedBox(public.PublicKey(bytes(public_key))).encrypt(data))


def unseal(private_key: public.PrivateKey, sealed: bytes | memoryview) -> bytes:
    try:
        return public.SealedBox(private_key).decrypt(bytes(sealed))
    except CryptoError as exc:
        raise CannotOpen("a sealed value could not be opened with this key") from exc


def seal_json(public_key: bytes | memoryview, value) -> bytes:
    return seal(public_key, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def unseal_json(private_key: public.PrivateKey, sealed: bytes | memoryview):
    return json.loads(unseal(private_key, sealed))


def box(key: bytes, data: bytes) -> bytes:
    return bytes(secret.SecretBox(key).encrypt(data))


def unbox(key: bytes, boxed: bytes | memoryview) -> bytes:
    try:
        return secret.SecretBox(key).decrypt(bytes(boxed))
    except CryptoError as exc:
        raise CannotOpen("a boxed value could not be opened with this key") from exc


def private_key(raw: bytes) -> public.PrivateKey:
    return public.PrivateKey(raw)


# --- receipts -----------------------------------------------------------------------
def new_receipt() -> str:
    """Sixteen random digits (53 bits): the reporter's only key to their report."""
    return f"{secrets.randbelow(10 ** RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def clean_receipt(text: str) -> str | None:
    """The digits of a receipt as typed (spaces and dashes allowed), or ``None`` when it
    cannot be one. Says nothing about whether such a receipt exists."""
    digits = "".join(ch for ch in str(text or "") if ch not in " -\u00a0\t")
    if len(digits) != RECEIPT_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def format_receipt(receipt: str) -> str:
    return " ".join(receipt[i:i + 4] for i in range(0, len(receipt), 4))


@dataclass(frozen=True)
class ReceiptSecrets:
    lookup: str  # hex, stored
    key: bytes  # never stored
    opslimit: int
    memlimit: int


def receipt_secrets(receipt: str, salt: bytes | memoryview, *, opslimit: int | None = None,
                    memlimit: int | None = None) -> ReceiptSecrets:
    if opslimit is None or memlimit is None:
        opslimit, memlimit = cost("receipt")
    out = derive(receipt.encode(), bytes(salt), size=64, opslimit=opslimit, memlimit=memlimit)
    return ReceiptSecrets(lookup=out[:32].hex(), key=out[32:], opslimit=opslimit, memlimit=memlimit)


# --- recipients' keys ---------------------------------------------------------------
RECOVERY_BYTES = 20


def new_recovery_key() -> str:
    """160 random bits as 32 base32 letters in groups of four, for a person to write down."""
    text = base64.b32encode(random_bytes(RECOVERY_BYTES)).decode().rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _recovery_wrapping_key(recovery_key: str) -> bytes:
    letters = "".join(ch for ch in recovery_key.upper() if ch.isalnum())
    try:
        raw = base64.b32decode(letters + "=" * (-len(letters) % 8))
    except (ValueError, TypeError) as exc:
        raise CannotOpen("this is not a recovery key") from exc
    if len(raw) != RECOVERY_BYTES:
        raise CannotOpen("this is not a recovery key")
    return hashlib.blake2b(raw, digest_size=32, person=b"hw-recovery-v1").digest()


@dataclass(frozen=True)
class WrappedKey:
    public_key: bytes
    salt: bytes
    opslimit: int
    memlimit: int
    by_password: bytes
    by_recovery: bytes


def wrap_private_key(raw: bytes, *, password: str, recovery_key: str) -> WrappedKey:
    salt = new_salt()
    opslimit, memlimit = cost("password")
    password_key = derive(password.encode(), salt, size=32, opslimit=opslimit, memlimit=memlimit)
    return WrappedKey(
        public_key=bytes(public.PrivateKey(raw).public_key), salt=salt, opslimit=opslimit, memlimit=memlimit,
        by_password=box(password_key, raw), by_recovery=box(_recovery_wrapping_key(recovery_key), raw),
    )


def open_with_password(*, password: str, salt, opslimit: int, memlimit: int, by_password) -> bytes:
    key = derive(password.encode(), bytes(salt), size=32, opslimit=opslimit, memlimit=memlimit)
    return unbox(key, by_password)


def open_with_recovery(*, recovery_key: str, by_recovery) -> bytes:
    return unbox(_recovery_wrapping_key(recovery_key), by_recovery)


def fingerprint(public_key: bytes | memoryview) -> str:
    """A short, readable fingerprint of a public key, for the audit log and the key page."""
    digest = hashlib.sha256(bytes(public_key)).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
