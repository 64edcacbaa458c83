"""Recording payments and applying them to invoices."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy import update
from sqlmodel import Session, col, select
from stripe import RequestOptions
from stripe.params import PaymentIntentCreateParams

from frontdesk import money
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    new_id,
    utcnow,
)
from frontdesk.services import events, invoices, outbox
from frontdesk.services.errors import Invalid, NotFound


def settle(session: Session, *, business: Business, invoice: Invoice) -> None:
    """Mark an open invoice paid once succeeded payments and credit cover its total."""
    if invoice.status != InvoiceStatus.OPEN:
        return
    session.flush()
    if invoices.paid_amounts(session, [invoice.id])[invoice.id] >= invoice.total:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = utcnow()
        events.emit(
            session,
            business=business,
            type="invoice.paid",
            data={
                "invoice": invoice.id,
                "number": invoice.number,
                "external_id": invoice.external_id,
                "customer": invoice.customer_id,
                "total": invoice.total,
                "currency": invoice.currency,
            },
        )


def _failed(session: Session, *, business: Business, payment: Payment, message: str) -> None:
    """Record why a payment attempt failed, tell the business's system which invoices, and tell
    the customer when they were not there to see it (a charge by the business, a bank debit)."""
    payment.failure_message = message[:1000]
    if (
        payment.initiated_by != Initiator.CUSTOMER
        or payment.method == PaymentMethodKind.US_BANK_ACCOUNT
    ):
        customer = session.get(Customer, payment.customer_id)
        if customer is not None and customer.portal_enabled:
            amount = money.format_amount(payment.amount, payment.currency, business.locale)
            outbox.email(
                session,
                business=business,
                to=customer.email,
                subject=f"Your payment of {amount} to {business.name} did not go through",
                text=(
                    f"Hello {customer.name},\n\nYour payment of {amount} to {business.name} "
                    f"did not go through: {payment.failure_message}\n\nNothing was taken. "
                    "You can pay in your account, or reply to this email.\n"
                ),
            )
    invoice_ids = session.exec(
        select(PaymentAllocation.invoice_id).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    events.emit(
        session,
        business=business,
        type="invoice.payment_failed",
        data={
            "payment": payment.id,
            "customer": payment.customer_id,
            "invoices": list(invoice_ids),
            "amount": payment.amount,
            "currency": payment.currency,
            "message": payment.failure_message,
        },
    )


def record_succeeded(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    allocations: list[tuple[Invoice, int]],
    method: PaymentMethodKind,
    idempotency_key: str,
    processor_reference: str | None = None,
    initiated_by: Initiator = Initiator.CUSTOMER,
    tip: int = 0,
) -> Payment:
    """A succeeded payment applied to the given invoices, each settled when fully paid."""
    now = utcnow()
    payment = Payment(
        business_id=business.id,
        customer_id=customer.id,
        amount=sum(amount for _, amount in allocations),
        tip=tip,
        currency=business.currency,
        method=method,
        status=PaymentStatus.SUCCEEDED,
        processor_reference=processor_reference,
        idempotency_key=idempotency_key,
        initiated_by=initiated_by,
        succeeded_at=now,
    )
    session.add(payment)
    for invoice, amount in allocations:
        session.add(
            PaymentAllocation(
                business_id=business.id, payment_id=payment.id, invoice_id=invoice.id, amount=amount
            )
        )
    for invoice, _ in allocations:
        settle(session, business=business, invoice=invoice)
    return payment


OFFLINE_METHODS = (PaymentMethodKind.CASH, PaymentMethodKind.CHEQUE)


def record_offline(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    amount: int,
    method: PaymentMethodKind,
    reference: str,
) -> Payment:
    """Cash or a cheque the business received, applied to one invoice (never above what is due)."""
    if method not in OFFLINE_METHODS:
        raise Invalid("Choose cash or cheque.", {"method": "Choose cash or cheque."})
    _lock_customer(session, customer.id)
    session.refresh(invoice)
    due = invoices.views(session, [invoice])[0].amount_due
    if invoice.customer_id != customer.id or invoice.status != InvoiceStatus.OPEN or due == 0:
        raise Invalid("This invoice is not open for payment.")
    if not 0 < amount <= due:
        shown = money.format_amount(due, business.currency, business.locale)
        raise Invalid("Choose another amount.", {"amount": f"Enter up to {shown}."})
    payment = record_succeeded(
        session,
        business=business,
        customer=customer,
        allocations=[(invoice, amount)],
        method=method,
        idempotency_key=f"offline:{new_id('rec')}",
        initiated_by=Initiator.STAFF,
    )
    payment.description = reference[:500]
    _announce(session, business=business, payment=payment)
    return payment


def _announce(session: Session, *, business: Business, payment: Payment) -> None:
    """A succeeded payment: the customer's receipt, and the event for the business's system."""
    outbox.enqueue(session, business=business, kind="receipt", payload={"payment": payment.id})
    events.emit(
        session,
        business=business,
        type="payment.succeeded",
        data={
            "payment": payment.id,
            "amount": payment.amount,
            "tip": payment.tip,
            "currency": payment.currency,
            "method": str(payment.method),
        },
    )


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    invoice_numbers: list[str]
    refunds: list[Refund]

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == PaymentStatus.SUCCEEDED)


def history(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str | None = None,
    attempts: bool = False,
) -> list[PaymentView]:
    """The customer's payments (or one of them), newest first, with invoices paid and refunds.
    `attempts` adds the pending, failed and cancelled ones (the business sees those)."""
    query = select(Payment).where(Payment.customer_id == customer.id)
    if not attempts:
        query = query.where(
            col(Payment.status).in_([PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING])
        )
    if payment_id is not None:
        query = query.where(Payment.id == payment_id)
    rows = list(session.exec(query.order_by(col(Payment.created_at).desc())).all())
    ids = [payment.id for payment in rows]
    numbers: dict[str, list[str]] = {payment_id: [] for payment_id in ids}
    for payment_id, number in session.exec(
        select(PaymentAllocation.payment_id, col(Invoice.number))
        .join(Invoice, col(Invoice.id) == PaymentAllocation.invoice_id)
        .where(col(PaymentAllocation.payment_id).in_(ids))
        .order_by(col(Invoice.number))
    ).all():
        numbers[payment_id].append(number)
    refunds: dict[str, list[Refund]] = {payment_id: [] for payment_id in ids}
    for refund in session.exec(select(Refund).where(col(Refund.payment_id).in_(ids))).all():
        refunds[refund.payment_id].append(refund)
    return [PaymentView(p, numbers[p.id], refunds[p.id]) for p in rows]


def get_for_customer(
    session: Session, *, business: Business, customer: Customer, payment_id: str
) -> PaymentView:
    found = history(session, business=business, customer=customer, payment_id=payment_id)
    if not found:
        raise NotFound("no such payment")
    return found[0]


@dataclass(frozen=True)
class Selection:
    """What a payment settles: invoices, oldest due first, and how much goes to each."""

    allocations: list[tuple[Invoice, int]]

    @property
    def amount(self) -> int:
        return sum(amount for _, amount in self.allocations)


def choose(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    numbers: list[str] | None = None,
    partial: int | None = None,
    by_business: bool = False,
) -> Selection:
    """The amount is always the server's: the open invoices' due amounts, or a checked partial.
    The business charging a saved card may take less than is due without the portal's rules."""
    views = [
        view
        for view in invoices.open_for_customers(
            session, business=business, customer_ids=[customer.id]
        )
        # An invoice with a bank payment on its way is not offered again.
        if view.amount_due > 0
        and not view.processing
        and (numbers is None or view.invoice.number in numbers)
    ]
    if numbers is not None and len(views) != len(set(numbers)):
        raise Invalid(
            "Some of those invoices are already paid or do not exist.",
            {"invoices": "Choose open invoices."},
        )
    if not views:
        raise Invalid("There is nothing to pay right now.")
    total = sum(view.amount_due for view in views)
    if partial is None or partial == total:
        return Selection([(view.invoice, view.amount_due) for view in views])
    if not (business.allow_partial_payments or by_business):
        raise Invalid("Partial payments are not accepted.", {"amount": "Pay the full amount."})
    minimum = 1 if by_business else max(business.partial_payment_minimum, 50)
    if not minimum <= partial <= total:
        low, high = (
            money.format_amount(minimum, business.currency, business.locale),
            money.format_amount(total, business.currency, business.locale),
        )
        raise Invalid("Choose another amount.", {"amount": f"Pay between {low} and {high}."})
    shares = money.fill(partial, [view.amount_due for view in views])
    return Selection([(v.invoice, share) for v, share in zip(views, shares, strict=True) if share])


def tip_for(business: Business, amount: int, basis_points: int) -> int:
    """The tip on top of `amount`, rounded so the total is an amount the processor accepts."""
    if basis_points == 0:
        return 0
    if not business.tips_enabled or basis_points not in business.tip_basis_points:
        raise Invalid("That tip is not on offer.", {"tip": "Choose one of the tips shown."})
    total = money.chargeable(amount + money.percent_of(amount, basis_points), business.currency)
    return max(total - amount, 0)


def start(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    selection: Selection,
    tip: int,
    client: stripe.StripeClient,
    save_method: bool = False,
    saved: PaymentMethod | None = None,
) -> tuple[Payment, str]:
    """A pending payment and its PaymentIntent; returns the payment and the intent's client secret.

    With `saved` (one-click), the intent is confirmed at once with that saved method: the result
    is applied before returning, and a decline leaves a failed payment with the bank's reason.

    Starts for one customer run one at a time. Asking again for exactly the same payment (a
    double click, a second tab) returns the same PaymentIntent; a different one for some of the
    same invoices cancels the older intent first, so only one can ever be confirmed; when the
    older one was confirmed already (another tab), this start is refused.
    """
    if not business.processor_account:
        raise Invalid(f"{business.name} does not take online payments yet.")
    _lock_customer(session, customer.id)
    invoice_ids = [invoice.id for invoice, _ in selection.allocations]
    # The selection was made before the lock; a payment may have settled since.
    paid = invoices.paid_amounts(session, invoice_ids)
    if any(amount > invoice.total - paid[invoice.id] for invoice, amount in selection.allocations):
        raise Invalid("This was paid a moment ago; there is nothing more to pay for it.")
    stale = session.exec(
        select(Payment)
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(
            col(PaymentAllocation.invoice_id).in_(invoice_ids),
            Payment.status == PaymentStatus.PENDING,
            Payment.initiated_by == Initiator.CUSTOMER,
        )
    ).all()
    wanted = sorted((invoice.id, amount) for invoice, amount in selection.allocations)
    consent = SAVE_CONSENT.format(business=business.name) if save_method else ""
    for old in {p.id: p for p in stale}.values():
        same = (
            saved is None
            and old.processor_reference
            and (old.amount, old.tip, old.save_consent_text) == (selection.amount, tip, consent)
            and _allocations(session, old) == wanted
        )
        if same:
            intent = client.v1.payment_intents.retrieve(
                str(old.processor_reference), options={"stripe_account": business.processor_account}
            )
            if intent.status in (
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
            ):
                return old, str(intent.client_secret)
        if old.processor_reference:
            try:
                client.v1.payment_intents.cancel(
                    old.processor_reference,
                    options={
                        "stripe_account": business.processor_account,
                        "idempotency_key": f"{old.id}:cancel",
                    },
                )
            except stripe.InvalidRequestError:
                moved_on = client.v1.payment_intents.retrieve(
                    old.processor_reference, options={"stripe_account": business.processor_account}
                )
                if moved_on.status != "canceled":
                    # Paid (or being paid) in another tab a moment ago; its webhook records it.
                    # Starting another intent here is how an invoice gets charged twice.
                    raise Invalid(
                        "A payment for this is already going through. It will show here in a "
                        "moment; nothing more is needed."
                    ) from None
        old.status = PaymentStatus.CANCELED
    payment = _pending(
        session,
        business=business,
        customer=customer,
        selection=selection,
        tip=tip,
        method=PaymentMethodKind.CARD,
        initiated_by=Initiator.CUSTOMER,
        save_consent_text=consent,
    )
    account = business.processor_account
    params: PaymentIntentCreateParams = {
        "amount": payment.amount + payment.tip,
        "currency": business.currency.lower(),
        "customer": processor_customer(business=business, customer=customer, client=client),
        "automatic_payment_methods": {"enabled": True},
        "metadata": {"frontdesk_payment": payment.id, "frontdesk_business": business.id},
    }
    if save_method:
        params["setup_future_usage"] = "off_session"
    if saved is not None:
        params["payment_method"] = saved.processor_id
        params["confirm"] = True
    try:
        intent = client.v1.payment_intents.create(
            params=params,
            # Derived from our own row: a retried request can never create a second intent.
            options={"stripe_account": account, "idempotency_key": f"{payment.id}:intent"},
        )
    except stripe.CardError as declined:
        payment.status = PaymentStatus.FAILED
        message = declined.user_message or "The card was declined."
        _failed(session, business=business, payment=payment, message=message)
        failed = declined.error.payment_intent if declined.error else None
        payment.processor_reference = failed.id if failed else None
        return payment, ""
    payment.processor_reference = intent.id
    if saved is not None:
        payment.method = saved.kind
        apply_intent(session, business=business, intent=intent.to_dict(), client=client)
    return payment, str(intent.client_secret)


def processor_customer(
    *, business: Business, customer: Customer, client: stripe.StripeClient
) -> str:
    """The customer's id on the business's connected account, created the first time."""
    if not customer.processor_customer_id:
        created = client.v1.customers.create(
            params={
                "email": customer.email,
                "name": customer.name,
                "metadata": {"frontdesk_customer": customer.id},
            },
            options={
                "stripe_account": business.processor_account or "",
                "idempotency_key": f"{customer.id}:customer",
            },
        )
        customer.processor_customer_id = created.id
    return customer.processor_customer_id


SAVE_CONSENT = (
    "I authorise {business} to save this card and to charge it for future payments on my "
    "account. I can remove it at any time in this portal."
)


def saved_methods(
    session: Session, *, business: Business, customer: Customer
) -> list[PaymentMethod]:
    return list(
        session.exec(
            select(PaymentMethod)
            .where(
                PaymentMethod.customer_id == customer.id, col(PaymentMethod.removed_at).is_(None)
            )
            .order_by(col(PaymentMethod.is_default).desc(), col(PaymentMethod.created_at))
        ).all()
    )


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
    client: stripe.StripeClient,
) -> None:
    method = saved_method(session, business=business, customer=customer, method_id=method_id)
    # Already gone at the processor? Then forgetting it here is all that is left to do.
    with contextlib.suppress(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(
            method.processor_id,
            options={
                "stripe_account": business.processor_account or "",
                "idempotency_key": f"{method.id}:detach",
            },
        )
    method.removed_at, method.is_default = utcnow(), False
    remaining = saved_methods(session, business=business, customer=customer)
    if remaining and not any(m.is_default for m in remaining):
        remaining[0].is_default = True


def _pending(
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
    """A new pending payment and its allocations, before any processor call."""
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
    )
    session.add(payment)
    for invoice, amount in selection.allocations:
        session.add(
            PaymentAllocation(
                business_id=business.id, payment_id=payment.id, invoice_id=invoice.id, amount=amount
            )
        )
    return payment


def _lock_customer(session: Session, customer_id: str) -> None:
    """A no-op write on the customer's row: a lock on PostgreSQL and SQLite alike, held until
    commit, so one customer's payments start and settle one at a time."""
    session.execute(
        update(Customer)
        .where(col(Customer.id) == customer_id)
        .values(link_version=Customer.link_version)
        .execution_options(synchronize_session=False)
    )


def _allocations(session: Session, payment: Payment) -> list[tuple[str, int]]:
    rows = session.exec(
        select(PaymentAllocation.invoice_id, PaymentAllocation.amount).where(
            PaymentAllocation.payment_id == payment.id
        )
    ).all()
    return sorted((invoice_id, amount) for invoice_id, amount in rows)


class Refused(Exception):
    """A processor event that does not match our records; it is logged and not applied."""


def apply_intent(
    session: Session, *, business: Business, intent: dict[str, Any], client: stripe.StripeClient
) -> Payment:
    """Bring our payment up to the PaymentIntent's state, forward only: a late failure never
    un-pays an invoice, and a second success for invoices already paid is refunded."""
    payment = session.exec(
        select(Payment).where(Payment.processor_reference == intent["id"])
    ).first()
    if payment is None:
        raise Refused(f"no payment of {business.id} has intent {intent['id']}")
    metadata = intent.get("metadata") or {}
    if (
        metadata.get("frontdesk_business") != business.id
        or metadata.get("frontdesk_payment") != payment.id
        or str(intent.get("currency", "")).upper() != payment.currency
        or int(intent.get("amount", -1)) != payment.amount + payment.tip
    ):
        raise Refused(f"intent {intent['id']} does not match payment {payment.id}")
    status = intent.get("status")
    if payment.status == PaymentStatus.SUCCEEDED:
        return payment
    if status == "succeeded":
        _succeed(
            session,
            business=business,
            payment=payment,
            client=client,
            intent_method=intent.get("payment_method"),
        )
    elif status == "processing" and payment.status == PaymentStatus.PENDING:
        payment.status, payment.method = PaymentStatus.PROCESSING, PaymentMethodKind.US_BANK_ACCOUNT
    elif status == "requires_payment_method" and intent.get("last_payment_error"):
        message = str(intent["last_payment_error"].get("message", ""))
        if payment.status == PaymentStatus.PROCESSING:
            # A bank debit that bounced: this attempt is over.
            payment.status = PaymentStatus.FAILED
            _failed(session, business=business, payment=payment, message=message)
        elif payment.status == PaymentStatus.PENDING and payment.failure_message != message[:1000]:
            # A declined card: the same intent can still be paid with another one.
            _failed(session, business=business, payment=payment, message=message)
    elif status == "canceled" and payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.CANCELED
    return payment


def _succeed(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    client: stripe.StripeClient,
    intent_method: str | None = None,
) -> None:
    # Two successes for one invoice (a customer paying while the business charges) settle in turn:
    # the second finds the invoice paid and is refunded below.
    _lock_customer(session, payment.customer_id)
    allocations = session.exec(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id)
    ).all()
    targets = [
        invoices.get(session, business=business, invoice_id=a.invoice_id) for a in allocations
    ]
    for invoice in targets:
        session.refresh(invoice)  # read again under the lock, not from earlier in this session
    payment.status, payment.succeeded_at = PaymentStatus.SUCCEEDED, utcnow()
    if any(invoice.status != InvoiceStatus.OPEN for invoice in targets):
        # Those invoices were settled meanwhile (another tab, a staff charge): give this back.
        for allocation in allocations:
            session.delete(allocation)
        refund = client.v1.refunds.create(
            params={"payment_intent": str(payment.processor_reference)},
            options={
                "stripe_account": business.processor_account or "",
                "idempotency_key": f"{payment.id}:duplicate-refund",
            },
        )
        session.add(
            Refund(
                business_id=business.id,
                payment_id=payment.id,
                amount=refund.amount,
                currency=payment.currency,
                status=PaymentStatus.SUCCEEDED,
                reason="Paid twice: the invoices were already settled",
                processor_reference=refund.id,
                idempotency_key=f"{payment.id}:duplicate-refund",
            )
        )
        return
    for invoice in targets:
        settle(session, business=business, invoice=invoice)
    _announce(session, business=business, payment=payment)
    if payment.save_consent_text and intent_method:
        save_method(
            session,
            business=business,
            customer_id=payment.customer_id,
            method_id=intent_method,
            consent_text=payment.save_consent_text,
            consented_at=payment.created_at,
            client=client,
        )


def save_method(
    session: Session,
    *,
    business: Business,
    customer_id: str,
    method_id: str,
    consent_text: str,
    consented_at: datetime,
    client: stripe.StripeClient,
) -> PaymentMethod | None:
    """Keep a card the customer agreed to save (once per processor id), default if first."""
    # The webhook and the customer's browser both report a saved card, often at the same moment:
    # under the customer's lock the second one finds the card kept and stops.
    _lock_customer(session, customer_id)
    if session.exec(select(PaymentMethod).where(PaymentMethod.processor_id == method_id)).first():
        return None
    found = client.v1.payment_methods.retrieve(
        method_id, options={"stripe_account": business.processor_account or ""}
    )
    card = found.card
    has_default = session.exec(
        select(PaymentMethod.id).where(
            PaymentMethod.customer_id == customer_id,
            PaymentMethod.is_default == True,  # noqa: E712
            col(PaymentMethod.removed_at).is_(None),
        )
    ).first()
    method = PaymentMethod(
        business_id=business.id,
        customer_id=customer_id,
        processor_id=method_id,
        kind=PaymentMethodKind.CARD,
        brand=card.brand if card else "",
        last4=card.last4 if card else "",
        exp_month=card.exp_month if card else None,
        exp_year=card.exp_year if card else None,
        is_default=not has_default,
        consent_text=consent_text,
        consented_at=consented_at,
    )
    session.add(method)
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


def refund(
    session: Session,
    *,
    business: Business,
    payment: Payment,
    amount: int | None,
    reason: str,
    client: stripe.StripeClient,
) -> Refund:
    """A full (amount None) or partial refund, never more than what is left of the payment."""
    if payment.status != PaymentStatus.SUCCEEDED or not payment.processor_reference:
        raise Invalid("Only a completed card or bank payment can be refunded.")
    earlier = session.exec(
        select(Refund).where(
            Refund.payment_id == payment.id, Refund.status == PaymentStatus.SUCCEEDED
        )
    ).all()
    left = payment.amount + payment.tip - sum(r.amount for r in earlier)
    wanted = left if amount is None else amount
    if not 0 < wanted <= left:
        shown = money.format_amount(left, payment.currency, business.locale)
        raise Invalid("Choose another amount.", {"amount": f"Refund between 0.01 and {shown}."})
    key = f"{payment.id}:refund:{len(earlier) + 1}"
    made = client.v1.refunds.create(
        params={"payment_intent": payment.processor_reference, "amount": wanted},
        options={"stripe_account": business.processor_account or "", "idempotency_key": key},
    )
    row = Refund(
        business_id=business.id,
        payment_id=payment.id,
        amount=made.amount,
        currency=payment.currency,
        status=PaymentStatus.SUCCEEDED if made.status == "succeeded" else PaymentStatus.PENDING,
        reason=reason,
        processor_reference=made.id,
        idempotency_key=key,
    )
    session.add(row)
    events.emit(
        session,
        business=business,
        type="payment.refunded",
        data={
            "payment": payment.id,
            "refund": row.id,
            "amount": row.amount,
            "currency": row.currency,
        },
    )
    return row


@dataclass(frozen=True)
class OffSessionCharge:
    payment: Payment
    # The bank wants the customer to authenticate; they have been emailed a link back to it.
    needs_customer: bool


def charge_saved(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    method: PaymentMethod,
    selection: Selection,
    initiated_by: Initiator,
    client: stripe.StripeClient,
    link_for: Callable[[Payment], str],
    description: str = "",
) -> OffSessionCharge:
    """Charge a saved card while the customer is away (the business's dashboard or API).

    Only cards saved with the customer's consent qualify. When the bank wants the customer to
    authenticate, the same PaymentIntent waits for them: `needs_customer` says to email a link.
    """
    if method.customer_id != customer.id or method.removed_at is not None:
        raise NotFound("no such payment method")
    if not method.consent_text:
        raise Invalid("This card was not saved for charges made without the customer.")
    if not business.processor_account:
        raise Invalid(f"{business.name} does not take online payments yet.")
    payment = _pending(
        session,
        business=business,
        customer=customer,
        selection=selection,
        tip=0,
        method=method.kind,
        initiated_by=initiated_by,
        description=description,
    )
    params: PaymentIntentCreateParams = {
        "amount": payment.amount,
        "currency": business.currency.lower(),
        "customer": customer.processor_customer_id or "",
        "payment_method": method.processor_id,
        "off_session": True,
        "confirm": True,
        "metadata": {"frontdesk_payment": payment.id, "frontdesk_business": business.id},
    }
    options: RequestOptions = {
        "stripe_account": business.processor_account,
        "idempotency_key": f"{payment.id}:intent",
    }
    try:
        intent = client.v1.payment_intents.create(params=params, options=options)
    except stripe.CardError as declined:
        failed = declined.error.payment_intent if declined.error else None
        payment.processor_reference = failed.id if failed else None
        if declined.code == "authentication_required" and failed is not None:
            payment.failure_message = "Waiting for the customer to confirm with their bank."
            ask_customer_to_authenticate(
                session,
                business=business,
                customer=customer,
                payment=payment,
                link=link_for(payment),
            )
            return OffSessionCharge(payment, needs_customer=True)
        payment.status = PaymentStatus.FAILED
        message = declined.user_message or "The card was declined."
        _failed(session, business=business, payment=payment, message=message)
        return OffSessionCharge(payment, needs_customer=False)
    payment.processor_reference = intent.id
    apply_intent(session, business=business, intent=intent.to_dict(), client=client)
    return OffSessionCharge(payment, needs_customer=False)


def complete_on_session(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    payment_id: str,
    client: stripe.StripeClient,
) -> tuple[Payment, str]:
    """The customer is back (from the emailed link): confirm the same PaymentIntent again, now
    on-session, so their bank can ask them to authenticate. Never a second intent."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.customer_id != customer.id or not payment.processor_reference:
        raise NotFound("no such payment")
    if payment.status != PaymentStatus.PENDING:
        return payment, ""
    account = business.processor_account or ""
    intent = client.v1.payment_intents.retrieve(
        payment.processor_reference, options={"stripe_account": account}
    )
    if intent.status == "requires_payment_method":
        method = intent.payment_method if isinstance(intent.payment_method, str) else None
        try:
            intent = client.v1.payment_intents.confirm(
                payment.processor_reference,
                params={"payment_method": method} if method else {},
                options={"stripe_account": account, "idempotency_key": f"{payment.id}:on-session"},
            )
        except stripe.CardError as declined:
            payment.status = PaymentStatus.FAILED
            message = declined.user_message or "The card was declined."
            _failed(session, business=business, payment=payment, message=message)
            return payment, ""
    apply_intent(session, business=business, intent=intent.to_dict(), client=client)
    return payment, str(intent.client_secret)


def ask_customer_to_authenticate(
    session: Session, *, business: Business, customer: Customer, payment: Payment, link: str
) -> None:
    amount = money.format_amount(payment.amount, payment.currency, business.locale)
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=f"Please confirm your payment of {amount} to {business.name}",
        text=(
            f"Hello {customer.name},\n\n{business.name} tried to charge {amount} to your saved "
            "card, and your bank asked to confirm it's you. Open this link to confirm:\n\n"
            f"{link}\n\n"
            "Nothing has been charged yet."
        ),
    )
