"""The instance's keys: an Ed25519 signing key for audit checkpoints, and a secret box
for the few secrets the server must be able to read back (TOTP seeds, webhook secrets).

The signing key lives in a file (``HAVENWATCH_SIGNING_KEY_FILE``, default
``var/instance_signing_key``), created with mode 0600 the first time it is needed.
The secret box key is derived from ``SECRET_KEY`` with BLAKE2b, so rotating the secret
key makes sealed secrets unreadable: re-enrol second factors after a rotation.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from django.conf import settings
from nacl import encoding, secret, signing
from nacl.exceptions import BadSignatureError, CryptoError


class SealError(RuntimeError):
    """A sealed secret could not be opened (wrong key, or tampered)."""


@functools.lru_cache(maxsize=1)
def _secret_box() -> secret.SecretBox:
    key = hashlib.blake2b(
        settings.SECRET_KEY.encode(), digest_size=32, person=b"hw-secretbox-v1"
    ).digest()
    return secret.SecretBox(key)


def seal(plaintext: str) -> bytes:
    return bytes(_secret_box().encrypt(plaintext.encode()))


def unseal(sealed: bytes | memoryview) -> str:
    try:
        return _secret_box().decrypt(bytes(sealed)).decode()
    except CryptoError as exc:
        raise SealError("a sealed secret could not be opened with this instance's key") from exc


def _key_path() -> Path:
    return Path(settings.HAVENWATCH["SIGNING_KEY_FILE"])


@functools.lru_cache(maxsize=1)
def signing_key() -> signing.SigningKey:
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = signing.SigningKey.generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.encode(encoder=encoding.HexEncoder))
    return signing.SigningKey(path.read_bytes().strip(), encoder=encoding.HexEncoder)


def verify_key() -> signing.VerifyKey:
    return signing_key().verify_key


def key_id(key: signing.VerifyKey | None = None) -> str:
    key = key or verify_key()
    return hashlib.sha256(bytes(key)).hexdigest()[:16]


def sign(message: bytes) -> str:
    return signing_key().sign(message).signature.hex()


def verify_signature(message: bytes, signature_hex: str, key: signing.VerifyKey | None = None) -> bool:
    key = key or verify_key()
    try:
        key.verify(message, bytes.fromhex(signature_hex))
    except (BadSignatureError, ValueError):
        return False
    return True
