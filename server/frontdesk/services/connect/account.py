"""The business's account as the processor describes it: its state in words, kept current (from
webhooks, "check now", reconciliation), disconnecting, and telling the owners when it changes
for the worse.

Whatever changes the account, the business's row is locked and read again first: an owner's
return from onboarding, a webhook and a "check now" may arrive together.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from frontdesk import locks
from frontdesk.models import Business, Initiator, Payment
from frontdesk.processors import Account, Processor, Revoked
from frontdesk.services import audit, events
from frontdesk.services.errors import Invalid

STRIPE = audit.Actor(Initiator.PROCESSOR, "stripe")
ACCOUNT_EVENTS = {"account.updated", "account.application.deauthorized"}
WORDS = {
    "business_type": "the kind of business",
    "external_account": "a bank account for payouts",
    "tos_acceptance.date": "accepting the processor's terms",
    "individual.verification.document": "an identity document",
    "individual.first_name": "your first name",
    "individual.last_name": "your last name",
    "individual.dob.day": "your date of birth",
}


@dataclass(frozen=True)
class Status:
    """The account as the dashboard, the API and the CLI describe it."""

    account: str
    kind: str
    linked: bool  # an account the business had, linked through the processor's sign-in
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool
    due: tuple[str, ...]
    disabled_reason: str
    checked_at: datetime | None

    @property
    def connected(self) -> bool:
        return bool(self.account)

    @property
    def due_in_words(self) -> list[str]:
        return [WORDS.get(item, item.replace("_", " ").replace(".", ": ")) for item in self.due]

    @property
    def summary(self) -> str:
        if not self.account:
            return "Not connected: customers cannot pay online yet."
        if self.charges_enabled:
            return "Connected: customers can pay online."
        if not self.details_submitted:
            return "Setup not finished: customers cannot pay online yet."
        return "Stripe needs more information: customers cannot pay online until it has it."


def status(business: Business) -> Status:
    saved = business.processor_status
    return Status(
        account=business.processor_account or "",
        kind=str(saved.get("type", "")),
        linked=bool(saved.get("linked")),
        details_submitted=bool(saved.get("details_submitted")),
        charges_enabled=business.charges_enabled,
        payouts_enabled=bool(saved.get("payouts_enabled")),
        due=tuple(saved.get("due") or ()),
        disabled_reason=str(saved.get("disabled_reason", "")),
        checked_at=datetime.fromisoformat(saved["checked_at"]) if saved.get("checked_at") else None,
    )


def locked(session: Session, business: Business) -> Business:
    """The business's row under its lock, read again."""
    found = locks.locked(session, Business, business.id, rewriting=Business.charges_enabled)
    assert found is not None  # the lock's update found it
    return found


# -- keeping the state current ------------------------------------------------------------


def refresh(session: Session, *, business: Business, processor: Processor) -> Status:
    """Ask the processor for the account's state and keep it (call with the business locked)."""
    if not business.processor_account:
        return status(business)
    try:
        found = processor.retrieve_account(business.processor_account)
    except Revoked:
        _disconnect(session, business, reason="deauthorized", actor=None, processor=None)
        return status(business)
    _apply(session, business, found)
    return status(business)


def _apply(session: Session, business: Business, found: Account) -> None:
    was_enabled = business.charges_enabled
    business.charges_enabled = found.charges_enabled
    business.processor_status = {
        **business.processor_status,
        "type": found.type or business.processor_status.get("type", ""),
        "details_submitted": found.details_submitted,
        "payouts_enabled": found.payouts_enabled,
        "due": sorted({*found.currently_due, *found.past_due}),
        "disabled_reason": found.disabled_reason,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if was_enabled != found.charges_enabled:
        action = "enabled" if found.charges_enabled else "disabled"
        STRIPE.record(
            session,
            business.id,
            f"processor.charges_{action}",
            "business",
            business.id,
            account=found.id,
            reason=found.disabled_reason,
        )
    if was_enabled and not found.charges_enabled:
        events.email_owners(
            session,
            business=business,
            subject=f"{business.name}: customers cannot pay online right now",
            text=(
                f"Stripe has paused card payments on your account ({found.id}) until it gets "
                "more information from you. Your customers see that online payment is not "
                "available and how to reach you.\n\nFinish what Stripe asks for in your "
                "dashboard's Settings, under Online payments."
            ),
        )


def on_event(session: Session, *, business: Business, processor: Processor) -> None:
    """An account webhook: whatever it says, the processor's answer now is the state."""
    refresh(session, business=locked(session, business), processor=processor)


def check(session: Session, *, business: Business, processor: Processor) -> Status:
    """The owner's "check now"."""
    return refresh(session, business=locked(session, business), processor=processor)


# -- disconnecting -------------------------------------------------------------------------


def disconnect(
    session: Session, *, business: Business, processor: Processor, actor: audit.Actor
) -> None:
    business = locked(session, business)
    if not business.processor_account:
        raise Invalid("No Stripe account is connected.")
    _disconnect(session, business, reason="by the business", actor=actor, processor=processor)


def _disconnect(
    session: Session,
    business: Business,
    *,
    reason: str,
    actor: audit.Actor | None,
    processor: Processor | None,
) -> None:
    account = business.processor_account or ""
    if processor is not None and business.processor_status.get("linked"):
        with suppress(Revoked):  # already let go at its end
            processor.deauthorize(account)  # a linked account is let go at the processor too
    business.processor_account = None
    business.charges_enabled = False
    # The next account is a new round: its creation key must differ from this one's.
    business.processor_status = {"round": int(business.processor_status.get("round", 0)) + 1}
    (actor or STRIPE).record(
        session,
        business.id,
        "processor.disconnected",
        "business",
        business.id,
        account=account,
        reason=reason,
    )
    if actor is not None:
        return  # the owner did it: they know
    events.email_owners(
        session,
        business=business,
        subject=f"{business.name}: your Stripe account was disconnected",
        text=(
            f"Your Stripe account ({account}) no longer lets Frontdesk take payments for you, "
            "so your customers cannot pay online. Connect an account again in your dashboard's "
            "Settings, under Online payments."
        ),
    )


def made_on(business: Business, payment: Payment) -> str:
    """The account a payment's intent was made on: reading it needs no charges enabled now, and
    the business may have moved to another account since."""
    return payment.processor_account or business.processor_account or ""
