"""Staff accounts: password hashing and sign-in."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import Business, StaffRole, StaffUser
from frontdesk.services import audit, outbox
from frontdesk.services.customers import EMAIL_PATTERN
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


def team(session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.email))).all())


def invite(
    session: Session,
    *,
    business: Business,
    secret_keys: tuple[str, ...],
    base_url: str,
    email: str,
    role: StaffRole,
    invited_by: StaffUser,
    actor: audit.Actor,
) -> str:
    """Email a link to join the dashboard; the invitee chooses a password. Returns the link."""
    address = email.strip().lower()
    if not EMAIL_PATTERN.match(address):
        raise Invalid("The address needs fixing.", {"email": "Enter an email address."})
    with_us = session.exec(select(StaffUser.id).where(StaffUser.email == address)).first()
    if with_us:
        raise Invalid("Already on the team.", {"email": "This person already has access."})
    token = tokens.sign(
        secret_keys, Purpose.STAFF_INVITE, {"b": business.id, "e": address, "r": str(role)}
    )
    link = f"{base_url}/dashboard/join?t={token}"
    outbox.email(
        session,
        business=business,
        to=address,
        subject=f"{invited_by.email} invited you to {business.name}'s Frontdesk dashboard",
        text=(
            f"Hello,\n\n{invited_by.email} invited you to manage {business.name}'s customer "
            f"portal as {role}. Choose your password here within seven days:\n\n{link}\n"
        ),
        reply_to=invited_by.email,
    )
    actor.record(session, business.id, "staff.invited", "business", business.id, email=address)
    return link


def invitation(secret_keys: tuple[str, ...], token: str) -> tuple[str, str, StaffRole]:
    """The business, email and role an invitation names, or InvalidToken."""
    payload = tokens.unsign(secret_keys, Purpose.STAFF_INVITE, token)
    try:
        return str(payload["b"]), str(payload["e"]), StaffRole(payload["r"])
    except (KeyError, ValueError):
        raise InvalidToken("this invitation is not valid") from None


def join(
    session: Session, *, business: Business, email: str, role: StaffRole, name: str, password: str
) -> StaffUser:
    """Accept an invitation: once only, since an address belongs to one staff member."""
    if session.exec(select(StaffUser.id).where(StaffUser.email == email)).first():
        raise Invalid("This invitation was already used. Sign in instead.")
    if not name.strip():
        raise Invalid("Tell us your name.", {"name": "Enter your name."})
    return create(
        session, business=business, email=email, password=password, role=role, name=name.strip()
    )


def accept(
    db: Database, *, secret_keys: tuple[str, ...], token: str, name: str, password: str
) -> StaffUser:
    """The invitation in `token`, accepted: the new staff member, in the audit trail as the one
    who joined. InvalidToken for a bad invitation, Invalid for a bad name or password."""
    business_id, email, role = invitation(secret_keys, token)
    with db.session(business_id) as session:
        business = session.get(Business, business_id)
        if business is None:
            raise InvalidToken("this invitation's business is gone")
        user = join(
            session, business=business, email=email, role=role, name=name[:200], password=password
        )
        session.flush()
        audit.record(
            session,
            business=business,
            actor_type="staff",
            actor_id=user.id,
            action="staff.joined",
            target_type="staff",
            target_id=user.id,
        )
        return user
