"""Files customers and staff attach (service-request photos, message files, later documents):
told apart by their bytes, images re-encoded without their metadata, stored once per business by
content, and served through short-lived links signed for one customer or the business's staff.

The services that own the things files attach to (service requests, messages) call `receive`
inside the transaction that creates the owner, and render `linked(...)` with the partial
fragments/attachments/list.html."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, func, select
from starlette.datastructures import UploadFile

from frontdesk import tokens
from frontdesk.languages import gettext
from frontdesk.models import Attachment, Business, Customer, StaffUser
from frontdesk.services import attachment_files
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.settings import Settings
from frontdesk.storage import LocalDisk, Storage
from frontdesk.tokens import InvalidToken, Purpose

LINK_SECONDS = tokens.LIFETIME[Purpose.ATTACHMENT] or 0


class Expired(Exception):
    """A file link that was valid and has run out: the person should open it again."""


@dataclass(frozen=True)
class Party:
    """Who attached a file, or who a link to it is for: a customer or a staff member."""

    kind: Literal["customer", "staff"]
    id: str

    @classmethod
    def customer(cls, customer_id: str) -> Party:
        return cls("customer", customer_id)

    @classmethod
    def staff(cls, staff_id: str) -> Party:
        return cls("staff", staff_id)


@dataclass(frozen=True)
class Linked:
    """An attachment with a token for its link (url_for("attachment_file", token=...))."""

    attachment: Attachment
    token: str

    @property
    def is_image(self) -> bool:
        return self.attachment.content_type.startswith("image/")


@dataclass(frozen=True)
class LinkClaims:
    """What a valid, unexpired file link names."""

    business_id: str
    attachment_id: str
    audience: Party
    link_version: int | None
    expires_at: int


@dataclass(frozen=True)
class Served:
    attachment: Attachment
    data: bytes
    seconds_left: int


def store_for(settings: Settings) -> Storage:
    """Where this installation keeps attached files: its data directory, for now."""
    return LocalDisk(settings.data_dir / "attachments")


def receive(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    owner_kind: str,
    owner_id: str,
    files: Sequence[UploadFile],
    by: Party,
    max_files: int,
    store: Storage,
    field: str = "files",
) -> list[Attachment]:
    """Check, clean and store every file for one owner, all or nothing: the first bad file
    raises Invalid naming it (under `field`) before anything is written. File inputs left empty
    (no name, no bytes: what browsers send when nothing was chosen) are not files."""
    chosen = [upload for upload in files if upload.filename or attachment_files.size_of(upload)]
    already = session.exec(
        select(func.count())
        .select_from(Attachment)
        .where(
            Attachment.business_id == business.id,
            Attachment.owner_kind == owner_kind,
            Attachment.owner_id == owner_id,
        )
    ).one()
    if already + len(chosen) > max_files:
        total = already + len(chosen)
        message = gettext("Up to %(most)s files can be attached; this would make %(total)s.") % {
            "most": max_files,
            "total": total,
        }
        raise Invalid(message, {field: message})
    cleaned = [attachment_files.cleaned(upload, field) for upload in chosen]
    return [
        stored(
            session,
            business=business,
            customer_id=customer_id,
            owner_kind=owner_kind,
            owner_id=owner_id,
            clean=clean,
            by=by,
            store=store,
        )
        for clean in cleaned
    ]


def stored(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    owner_kind: str,
    owner_id: str,
    clean: attachment_files.Clean,
    by: Party,
    store: Storage,
) -> Attachment:
    """One file we made or already checked (a signed PDF), kept for its owner."""
    digest = hashlib.sha256(clean.data).hexdigest()
    key = f"{business.id}/{digest}"
    store.put(key, clean.data)
    row = Attachment(
        business_id=business.id,
        customer_id=customer_id,
        owner_kind=owner_kind,
        owner_id=owner_id,
        filename=clean.filename,
        content_type=clean.content_type,
        size=len(clean.data),
        sha256=digest,
        storage_key=key,
        created_by_kind=by.kind,
        created_by_id=by.id,
    )
    session.add(row)
    session.flush()
    return row


def listed(
    session: Session, *, business: Business, owner_kind: str, owner_id: str
) -> list[Attachment]:
    """The owner's attachments, oldest first."""
    return list(
        session.exec(
            select(Attachment)
            .where(
                Attachment.business_id == business.id,
                Attachment.owner_kind == owner_kind,
                Attachment.owner_id == owner_id,
            )
            .order_by(col(Attachment.created_at), col(Attachment.id))
        )
    )


def linked(
    session: Session,
    *,
    business: Business,
    owner_kind: str,
    owner_id: str,
    audience: Party,
    secret_keys: tuple[str, ...],
    now: datetime,
) -> list[Linked]:
    """The owner's attachments this audience may open, each with a fresh link token."""
    shown = listed(session, business=business, owner_kind=owner_kind, owner_id=owner_id)
    if audience.kind == "customer":
        shown = [found for found in shown if found.customer_id == audience.id]
    link_version = _link_version(session, audience)
    return [
        Linked(found, _sign(secret_keys, found, audience, link_version, now)) for found in shown
    ]


def token(
    session: Session,
    *,
    attachment: Attachment,
    audience: Party,
    secret_keys: tuple[str, ...],
    now: datetime,
) -> str:
    """A link token to one attachment for one audience: a customer only for their own files."""
    if audience.kind == "customer" and audience.id != attachment.customer_id:
        raise NotFound("no such attachment")
    return _sign(secret_keys, attachment, audience, _link_version(session, audience), now)


def link_claims(secret_keys: tuple[str, ...], token: str, now: datetime) -> LinkClaims:
    """What a file link names: NotFound when it is not one of ours (tampered, another purpose),
    Expired when it ran out on `now` (the app's clock) or on the signature's own clock."""
    try:
        payload = tokens.unsign(secret_keys, Purpose.ATTACHMENT, token)
    except InvalidToken as exc:
        if exc.expired:
            raise Expired(str(exc)) from None
        raise NotFound("not a file link") from None
    claims = _claims(payload)
    if now.timestamp() >= claims.expires_at:
        raise Expired("this link has expired")
    return claims


def opened(session: Session, *, claims: LinkClaims, store: Storage, now: datetime) -> Served:
    """The attachment a link names, with its bytes, if its audience may still see it: the
    customer it belongs to (with portal access and the link version the link was made with),
    or an enabled staff member of its business. Anything else looks like nothing (NotFound)."""
    found = session.exec(
        select(Attachment).where(
            Attachment.business_id == claims.business_id, Attachment.id == claims.attachment_id
        )
    ).first()
    if found is None or not _may_see(session, found, claims):
        raise NotFound("no such attachment")
    try:
        data = store.get(found.storage_key)
    except FileNotFoundError:
        raise NotFound("the file is gone") from None
    return Served(found, data, max(0, claims.expires_at - int(now.timestamp())))


def withdraw(session: Session, *, business: Business, attachment_id: str, store: Storage) -> None:
    """Remove one attachment; its blob goes too unless another row shares it."""
    found = session.exec(
        select(Attachment).where(
            Attachment.business_id == business.id, Attachment.id == attachment_id
        )
    ).first()
    if found is None:
        raise NotFound("no such attachment")
    session.delete(found)
    session.flush()
    shared = session.exec(
        select(Attachment.id).where(Attachment.storage_key == found.storage_key).limit(1)
    ).first()
    if shared is None:
        store.delete(found.storage_key)


def _sign(
    secret_keys: tuple[str, ...],
    attachment: Attachment,
    audience: Party,
    link_version: int | None,
    now: datetime,
) -> str:
    payload: dict[str, Any] = {
        "b": attachment.business_id,
        "a": attachment.id,
        "k": audience.kind,
        "p": audience.id,
        # Expiry on the app's clock (tests move it); the signature's timestamp is a backstop.
        "x": int(now.timestamp()) + LINK_SECONDS,
    }
    if link_version is not None:
        payload["v"] = link_version
    return tokens.sign(secret_keys, Purpose.ATTACHMENT, payload)


def _claims(payload: dict[str, Any]) -> LinkClaims:
    business_id, attachment_id = payload.get("b"), payload.get("a")
    kind, party, expires = payload.get("k"), payload.get("p"), payload.get("x")
    version = payload.get("v")
    if not (
        isinstance(business_id, str)
        and isinstance(attachment_id, str)
        and kind in ("customer", "staff")
        and isinstance(party, str)
        and type(expires) is int
        and (version is None or type(version) is int)
    ):
        raise NotFound("not a file link")
    return LinkClaims(business_id, attachment_id, Party(kind, party), version, expires)


def _link_version(session: Session, audience: Party) -> int | None:
    """A customer's link version, so revoking their links ends their file links too."""
    if audience.kind != "customer":
        return None
    customer = session.exec(select(Customer).where(Customer.id == audience.id)).first()
    if customer is None:
        raise NotFound("no such customer")
    return customer.link_version


def _may_see(session: Session, attachment: Attachment, claims: LinkClaims) -> bool:
    audience = claims.audience
    if audience.kind == "staff":
        staff = session.exec(select(StaffUser).where(StaffUser.id == audience.id)).first()
        return staff is not None and not staff.disabled
    if attachment.customer_id != audience.id:
        return False
    customer = session.exec(select(Customer).where(Customer.id == audience.id)).first()
    return (
        customer is not None
        and customer.portal_enabled
        and customer.link_version == claims.link_version
    )
