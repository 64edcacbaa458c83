"""Setting up a business's account through the processor's onboarding, or linking one it has
through the processor's sign-in, and coming back: the state token says which business the way
back is for, and everything that refuses does so before anything changes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from frontdesk import tokens
from frontdesk.models import Business, Customer, PaymentMethod
from frontdesk.processors import Processor, Refused
from frontdesk.services import audit
from frontdesk.services.connect.account import Status, locked, refresh
from frontdesk.services.errors import Invalid
from frontdesk.tokens import Purpose

KINDS = {"express": "Express", "standard": "Standard"}

# -- the state token: which business an onboarding or sign-in at the processor is for ---------


def state_token(secret_keys: tuple[str, ...], business: Business, account: str) -> str:
    return tokens.sign(
        secret_keys, Purpose.CONNECT, {"b": business.id, "a": account, "n": secrets.token_hex(8)}
    )


def _state(secret_keys: tuple[str, ...], token: str, business: Business) -> str:
    """The account a state token names, when it was made for this business; Invalid if not."""
    try:
        claims = tokens.unsign(secret_keys, Purpose.CONNECT, token)
    except tokens.InvalidToken as bad:
        why = "has expired" if bad.expired else "is not valid"
        raise Invalid(f"This link back from Stripe {why}; nothing changed.") from None
    if claims.get("b") != business.id:
        raise Invalid("This link back from Stripe was made for another business; nothing changed.")
    return str(claims.get("a", ""))


# -- setting up an account and coming back --------------------------------------------------


def start(
    session: Session,
    *,
    business: Business,
    kind: str,
    processor: Processor,
    secret_keys: tuple[str, ...],
    back: str,
    actor: audit.Actor,
) -> str:
    """The processor's onboarding address for the business's account, made first when it has
    none. `back` is our return address; the state token is added to it."""
    if kind not in KINDS:
        raise Invalid("Choose Express or Standard.", {"kind": "Choose Express or Standard."})
    business = locked(session, business)
    account = business.processor_account
    if not account:
        round_ = int(business.processor_status.get("round", 0))
        account = processor.create_account(
            kind=kind,
            email=business.contact_email or "",
            name=business.name,
            business=business.id,
            # One account per round: a retried click (or a crash before our commit) finds the
            # same account instead of making a second.
            key=f"{business.id}:account:{round_}",
        )
        _adopt(session, business, account, kind=kind, linked=False, actor=actor)
    state = state_token(secret_keys, business, account)
    url = processor.onboarding_link(
        account,
        return_url=f"{back}/return?state={state}",
        refresh_url=f"{back}/again?state={state}",
        update=bool(business.processor_status.get("details_submitted")),
    )
    actor.record(session, business.id, "processor.onboarding_started", "business", business.id)
    return url


def again(
    session: Session,
    *,
    business: Business,
    token: str,
    processor: Processor,
    secret_keys: tuple[str, ...],
    back: str,
    actor: audit.Actor,
) -> str:
    """A fresh onboarding address when the processor's link ran out (its refresh address)."""
    if _state(secret_keys, token, business) != business.processor_account:
        raise Invalid("This link is for an account this business no longer uses; nothing changed.")
    kind = str(business.processor_status.get("type") or "express")
    return start(
        session,
        business=business,
        kind=kind,
        processor=processor,
        secret_keys=secret_keys,
        back=back,
        actor=actor,
    )


def returned(
    session: Session,
    *,
    business: Business,
    token: str,
    processor: Processor,
    secret_keys: tuple[str, ...],
) -> Status:
    """The owner is back from onboarding: the account's state, asked of the processor."""
    account = _state(secret_keys, token, business)
    business = locked(session, business)
    if not account or account != business.processor_account:
        raise Invalid("This link is for an account this business no longer uses; nothing changed.")
    return refresh(session, business=business, processor=processor)


def authorize_url(
    business: Business, *, processor: Processor, secret_keys: tuple[str, ...], back: str
) -> str:
    """Where the owner of an existing account signs in to the processor and lets us in."""
    state = state_token(secret_keys, business, "")
    return processor.authorize_url(state=state, redirect_uri=f"{back}/linked")


def linked(
    session: Session,
    *,
    business: Business,
    code: str,
    token: str,
    processor: Processor,
    secret_keys: tuple[str, ...],
    actor: audit.Actor,
) -> Status:
    """Back from the processor's sign-in with a code naming the account to link."""
    _state(secret_keys, token, business)
    if not code:
        raise Invalid("Stripe did not link an account (it was cancelled there); nothing changed.")
    try:
        account = processor.account_for_code(code)
    except Refused:
        raise Invalid(
            "Stripe did not accept this link (it was used or ran out); try again."
        ) from None
    business = locked(session, business)
    if account != business.processor_account:
        taken = session.exec(
            select(Business.id).where(Business.processor_account == account)
        ).first()
        if taken:
            raise Invalid("That Stripe account is connected to another business; nothing changed.")
        found = processor.retrieve_account(account)
        _adopt(session, business, account, kind=found.type, linked=True, actor=actor)
    return refresh(session, business=business, processor=processor)


def _adopt(
    session: Session,
    business: Business,
    account: str,
    *,
    kind: str,
    linked: bool,
    actor: audit.Actor,
) -> None:
    """Take `account` as the business's. What belonged to an earlier account (saved cards,
    customers at the processor) cannot be used on this one and is let go."""
    round_ = int(business.processor_status.get("round", 0))
    business.processor_account = account
    business.charges_enabled = False
    business.processor_status = {"type": kind, "linked": linked, "round": round_}
    _forget_earlier_account(session)
    session.flush()  # the unique account constraint speaks here, not at commit
    actor.record(
        session, business.id, "processor.connected", "business", business.id, account=account
    )


def _forget_earlier_account(session: Session) -> None:
    now = datetime.now(UTC)
    for method in session.exec(
        select(PaymentMethod).where(col(PaymentMethod.removed_at).is_(None))
    ):
        method.removed_at, method.is_default = now, False
    for customer in session.exec(
        select(Customer).where(col(Customer.processor_customer_id).is_not(None))
    ):
        customer.processor_customer_id = None
