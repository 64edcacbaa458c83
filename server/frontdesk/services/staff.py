"""Staff accounts: password hashing and sign-in, invitations, roles and removal."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import Business, StaffInvitation, StaffRole, StaffUser, utcnow
from frontdesk.services import audit, outbox
from frontdesk.services.customers import EMAIL_PATTERN
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.tokens import InvalidToken, Purpose

MIN_PASSWORD_LENGTH = 10
# argon2's cheapest profile, made for test suites: ours hashes an owner's password in most of its
# tests, and at argon2's defaults (64 MiB, three passes) that was a tenth of its time. Hashes
# made either way verify either way; `frontdesk serve` warns when it is on.
CHEAP_HASHING = os.environ.get("FRONTDESK_CHEAP_PASSWORD_HASHING") == "1"
_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if CHEAP_HASHING else PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the email is unknown keeps sign-in timing the same either
    way. Made when first needed, not by every process that imports this (each CLI command)."""
    return _hasher.hash("frontdesk-timing-equaliser")


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
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # Made with other parameters (older defaults, or the test suites' cheapest profile by
        # mistake): made again with today's by the first sign-in that knows the password.
        user.password_hash = _hasher.hash(password)
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
    """Everyone with access (someone removed keeps their row, for the audit trail)."""
    active = select(StaffUser).where(col(StaffUser.disabled).is_(False))
    return list(session.exec(active.order_by(col(StaffUser.email))).all())


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
    with_us = session.exec(
        select(StaffUser.id).where(StaffUser.email == address, col(StaffUser.disabled).is_(False))
    ).first()
    if with_us:
        raise Invalid("Already on the team.", {"email": "This person already has access."})
    # A new invitation replaces any earlier one to the same address.
    for earlier in pending_invitations(session, email=address):
        earlier.revoked_at = utcnow()
    lifetime = timedelta(seconds=tokens.LIFETIME[Purpose.STAFF_INVITE] or 0)
    row = StaffInvitation(
        business_id=business.id,
        email=address,
        role=role,
        invited_by=invited_by.id,
        expires_at=utcnow() + lifetime,
    )
    session.add(row)
    claims = {"b": business.id, "e": address, "r": str(role), "i": row.id}
    token = tokens.sign(secret_keys, Purpose.STAFF_INVITE, claims)
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


@dataclass(frozen=True)
class Invitation:
    business_id: str
    email: str
    role: StaffRole
    id: str


def invitation(secret_keys: tuple[str, ...], token: str) -> Invitation:
    """What an invitation link names, if it is signed and in date, or InvalidToken."""
    payload = tokens.unsign(secret_keys, Purpose.STAFF_INVITE, token)
    try:
        return Invitation(
            str(payload["b"]), str(payload["e"]), StaffRole(payload["r"]), str(payload["i"])
        )
    except (KeyError, ValueError):
        raise InvalidToken("this invitation is not valid") from None


def open_invitation(db: Database, secret_keys: tuple[str, ...], token: str) -> Invitation:
    """An invitation that can still be accepted: not withdrawn, not used; InvalidToken if not."""
    invited = invitation(secret_keys, token)
    with db.session(invited.business_id) as session:
        _still_open(session, invited)
    return invited


def _still_open(session: Session, invited: Invitation) -> StaffInvitation:
    row = session.get(StaffInvitation, invited.id)
    if row is None or row.email != invited.email:
        raise InvalidToken("this invitation is not valid")
    if row.revoked_at is not None:
        raise InvalidToken("it was withdrawn; ask for a new one")
    if row.accepted_at is not None:
        raise InvalidToken("it was already used; sign in instead")
    return row


def pending_invitations(session: Session, *, email: str | None = None) -> list[StaffInvitation]:
    """Invitations still waiting for their person, newest first."""
    statement = select(StaffInvitation).where(
        col(StaffInvitation.accepted_at).is_(None),
        col(StaffInvitation.revoked_at).is_(None),
        col(StaffInvitation.expires_at) > utcnow(),
    )
    if email:
        statement = statement.where(StaffInvitation.email == email)
    return list(session.exec(statement.order_by(col(StaffInvitation.created_at).desc())).all())


def withdraw_invitation(
    session: Session, *, business: Business, invitation_id: str, actor: audit.Actor
) -> StaffInvitation:
    row = session.get(StaffInvitation, invitation_id)
    if row is None or row.accepted_at is not None:
        raise NotFound("no such invitation")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        actor.record(
            session,
            business.id,
            "staff.invitation_withdrawn",
            "business",
            business.id,
            email=row.email,
        )
    return row


def change_role(
    session: Session, *, business: Business, member_id: str, role: StaffRole, actor: audit.Actor
) -> StaffUser:
    """Owner or manager; the last owner stays an owner, so someone can always manage staff."""
    member = _member(session, member_id)
    if member.role == role:
        return member
    if member.role == StaffRole.OWNER:
        _keep_an_owner(session, member, "make them a manager")
    member.role = role
    actor.record(session, business.id, "staff.role_changed", "staff", member.id, role=str(role))
    return member


def remove(
    session: Session, *, business: Business, member_id: str, actor: audit.Actor
) -> StaffUser:
    """Their access ends at once (every session they hold is refused); their name stays in the
    audit trail. The last owner cannot be removed."""
    member = _member(session, member_id)
    if member.role == StaffRole.OWNER:
        _keep_an_owner(session, member, "remove them")
    member.disabled = True
    actor.record(session, business.id, "staff.removed", "staff", member.id, email=member.email)
    return member


def _member(session: Session, member_id: str) -> StaffUser:
    member = session.get(StaffUser, member_id)
    if member is None or member.disabled:
        raise NotFound("no such staff member")
    return member


def _keep_an_owner(session: Session, member: StaffUser, change: str) -> None:
    others = session.exec(
        select(StaffUser.id).where(
            StaffUser.role == StaffRole.OWNER,
            col(StaffUser.disabled).is_(False),
            StaffUser.id != member.id,
        )
    ).first()
    if others is None:
        raise Invalid(
            f"{member.email} is the only owner.",
            {"staff": f"Make someone else an owner before you {change}."},
        )


def join(
    session: Session, *, business: Business, email: str, role: StaffRole, name: str, password: str
) -> StaffUser:
    """Accept an invitation: once only, since an address belongs to one staff member (someone
    removed earlier comes back as the same member, with the new password)."""
    existing = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    if existing is not None and not existing.disabled:
        raise Invalid("This invitation was already used. Sign in instead.")
    if not name.strip():
        raise Invalid("Tell us your name.", {"name": "Enter your name."})
    if existing is None:
        return create(
            session, business=business, email=email, password=password, role=role, name=name.strip()
        )
    existing.password_hash = hash_password(password)
    existing.name, existing.role, existing.disabled = name.strip(), role, False
    return existing


def accept(
    db: Database, *, secret_keys: tuple[str, ...], token: str, name: str, password: str
) -> StaffUser:
    """The invitation in `token`, accepted: the new staff member, in the audit trail as the one
    who joined. InvalidToken for a bad invitation, Invalid for a bad name or password."""
    invited = invitation(secret_keys, token)
    with db.session(invited.business_id) as session:
        business = session.get(Business, invited.business_id)
        if business is None:
            raise InvalidToken("this invitation's business is gone")
        row = _still_open(session, invited)
        user = join(
            session,
            business=business,
            email=invited.email,
            role=invited.role,
            name=name[:200],
            password=password,
        )
        row.accepted_at = utcnow()
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
