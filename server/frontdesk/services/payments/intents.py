"""Payments the customer makes in the portal: one pending payment of ours and one intent at
the processor per attempt, started one at a time per customer; and asking the processor how an
attempt went (the result poll, the secure pay page, the emailed link back to a waiting charge)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    new_id,
    utcnow,
)
from frontdesk.processors import Declined, Intent, IntentStatus, Missing, Processor, Refused
from frontdesk.services import businesses, connect, customers, invoices
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.payments import apply, fees, methods
from frontdesk.services.payments.history import owned
from frontdesk.services.payments.selection import Selection
from frontdesk.services.rate_limits import Limited

log = logging.getLogger("frontdesk.payments")
T = TypeVar("T")
FINAL = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED)


def account(business: Business) -> str:
    """The business's account at the processor, or a refusal in words when it has none or the
    processor does not let it take charges now."""
    if not business.processor_account or not business.charges_enabled:
        said = {"business": business.name}
        raise Invalid(gettext("%(business)s does not take online payments yet.") % said)
    return business.processor_account


def start(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    selection: Selection,
    tip: int,
    processor: Processor,
    save_method: bool = False,
    saved: PaymentMethod | None = None,
    now: datetime | None = None,
) -> tuple[Payment, str]:
    """A pending payment and its intent; returns the payment and the intent's client secret.

    With `saved` (one-click), the intent is confirmed at once with that saved method: the result
    is applied before returning, and a decline leaves a failed payment with the bank's reason.

    Starts for one customer run one at a time. Asking again for exactly the same payment (a
    double click, a second tab, coming back after closing a bank's check) returns the same
    intent; a different one for some of the same invoices cancels the older intent first, so
    only one can ever be confirmed; when the older one was confirmed already, this is refused.
    """
    where = account(business)
    customers.lock(session, customer.id)
    still_due(session, selection)
    consent = methods.consent_for(business) if save_method else ""
    wanted = sorted((invoice.id, amount) for invoice, amount in selection.allocations)
    older = open_attempts(session, selection)
    for old in older:
        same = (
            saved is None
            and old.initiated_by == Initiator.CUSTOMER
            and (old.amount, old.tip, old.save_consent_text) == (selection.amount, tip, consent)
            and _allocations(session, old) == wanted
        )
        if same:
            intent = processor.retrieve_intent(where, str(old.processor_reference))
            if intent.status in IntentStatus.PAYABLE:
                return old, intent.client_secret
    # Checked before anything changes at the processor: a refusal leaves every attempt as it was.
    _within_attempts(session, customer, now or utcnow())
    for old in older:
        cancel(processor, where, old)
    payment = pending(
        session,
        business=business,
        customer=customer,
        selection=selection,
        tip=tip,
        method=saved.kind if saved else PaymentMethodKind.CARD,
        initiated_by=Initiator.CUSTOMER,
        save_consent_text=consent,
    )
    try:
        intent = with_processor_customer(
            session,
            business=business,
            customer=customer,
            processor=processor,
            call=lambda processor_customer, renewed: processor.create_intent(
                where,
                amount=payment.charged,
                currency=business.currency,
                customer=processor_customer,
                metadata={"frontdesk_payment": payment.id, "frontdesk_business": business.id},
                # Derived from our own row: a retried request can never create a second intent.
                key=f"{payment.id}:intent{':renewed' if renewed else ''}",
                save=save_method,
                method=saved.processor_id if saved else None,
                application_fee=payment.application_fee,
            ),
        )
    except Declined as declined:
        payment.status = PaymentStatus.FAILED
        payment.processor_reference = declined.intent.id if declined.intent else None
        apply.failed(session, business=business, payment=payment, message=declined.message)
        return payment, ""
    except Missing as missing:
        if missing.kind != "payment_method" or saved is None:
            raise
        # Not an outage: the card is gone at the processor. Say so, and stop offering it.
        methods.forget_lost(session, customer=customer)
        payment.status = PaymentStatus.FAILED
        apply.failed(session, business=business, payment=payment, message=methods.LOST_CARD)
        return payment, ""
    payment.processor_reference = intent.id
    if saved is not None:
        apply.apply_intent(session, business=business, intent=intent, processor=processor)
    return payment, intent.client_secret


# Attempts that did not end in a payment, per customer per hour: a card tester's trail, never a
# customer's who pays (paying twenty invoices in a row leaves none).
UNSUCCESSFUL_PER_HOUR = 10


def _within_attempts(session: Session, customer: Customer, now: datetime) -> None:
    since = now - timedelta(hours=1)
    recent = session.exec(
        select(Payment.created_at).where(
            Payment.customer_id == customer.id,
            Payment.initiated_by == Initiator.CUSTOMER,
            col(Payment.created_at) >= since,
            or_(
                col(Payment.status).in_([PaymentStatus.FAILED, PaymentStatus.CANCELED]),
                and_(
                    col(Payment.status) == PaymentStatus.PENDING, col(Payment.failure_message) != ""
                ),
            ),
        )
    ).all()
    if len(recent) >= UNSUCCESSFUL_PER_HOUR:
        oldest = min(recent)
        raise Limited(max(int((oldest + timedelta(hours=1) - now).total_seconds()) + 1, 1))


def still_due(session: Session, selection: Selection) -> None:
    """The selection was made before the customer's lock; a payment may have settled since."""
    ids = [invoice.id for invoice, _ in selection.allocations]
    for invoice, _ in selection.allocations:
        session.refresh(invoice)
    paid = invoices.paid_amounts(session, ids)
    if any(
        invoice.status != InvoiceStatus.OPEN or amount > invoice.total - paid[invoice.id]
        for invoice, amount in selection.allocations
    ):
        raise Invalid(gettext("This was paid a moment ago; there is nothing more to pay for it."))


def open_attempts(session: Session, selection: Selection) -> list[Payment]:
    """Attempts not yet finished for any of these invoices, whoever started them."""
    found = session.exec(
        select(Payment)
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(
            col(PaymentAllocation.invoice_id).in_([i.id for i, _ in selection.allocations]),
            Payment.status == PaymentStatus.PENDING,
            col(Payment.processor_reference).is_not(None),
        )
    ).all()
    return list({payment.id: payment for payment in found}.values())


def cancel(processor: Processor, where: str, old: Payment) -> None:
    """End an older attempt so it can never be confirmed; refuse if it was confirmed already."""
    reference = str(old.processor_reference)
    try:
        processor.cancel_intent(where, reference, key=f"{old.id}:cancel")
    except Refused:
        if processor.retrieve_intent(where, reference).status != IntentStatus.CANCELED:
            # Paid (or being paid) in another tab a moment ago; its webhook records it.
            # Starting another intent here is how an invoice gets charged twice.
            raise Invalid(
                gettext(
                    "A payment for this is already going through. It will show here in a "
                    "moment; nothing more is needed."
                )
            ) from None
    old.status = PaymentStatus.CANCELED


def with_processor_customer(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    processor: Processor,
    call: Callable[[str, bool], T],
) -> T:
    """`call(processor_customer_id, renewed)`. When the processor has lost a customer we know
    (its test data was reset, the customer was deleted there), it is made again and the call
    repeated once, instead of failing as if the processor were away."""
    known = bool(customer.processor_customer_id)
    try:
        return call(_processor_customer(business, customer, processor, renew=False), False)
    except Missing as missing:
        if missing.kind != "customer" or not known:
            raise
    log.warning("the processor lost customer %s of %s; making it again", customer.id, business.id)
    return call(_processor_customer(business, customer, processor, renew=True), True)


def _processor_customer(
    business: Business, customer: Customer, processor: Processor, *, renew: bool
) -> str:
    """The customer's id on the business's account, created the first time (or again)."""
    if renew or not customer.processor_customer_id:
        customer.processor_customer_id = processor.create_customer(
            account(business),
            email=customer.email,
            name=customer.name,
            reference=customer.id,
            key=f"{customer.id}:customer" + (f":{secrets.token_hex(6)}" if renew else ""),
        )
    return customer.processor_customer_id


def complete_on_session(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str,
    processor: Processor,
) -> tuple[Payment, str]:
    """The customer is back (from the emailed link): confirm the same intent again, now
    on-session, so their bank can ask them to authenticate. Never a second intent."""
    payment = owned(session, customer=customer, payment_id=payment_id)
    if payment.status != PaymentStatus.PENDING:
        return payment, ""
    where = account(business)
    intent = processor.retrieve_intent(where, str(payment.processor_reference))
    if intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD:
        try:
            intent = processor.confirm_intent(
                where,
                intent.id,
                method=intent.payment_method,
                key=f"{payment.id}:on-session",
            )
        except Declined as declined:
            payment.status = PaymentStatus.FAILED
            apply.failed(session, business=business, payment=payment, message=declined.message)
            return payment, ""
    apply.apply_intent(session, business=business, intent=intent, processor=processor)
    return payment, intent.client_secret


def refresh(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str,
    processor: Processor,
) -> Payment:
    """How did it go? Asked of the processor, never taken from the browser."""
    payment = owned(session, customer=customer, payment_id=payment_id)
    if payment.status in FINAL:
        return payment
    intent = processor.retrieve_intent(
        connect.made_on(business, payment), str(payment.processor_reference)
    )
    return apply.apply_intent(session, business=business, intent=intent, processor=processor)


def waiting(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str,
    processor: Processor,
) -> tuple[Payment, str]:
    """The payment the secure pay page takes, and its client secret while it can be paid."""
    payment = owned(session, customer=customer, payment_id=payment_id)
    if payment.status != PaymentStatus.PENDING:
        return payment, ""
    intent: Intent = processor.retrieve_intent(
        connect.made_on(business, payment), str(payment.processor_reference)
    )
    payable = intent.status in IntentStatus.PAYABLE and business.charges_enabled
    return payment, intent.client_secret if payable else ""


@dataclass(frozen=True)
class PayPage:
    business: Business
    customer: Customer
    payment: Payment
    client_secret: str


def for_pay_page(
    db: Database, *, secret_keys: tuple[str, ...], token: str, payment_id: str, processor: Processor
) -> PayPage:
    """The payment our secure pay page shows, from the token in its link; NotFound for a token
    that has expired, names another payment, or is not the customer's any more."""
    try:
        claims = tokens.read(secret_keys, tokens.Purpose.PAY_PAGE, token)
    except tokens.InvalidToken:
        raise NotFound("this payment link has expired") from None
    if claims.extra.get("p") != payment_id:
        raise NotFound("no such payment")
    with db.session(claims.business_id) as session:
        business = businesses.get(session, claims.business_id)
        try:
            customer = customers.for_token(session, business=business, claims=claims)
        except tokens.InvalidToken:
            raise NotFound("no such payment") from None
        payment, secret = waiting(
            session,
            business=business,
            customer=customer,
            payment_id=payment_id,
            processor=processor,
        )
    return PayPage(business, customer, payment, secret)


def pending(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    selection: Selection,
    tip: int,
    method: PaymentMethodKind,
    initiated_by: Initiator,
    save_consent_text: str = "",
    description: str = "",
) -> Payment:
    """A new pending payment and its allocations, before any processor call, on the business's
    account with the platform's fee as it stands now."""
    payment = Payment(
        business_id=business.id,
        customer_id=customer.id,
        amount=selection.amount,
        tip=tip,
        currency=business.currency,
        method=method,
        status=PaymentStatus.PENDING,
        idempotency_key=f"{initiated_by}:{customer.id}:{new_id('try')}",
        initiated_by=initiated_by,
        save_consent_text=save_consent_text,
        description=description,
        processor_account=business.processor_account,
        application_fee=fees.fee_for(business, selection.amount + tip),
    )
    session.add(payment)
    for invoice, amount in selection.allocations:
        session.add(
            PaymentAllocation(
                business_id=business.id, payment_id=payment.id, invoice_id=invoice.id, amount=amount
            )
        )
    return payment


def _allocations(session: Session, payment: Payment) -> list[tuple[str, int]]:
    rows = session.exec(
        select(PaymentAllocation.invoice_id, PaymentAllocation.amount).where(
            PaymentAllocation.payment_id == payment.id
        )
    ).all()
    return sorted((invoice_id, amount) for invoice_id, amount in rows)
