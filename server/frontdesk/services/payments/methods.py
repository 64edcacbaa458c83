"""Saved cards: kept with the customer's consent, once per card (the processor's fingerprint),
one of them the default, removable at the processor too."""

from __future__ import annotations

import contextlib
from datetime import datetime

import sqlalchemy
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt, read
from frontdesk.driver_reads import columns_of, loaded
from frontdesk.languages import N_, gettext
from frontdesk.models import Business, Customer, PaymentMethod, PaymentMethodKind, utcnow
from frontdesk.processors import Processor, Refused
from frontdesk.services import audit, customers, events, todos
from frontdesk.services.errors import NotFound

LOST_CARD = (
    "The saved card is no longer on file with the payment processor; it needs to be added again."
)
SAVE_CONSENT = N_(
    "I authorise %(business)s to save this card and to charge it for future payments on my "
    "account. I can remove it at any time in this portal."
)


def consent_for(business: Business) -> str:
    """The words the customer agrees to when saving a card, as recorded with it: in the language
    they read them in."""
    return gettext(SAVE_CONSENT) % {"business": business.name}


# The customer's saved cards and accounts, the default first (the pay step lists them).
_SAVED = prebuilt(
    sqlalchemy.select(*columns_of(PaymentMethod))
    .where(
        in_business(PaymentMethod),
        col(PaymentMethod.customer_id) == bindparam("customer"),
        col(PaymentMethod.removed_at).is_(None),
    )
    .order_by(col(PaymentMethod.is_default).desc(), col(PaymentMethod.created_at))
)


def saved_methods(
    session: Session, *, business: Business, customer: Customer
) -> list[PaymentMethod]:
    rows = read(session, _SAVED, {"customer": customer.id})
    return [loaded(session, PaymentMethod, row) for row in rows]


def saved_method(
    session: Session, *, business: Business, customer: Customer, method_id: str
) -> PaymentMethod:
    for method in saved_methods(session, business=business, customer=customer):
        if method.id == method_id:
            return method
    raise NotFound("no such payment method")


def make_default(
    session: Session, *, business: Business, customer: Customer, method_id: str
) -> None:
    chosen = saved_method(session, business=business, customer=customer, method_id=method_id)
    for method in saved_methods(session, business=business, customer=customer):
        method.is_default = method.id == chosen.id


def remove_method(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method_id: str,
    processor: Processor,
) -> None:
    method = saved_method(session, business=business, customer=customer, method_id=method_id)
    _forget(session, business=business, method=method, processor=processor)
    remaining = saved_methods(session, business=business, customer=customer)
    if remaining and not any(m.is_default for m in remaining):
        remaining[0].is_default = True


def _forget(
    session: Session, *, business: Business, method: PaymentMethod, processor: Processor
) -> None:
    # Already gone at the processor? Then forgetting it here is all that is left to do.
    with contextlib.suppress(Refused):
        processor.detach(
            business.processor_account or "", method.processor_id, key=f"{method.id}:detach"
        )
    method.removed_at, method.is_default = utcnow(), False
    # Automatic payments build on saved cards, so they are imported here, not above.
    from frontdesk.services.autopay import enrolment

    enrolment.end_for_card(session, business=business, method=method, now=method.removed_at)


def forget_lost(session: Session, *, customer: Customer) -> None:
    """The processor no longer knows the customer, so their saved cards are gone with them."""
    for method in session.exec(
        select(PaymentMethod).where(
            PaymentMethod.customer_id == customer.id, col(PaymentMethod.removed_at).is_(None)
        )
    ).all():
        method.removed_at, method.is_default = utcnow(), False


def save_method(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    method_id: str,
    consent_text: str,
    consented_at: datetime,
    processor: Processor,
) -> PaymentMethod | None:
    """Keep a card the customer agreed to save, default if first. The same card saved again
    (same fingerprint) replaces the older entry and keeps its place as default."""
    # The webhook and the customer's browser both report a saved card, often at the same moment:
    # under the customer's lock the second one finds the card kept and stops.
    customers.lock(session, customer_id)
    if session.exec(select(PaymentMethod).where(PaymentMethod.processor_id == method_id)).first():
        return None
    card = processor.card(business.processor_account or "", method_id)
    active = session.exec(
        select(PaymentMethod).where(
            PaymentMethod.customer_id == customer_id, col(PaymentMethod.removed_at).is_(None)
        )
    ).all()
    replaced = [m for m in active if card.fingerprint and m.fingerprint == card.fingerprint]
    method = PaymentMethod(
        business_id=business.id,
        customer_id=customer_id,
        processor_id=method_id,
        kind=PaymentMethodKind.CARD,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        fingerprint=card.fingerprint,
        is_default=not any(m.is_default for m in active) or any(m.is_default for m in replaced),
        consent_text=consent_text,
        consented_at=consented_at,
    )
    for old in replaced:
        _forget(session, business=business, method=old, processor=processor)
    session.add(method)
    todos.close(
        session,
        business=business,
        customer_id=customer_id,
        rule=todos.SAVE_PAYMENT_METHOD,
        now=utcnow(),
    )
    audit.record(
        session,
        business=business,
        actor_type="customer",
        actor_id=customer_id,
        action="payment_method.saved",
        target_type="customer",
        target_id=customer_id,
        detail={"card": f"{card.brand} •••• {card.last4}", "consent": consent_text},
    )
    events.emit(
        session,
        business=business,
        type="payment_method.saved",
        data={
            "customer": customer_id,
            "payment_method": method.id,
            "brand": method.brand,
            "last4": method.last4,
        },
    )
    return method
