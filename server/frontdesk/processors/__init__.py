"""The payment processor interface: what our payment services ask of a processor, in our words.

Services never see a processor's library or wire format: they get `Intent`, `Setup`, `Card`,
`RefundMade` and `Event` values, and one of the errors below. Stripe is the first
implementation (`processors/stripe.py`); its local stand-in is `processors/sandbox/`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class IntentStatus:
    """A payment intent's states, as processors name them."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    # The customer can still pay this intent (with the same card or another).
    PAYABLE = (REQUIRES_PAYMENT_METHOD, REQUIRES_CONFIRMATION, REQUIRES_ACTION)


@dataclass(frozen=True)
class Intent:
    """One attempt to take an amount, as the processor sees it now."""

    id: str
    status: str
    amount: int
    amount_received: int
    currency: str  # upper case, as we store it
    metadata: Mapping[str, str] = field(default_factory=dict)
    client_secret: str = ""
    payment_method: str | None = None
    # Why the last attempt failed, in the processor's words for the customer.
    error: str = ""
    created: datetime | None = None
    # The platform's fee on this charge, as the processor recorded it.
    application_fee: int = 0


@dataclass(frozen=True)
class Setup:
    """Saving a card without paying."""

    id: str
    status: str
    client_secret: str
    payment_method: str | None
    metadata: Mapping[str, str]
    created: datetime


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    # The same card number gives the same fingerprint on one account: saved twice, kept once.
    fingerprint: str


@dataclass(frozen=True)
class RefundMade:
    id: str
    intent_id: str
    amount: int
    status: str  # "succeeded", "pending" (on its way back) or "failed"


@dataclass(frozen=True)
class Account:
    """A business's own account at the processor, as the processor describes it now."""

    id: str
    type: str  # "express" or "standard"
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool
    # What the processor still needs from the business, in its field names.
    currently_due: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    disabled_reason: str = ""
    deadline: datetime | None = None
    email: str = ""


@dataclass(frozen=True)
class Event:
    """A verified notification. Its object is only named: the state is fetched, never trusted."""

    id: str
    type: str
    account: str | None
    object_id: str
    object_kind: str  # "payment_intent", "setup_intent", ...


class ProcessorError(Exception):
    """Anything a processor call can end in other than an answer."""


class Unavailable(ProcessorError):
    """The processor did not answer, or answered that it cannot serve us now."""


class Declined(ProcessorError):
    """The customer's bank said no. `message` is meant for the customer."""

    def __init__(
        self, message: str, code: str = "", intent: Intent | None = None, decline_code: str = ""
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.intent = message, code, intent
        # The bank's reason ("insufficient_funds", "lost_card"): whether trying again can help.
        self.decline_code = decline_code


class Refused(ProcessorError):
    """The processor refused the request: our records and its disagree (a state, an amount)."""

    def __init__(self, message: str, code: str = "", param: str = "") -> None:
        super().__init__(message)
        self.message, self.code, self.param = message, code, param


class Missing(Refused):
    """An object we named does not exist at the processor (any more): `kind` says which."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message, "resource_missing", kind)
        self.kind = kind


class Revoked(Unavailable):
    """The account no longer lets us in: its owner disconnected the platform (or it is gone).
    To a payment this is the processor being unavailable; `connect` acts on it."""


class BadSignature(ProcessorError):
    """A webhook whose signature, age or body does not check out."""


class Processor(Protocol):
    """Everything our services ask of a processor. `account` is the business's own account
    on it; `key` makes a creating call safe to repeat (the same key gives the same object)."""

    name: str

    def create_customer(
        self, account: str, *, email: str, name: str, reference: str, key: str
    ) -> str: ...

    def create_intent(
        self,
        account: str,
        *,
        amount: int,
        currency: str,
        customer: str,
        metadata: Mapping[str, str],
        key: str,
        save: bool = False,
        method: str | None = None,
        off_session: bool = False,
        application_fee: int = 0,
    ) -> Intent:
        """With `method`, confirmed at once (raises Declined when the bank says no)."""
        ...

    def retrieve_intent(self, account: str, intent_id: str) -> Intent: ...

    def confirm_intent(
        self, account: str, intent_id: str, *, method: str | None, key: str
    ) -> Intent: ...

    def cancel_intent(self, account: str, intent_id: str, *, key: str) -> Intent: ...

    def intents(self, account: str, *, since: datetime | None = None) -> Iterator[Intent]:
        """Every intent created on the account since then (all of them without `since`)."""
        ...

    def refund(
        self,
        account: str,
        intent_id: str,
        *,
        amount: int,
        key: str,
        reason: str,
        refund_application_fee: bool = False,
    ) -> RefundMade: ...

    def refunds(self, account: str, *, since: datetime | None = None) -> Iterator[RefundMade]: ...

    def create_setup(
        self, account: str, *, customer: str, metadata: Mapping[str, str], key: str
    ) -> Setup: ...

    def retrieve_setup(self, account: str, setup_id: str) -> Setup: ...

    def card(self, account: str, method_id: str) -> Card: ...

    def detach(self, account: str, method_id: str, *, key: str) -> None: ...

    def verify_event(self, payload: bytes, signature: str) -> Event: ...

    # -- the businesses' own accounts (Connect) ---------------------------------------------

    def create_account(self, *, kind: str, email: str, name: str, business: str, key: str) -> str:
        """A new account for a business to finish setting up; its id."""
        ...

    def retrieve_account(self, account: str) -> Account:
        """Raises Revoked when the account has disconnected us."""
        ...

    def onboarding_link(
        self, account: str, *, return_url: str, refresh_url: str, update: bool = False
    ) -> str:
        """Where the business gives the processor its details (single use, short-lived)."""
        ...

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        """Where the owner of an existing account signs in and lets us in."""
        ...

    def account_for_code(self, code: str) -> str:
        """The account an authorization code (from `authorize_url`'s redirect) names; Refused
        for a code that is wrong, used or expired."""
        ...

    def deauthorize(self, account: str) -> None:
        """Let go of an account linked through `authorize_url`."""
        ...

    def recent_events(self, account: str, *, kind: str, limit: int) -> list[Event]: ...

    def close(self) -> None:
        """Let go of connections; the processor is not used after this."""
        ...
