"""Encrypting secrets we must read back (webhook signing secrets) with the server's secret keys.

Each secret key gives a Fernet key through HKDF; MultiFernet encrypts with the newest and decrypts
with any, so rotating FRONTDESK_SECRET_KEY keeps sealed values readable until the old key goes.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Unreadable(Exception):
    """Sealed with a key that is no longer configured, or altered."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"frontdesk.sealing.v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _box(secret_keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(key) for key in secret_keys])


def seal(secret_keys: tuple[str, ...], value: str) -> str:
    return _box(secret_keys).encrypt(value.encode()).decode()


def unseal(secret_keys: tuple[str, ...], sealed: str) -> str:
    try:
        return _box(secret_keys).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("sealed with a key that is not configured any more") from None
