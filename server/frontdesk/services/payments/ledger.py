"""The books check: the invariants that say money moved exactly once, checked against our own
rows and against what the processor reports. `frontdesk books check` runs it; so does every
process after reconciling, and the dashboard warns the owner when the last run found a problem.

Sums are worked out here from the rows themselves, not through the services that display
them, so a mistake in those services shows up as a disagreement instead of agreeing with itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from frontdesk.models import (
    BooksCheck,
    Business,
    CreditNote,
    Customer,
    Invoice,
    InvoiceEffect,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    PaymentStatus,
    PayPalCheckout,
    PayPalCheckoutStatus,
    Refund,
    RefundAllocation,
    RefundCause,
)
from frontdesk.processors import IntentStatus, Processor
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.services import customers
from frontdesk.services.invoices import REFUND_COUNTS

# A charge the processor made this recently may not have reached us yet (the webhook is on
# its way): it is reported as in flight, not as a problem.
GRACE = timedelta(minutes=15)
# What PayPal says of a capture whose payment of ours has not succeeded.
PAYPAL_STATUS = {PaymentStatus.PROCESSING: "PENDING", PaymentStatus.FAILED: "DECLINED"}
PAYPAL_OPEN = (PayPalCheckoutStatus.CREATED, PayPalCheckoutStatus.APPROVED)


@dataclass
class Report:
    business_id: str
    checked_at: datetime
    problems: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems

    def broken(self, record: str, message: str) -> None:
        self.problems.append(f"{record}: {message}")


@dataclass
class _Rows:
    payments: dict[str, Payment]
    allocations: dict[str, list[PaymentAllocation]]
    refunds: dict[str, list[Refund]]
    refund_allocations: dict[str, list[RefundAllocation]]
    invoices: list[Invoice]
    credit_notes: list[CreditNote]
    receipts: Counter[str]

    @classmethod
    def read(cls, session: Session) -> _Rows:
        payments = {p.id: p for p in session.exec(select(Payment)).all()}
        allocations: dict[str, list[PaymentAllocation]] = defaultdict(list)
        for allocation in session.exec(select(PaymentAllocation)).all():
            allocations[allocation.payment_id].append(allocation)
        refunds: dict[str, list[Refund]] = defaultdict(list)
        for refund in session.exec(select(Refund).order_by(col(Refund.created_at))).all():
            refunds[refund.payment_id].append(refund)
        refund_allocations: dict[str, list[RefundAllocation]] = defaultdict(list)
        for share in session.exec(select(RefundAllocation)).all():
            refund_allocations[share.refund_id].append(share)
        receipts = Counter(
            str(item.payload.get("payment"))
            for item in session.exec(select(OutboxItem).where(OutboxItem.kind == "receipt"))
        )
        return cls(
            payments,
            allocations,
            refunds,
            refund_allocations,
            list(session.exec(select(Invoice)).all()),
            list(session.exec(select(CreditNote)).all()),
            receipts,
        )

    def paid(self) -> dict[str, int]:
        """Per invoice: succeeded payments and credit applied, less refunds taken back."""
        paid: dict[str, int] = defaultdict(int)
        for payment_id, rows in self.allocations.items():
            if self.payments[payment_id].status == PaymentStatus.SUCCEEDED:
                for allocation in rows:
                    paid[allocation.invoice_id] += allocation.amount
        for note in self.credit_notes:
            if note.invoice_id:
                paid[note.invoice_id] += note.amount
        for refunds in self.refunds.values():
            for refund in refunds:
                if refund.status in REFUND_COUNTS:
                    for share in self.refund_allocations[refund.id]:
                        paid[share.invoice_id] -= share.amount
        return paid


def check(
    session: Session,
    *,
    business: Business,
    processor: Processor | None,
    now: datetime,
    since: datetime | None = None,
    paypal: PayPalProcessor | None = None,
) -> Report:
    """Every invariant of one business's books; `since` limits the comparison with the
    processors to payments made since then (the whole history without it)."""
    report = Report(business.id, now)
    rows = _Rows.read(session)
    _payments(rows, report)
    _refunds(rows, report)
    paid = rows.paid()
    _invoices(rows, paid, report)
    _balances(session, business, rows, paid, report)
    if processor is not None and business.processor_account:
        _processor(rows, business, processor, now, since, report)
    if paypal is not None and business.paypal_merchant_id:
        _paypal(session, rows, paypal, now, since, report)
    return report


def _payments(rows: _Rows, report: Report) -> None:
    for payment in rows.payments.values():
        report.counts["payments"] += 1
        record = f"payment {payment.id}"
        applied = sum(a.amount for a in rows.allocations[payment.id])
        if applied != payment.amount:
            # The tip is kept apart: only `amount` may ever count against invoices.
            report.broken(
                record, f"applies {applied} to invoices but its amount is {payment.amount}"
            )
        receipts = rows.receipts[payment.id]
        if payment.status == PaymentStatus.SUCCEEDED and receipts != 1:
            report.broken(record, f"succeeded with {receipts} receipts queued (one is owed)")
        if payment.status != PaymentStatus.SUCCEEDED and receipts:
            report.broken(record, f"is {payment.status} but a receipt was queued")
        refunded = sum(r.amount for r in rows.refunds[payment.id] if r.status in REFUND_COUNTS)
        if refunded and payment.status != PaymentStatus.SUCCEEDED:
            report.broken(record, f"is {payment.status} but {refunded} was refunded from it")
        if refunded > payment.charged:
            report.broken(record, f"refunded {refunded}, more than the {payment.charged} charged")
        _fee(rows, payment, refunded, report)


def _fee(rows: _Rows, payment: Payment, refunded: int, report: Report) -> None:
    """The platform's fee is part of the charge, and comes back in proportion to refunds."""
    record, fee = f"payment {payment.id}", payment.application_fee
    if not 0 <= fee <= payment.charged:
        report.broken(record, f"has a platform fee of {fee} on {payment.charged} charged")
        return
    given_back = sum(
        r.application_fee_refunded for r in rows.refunds[payment.id] if r.status in REFUND_COUNTS
    )
    owed = fee * refunded // payment.charged if payment.charged else 0
    if given_back != owed:
        report.broken(
            record,
            f"gave back {given_back} of its {fee} platform fee; {refunded} refunded makes {owed}",
        )


def _refunds(rows: _Rows, report: Report) -> None:
    invoice_ids = {invoice.id for invoice in rows.invoices}
    credit_ids = {note.id for note in rows.credit_notes}
    for payment_id, refunds in rows.refunds.items():
        applied = {a.invoice_id: a.amount for a in rows.allocations[payment_id]}
        taken: Counter[str] = Counter()
        for refund in refunds:
            report.counts["refunds"] += 1
            record = f"refund {refund.id}"
            if refund.cause in (RefundCause.STAFF, RefundCause.API) and not refund.actor:
                report.broken(record, f"asked for by {refund.cause} but nobody is recorded")
            elif refund.cause == RefundCause.DUPLICATE:
                other = refund.collided_with
                if not (
                    other in invoice_ids
                    or other in credit_ids
                    or (
                        other in rows.payments
                        and other != payment_id
                        and rows.payments[other].status == PaymentStatus.SUCCEEDED
                    )
                ):
                    report.broken(record, f"is a duplicate of {other or 'nothing recorded'}")
            elif refund.cause not in (RefundCause.STAFF, RefundCause.API):
                report.broken(record, f"has no known cause ({refund.cause!r})")
            shares = rows.refund_allocations[refund.id]
            if sum(s.amount for s in shares) > refund.amount:
                report.broken(record, "takes back more from invoices than it refunded")
            if (
                refund.cause == RefundCause.DUPLICATE
                and refund.invoice_effect != InvoiceEffect.NONE
            ):
                report.broken(record, "a duplicate's refund must leave the invoices as they are")
            if refund.status in REFUND_COUNTS:
                for share in shares:
                    taken[share.invoice_id] += share.amount
        for invoice_id, amount in taken.items():
            if amount > applied.get(invoice_id, 0):
                report.broken(
                    f"payment {payment_id}",
                    f"refunds take {amount} back from {invoice_id}, which it paid "
                    f"{applied.get(invoice_id, 0)}",
                )


def _invoices(rows: _Rows, paid: dict[str, int], report: Report) -> None:
    for invoice in rows.invoices:
        report.counts["invoices"] += 1
        record = f"invoice {invoice.number} ({invoice.id})"
        settled = paid.get(invoice.id, 0)
        if settled < 0:
            report.broken(record, f"more was refunded from it than paid ({settled})")
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID) and settled:
            report.broken(record, f"is {invoice.status} but {settled} is applied to it")
        elif invoice.status == InvoiceStatus.PAID and settled != invoice.total:
            report.broken(record, f"is paid but {settled} of {invoice.total} is applied")
        elif invoice.status == InvoiceStatus.OPEN and settled >= invoice.total:
            report.broken(record, f"is open but {settled} of {invoice.total} is applied")


def _balances(
    session: Session, business: Business, rows: _Rows, paid: dict[str, int], report: Report
) -> None:
    owed: Counter[str] = Counter()
    for invoice in rows.invoices:
        if invoice.status == InvoiceStatus.OPEN:
            owed[invoice.customer_id] += invoice.total - paid.get(invoice.id, 0)
    for note in rows.credit_notes:
        if note.invoice_id is None:
            owed[note.customer_id] -= note.amount
    everyone = list(session.exec(select(Customer)).all())
    shown = customers.balances(session, business=business, customers=everyone)
    for customer in everyone:
        report.counts["customers"] += 1
        if shown[customer.id].amount != owed[customer.id]:
            report.broken(
                f"customer {customer.id}",
                f"shows a balance of {shown[customer.id].amount} but owes {owed[customer.id]}",
            )


def _processor(
    rows: _Rows,
    business: Business,
    processor: Processor,
    now: datetime,
    since: datetime | None,
    report: Report,
) -> None:
    account = business.processor_account or ""
    # A day's margin: our row is written just before its intent, never a day before.
    listed = since - timedelta(days=1) if since else None
    charges = {
        intent.id: intent
        for intent in processor.intents(account, since=listed)
        if intent.status == IntentStatus.SUCCEEDED
        and intent.metadata.get("frontdesk_business") == business.id
    }
    ours: dict[str, list[Payment]] = defaultdict(list)
    for payment in rows.payments.values():
        # Payments made on an account the business used before are that account's business.
        if payment.processor_reference and payment.processor_account in (None, account):
            ours[payment.processor_reference].append(payment)
    for intent in charges.values():
        report.counts["charges"] += 1
        record = f"charge {intent.id}"
        settled = [p for p in ours[intent.id] if p.status == PaymentStatus.SUCCEEDED]
        if len(ours[intent.id]) > 1:
            report.broken(record, f"belongs to {len(ours[intent.id])} payments of ours")
        elif not settled:
            if intent.created and now - intent.created < GRACE:
                report.in_flight.append(intent.id)
            else:
                report.broken(
                    record, f"took {intent.amount_received} but no payment of ours has it"
                )
        elif settled[0].charged != intent.amount_received:
            report.broken(
                record,
                f"took {intent.amount_received}; payment {settled[0].id} says {settled[0].charged}",
            )
        elif settled[0].application_fee != intent.application_fee:
            report.broken(
                record,
                f"paid the platform {intent.application_fee}; payment {settled[0].id} says "
                f"{settled[0].application_fee}",
            )
    for reference, payments in ours.items():
        for payment in payments:
            recent = since is None or payment.created_at >= since
            if payment.status == PaymentStatus.SUCCEEDED and recent and reference not in charges:
                report.broken(f"payment {payment.id}", f"succeeded but {reference} took nothing")
    refunded: Counter[str] = Counter()
    for made in processor.refunds(account, since=listed):
        if made.status in ("succeeded", "pending"):
            refunded[made.intent_id] += made.amount
    for reference, payments in ours.items():
        for payment in payments:
            recorded = sum(r.amount for r in rows.refunds[payment.id] if r.status in REFUND_COUNTS)
            recent = since is None or payment.created_at >= since
            if recent and recorded != refunded[reference]:
                report.broken(
                    f"payment {payment.id}",
                    f"{recorded} refunded in our books, {refunded[reference]} at the processor",
                )


def _paypal(
    session: Session,
    rows: _Rows,
    paypal: PayPalProcessor,
    now: datetime,
    since: datetime | None,
    report: Report,
) -> None:
    """Each PayPal capture of ours as PayPal has it, and each order still open on our side that
    PayPal captured (the capture's answer and its webhook both lost: reconciliation's work)."""
    for payment in rows.payments.values():
        reference = payment.processor_reference
        if payment.method != PaymentMethodKind.PAYPAL or not reference:
            continue
        if since is not None and payment.created_at < since:
            continue
        report.counts["paypal captures"] += 1
        capture = paypal.retrieve_capture(reference)
        refunded = sum(r.amount for r in rows.refunds[payment.id] if r.status in REFUND_COUNTS)
        if payment.status != PaymentStatus.SUCCEEDED:
            wanted = PAYPAL_STATUS.get(payment.status, "")
        elif refunded:
            wanted = "REFUNDED" if refunded == payment.charged else "PARTIALLY_REFUNDED"
        else:
            wanted = "COMPLETED"
        said = f"payment {payment.id} says {payment.status}, {payment.charged}, {refunded} back"
        if (capture.status, capture.amount) == (wanted, payment.charged):
            continue
        # A pending capture PayPal decided a moment ago: its webhook is on the way.
        changed = capture.updated or capture.created
        if payment.status == PaymentStatus.PROCESSING and changed and now - changed < GRACE:
            report.in_flight.append(reference)
        else:
            report.broken(f"PayPal capture {reference}", f"is {capture.status}; {said}")
    checkouts = session.exec(
        select(PayPalCheckout).where(
            col(PayPalCheckout.status).in_(PAYPAL_OPEN), col(PayPalCheckout.order_id).is_not(None)
        )
    ).all()
    for checkout in checkouts:
        if since is not None and checkout.created_at < since:
            continue
        taken = paypal.retrieve_order(str(checkout.order_id)).capture
        if taken is None or taken.status not in ("COMPLETED", "PENDING"):
            continue
        if taken.created and now - taken.created < GRACE:
            report.in_flight.append(taken.id)
        else:
            report.broken(f"PayPal capture {taken.id}", f"of {checkout.id} is in no payment")


def record(session: Session, *, business: Business, report: Report) -> BooksCheck:
    """Keep the newest report for the dashboard; older ones are of no further use."""
    for old in session.exec(select(BooksCheck)).all():
        session.delete(old)
    row = BooksCheck(
        business_id=business.id, checked_at=report.checked_at, problems=report.problems
    )
    session.add(row)
    return row


def last(session: Session) -> BooksCheck | None:
    return session.exec(select(BooksCheck).order_by(col(BooksCheck.checked_at).desc())).first()
