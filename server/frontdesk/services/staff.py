"""Staff accounts: password hashing and sign-in."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from frontdesk import tokens
from frontdesk.models import Business, StaffRole, StaffUser
from frontdesk.services.errors import Invalid
from frontdesk.tokens import InvalidToken, Purpose

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps sign-in timing the same either way.
_DUMMY_HASH = _hasher.hash("frontdesk-timing-equaliser")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "password too short",
            {"password": f"Use at least {MIN_PASSWORD_LENGTH} characters."},
        )
    return _hasher.hash(password)


def create(
    session: Session, *, business: Business, email: str, password: str, role: StaffRole, name: str
) -> StaffUser:
    user = StaffUser(
        business_id=business.id,
        email=email.strip().lower(),
        name=name,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    return user


def authenticate(session: Session, *, email: str, password: str) -> StaffUser | None:
    """The staff user with this email and password, or None. Needs an unscoped session."""
    user = session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    return user


def _fingerprint(user: StaffUser) -> str:
    # Changing the password changes this, which ends every session signed before.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def session_token(secret_keys: tuple[str, ...], user: StaffUser) -> str:
    return tokens.sign(secret_keys, Purpose.STAFF_SESSION, {"u": user.id, "f": _fingerprint(user)})


def from_session_token(session: Session, secret_keys: tuple[str, ...], token: str) -> StaffUser:
    """The signed-in staff user, or InvalidToken. Needs an unscoped session."""
    payload = tokens.unsign(secret_keys, Purpose.STAFF_SESSION, token)
    user = session.get(StaffUser, str(payload.get("u")))
    if user is None or user.disabled or payload.get("f") != _fingerprint(user):
        raise InvalidToken("signed out")
    return user
