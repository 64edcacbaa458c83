"""The scheduler's automatic payments: every enrolled invoice whose try has fallen due is charged
once, in two steps so that no crash can charge twice or lose a charge.

1. Under the customer's lock, after reading again: credit first, then a pending payment and the
   try (`charging`) are committed, before the processor hears of it.
2. Under the lock again: the processor is asked with the payment's own idempotency key, and the
   answer decides the try. A crash between the steps, or during the second, leaves a `charging`
   try that the next run resumes with the same key: the processor answers with the charge it
   made, or makes it now. The (invoice, attempt) key is the wall behind the lock.

Soft declines are tried again on the business's retry days; a hard decline, a removed card or the
last soft decline stops, tells the customer with a link to pay or change their card, and puts the
invoice in the business's failed-charge queue (webhook `autopay.failed`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.models import (
    AttemptStatus,
    AutopayAttempt,
    AutopayEnrollment,
    Business,
    CreditNote,
    Customer,
    Initiator,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from frontdesk.models.autopay import FINAL
from frontdesk.processors import Intent, Processor
from frontdesk.services import audit, customers, invoices
from frontdesk.services.autopay import enrolment, failures
from frontdesk.services.autopay.schedule import last_try, next_attempt
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.services.payments import apply, intents, off_session
from frontdesk.services.payments.selection import Selection

log = logging.getLogger("frontdesk.jobs")
SYSTEM = audit.Actor(Initiator.SYSTEM, "autopay")
# A try found this long after it fell due (the server was away) is not made: a charge weeks late
# surprises more than it helps. It is recorded, and the invoice waits for the customer.
LATE = timedelta(days=7)
# Declines that will not change by trying again (Stripe's list for its own retries, in short).
HARD = {
    "expired_card",
    "incorrect_number",
    "invalid_account",
    "lost_card",
    "stolen_card",
    "pickup_card",
    "fraudulent",
    "restricted_card",
    "revocation_of_authorization",
    "revocation_of_all_authorizations",
    "do_not_try_again",
    "security_violation",
    "stop_payment_order",
    "transaction_not_allowed",
    "payment_method_missing",
    "card_removed",
}


def due(db: Database, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """(business, invoice) ids of open invoices of enrolled customers that may have a try due:
    charged on a day up to tomorrow (zones differ), and not finished with."""
    tomorrow = (now + timedelta(days=1)).date()
    on_issue = col(Business.autopay_charge_on) == "issue"
    finished = exists().where(
        col(AutopayAttempt.invoice_id) == Invoice.id,
        or_(col(AutopayAttempt.status).in_(FINAL), col(AutopayAttempt.gave_up)),
    )
    with db.unscoped("automatic payments look for invoices due across businesses") as session:
        rows = session.exec(
            select(Invoice.business_id, Invoice.id)
            .join(Business, col(Business.id) == Invoice.business_id)
            .join(
                AutopayEnrollment,
                and_(
                    col(AutopayEnrollment.customer_id) == Invoice.customer_id,
                    col(AutopayEnrollment.revoked_at).is_(None),
                    col(Invoice.due_date) >= AutopayEnrollment.starts_on,
                ),
            )
            .where(
                Invoice.status == InvoiceStatus.OPEN,
                col(Business.autopay_enabled),
                or_(
                    and_(on_issue, col(Invoice.issue_date) <= tomorrow),
                    and_(~on_issue, col(Invoice.due_date) <= tomorrow),
                ),
                ~finished,
            )
            .order_by(col(Invoice.due_date), col(Invoice.id))
            .limit(limit)
        ).all()
        # A try left `charging` by a crash is resumed whatever became of its invoice since.
        cut_short = session.exec(
            select(AutopayAttempt.business_id, AutopayAttempt.invoice_id).where(
                AutopayAttempt.status == AttemptStatus.CHARGING
            )
        ).all()
    found = [(business_id, invoice_id) for business_id, invoice_id in [*cut_short, *rows]]
    return list(dict.fromkeys(found))


def charge_due(db: Database, links: Links, processor: Processor, now: datetime) -> int:
    """Every try due now, each in its two transactions; how many were decided."""
    decided = 0
    for business_id, invoice_id in due(db, now):
        try:
            with db.session(business_id) as session:
                attempt = begin(session, invoice_id, processor, links, now)
            if attempt is None:
                continue
            with db.session(business_id) as session:
                decided += finish(session, invoice_id, attempt, processor, links, now)
        except DatabaseUnavailable:
            raise
        except Exception:
            # The processor away, say: the try stays `charging` and is resumed next minute.
            log.exception("automatic payment of %s failed; trying again next minute", invoice_id)
    return decided


def _attempts(session: Session, invoice_id: str) -> list[AutopayAttempt]:
    return list(
        session.exec(select(AutopayAttempt).where(AutopayAttempt.invoice_id == invoice_id)).all()
    )


def _worth_locking(session: Session, invoice: Invoice, now: datetime) -> bool:
    """Whether a try is due or cut short, read without the lock: an invoice waiting for its retry
    day is looked at every minute, and most minutes there is nothing to decide."""
    attempts = _attempts(session, invoice.id)
    if any(attempt.status == AttemptStatus.CHARGING for attempt in attempts):
        return True
    business = session.get(Business, invoice.business_id)
    assert business is not None
    upcoming = next_attempt(business, invoice, attempts)
    return upcoming is not None and upcoming.due_at <= now


def begin(
    session: Session, invoice_id: str, processor: Processor, links: Links, now: datetime
) -> int | None:
    """Step 1: the number of the try to charge now (committed as `charging` with its pending
    payment), or None when there is nothing to charge (not due, done by another runner, settled
    from credit, skipped)."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or not _worth_locking(session, invoice, now):
        return None
    customers.lock(session, invoice.customer_id)
    session.refresh(invoice)
    attempts = _attempts(session, invoice.id)
    cut_short = [a.attempt for a in attempts if a.status == AttemptStatus.CHARGING]
    if cut_short:
        return cut_short[0]  # step 2 resumes it, whatever became of the invoice since
    business = session.get(Business, invoice.business_id)
    customer = session.get(Customer, invoice.customer_id)
    assert business is not None and customer is not None
    enrollment = enrolment.current(session, customer_id=customer.id)
    if enrollment is None or not business.autopay_enabled or invoice.status != InvoiceStatus.OPEN:
        return None
    if invoice.due_date < enrollment.starts_on:
        return None
    upcoming = next_attempt(business, invoice, attempts)
    if upcoming is None or upcoming.due_at > now:
        return None
    view = invoices.views(session, [invoice])[0]
    if view.processing:
        return None  # a bank payment is on its way; it settles the invoice or fails first
    attempt = AutopayAttempt(
        business_id=business.id,
        invoice_id=invoice.id,
        attempt=upcoming.attempt,
        enrollment_id=enrollment.id,
        customer_id=customer.id,
        due_at=upcoming.due_at,
        decided_at=now,
    )
    if now - upcoming.due_at > LATE:
        _decide(session, attempt, AttemptStatus.SKIPPED, "late", "Found long after it fell due.")
        return None
    remaining = view.amount_due - _use_credit(session, business, customer, invoice, view.amount_due)
    if remaining <= 0:
        invoices.settle(session, business=business, invoice=invoice)
        _decide(session, attempt, AttemptStatus.CREDITED, "", "Paid from the account's credit.")
        return None
    method = session.get(PaymentMethod, enrollment.payment_method_id)
    assert method is not None
    attempt.amount = remaining
    if method.removed_at is not None:
        _decide(session, attempt, AttemptStatus.HARD_FAILED, "card_removed", "card removed")
        failures.gave_up(session, business, customer, invoice, attempt, enrollment, links, now)
        return None
    try:
        payment = off_session.pending(
            session,
            business=business,
            customer=customer,
            method=method,
            selection=Selection([(invoice, remaining)]),
            initiated_by=Initiator.SYSTEM,
            processor=processor,
            description=f"Automatic payment of invoice {invoice.number}",
        )
    except Invalid:
        return None  # the customer's own payment is going through; it settles the invoice
    session.flush()  # the payment's row before the try that names it
    attempt.payment_id = payment.id
    session.add(attempt)
    session.flush()  # the (invoice, attempt) key: a second runner stops here
    return attempt.attempt


def finish(
    session: Session,
    invoice_id: str,
    number: int,
    processor: Processor,
    links: Links,
    now: datetime,
) -> int:
    """Step 2: charge the try's pending payment (or find the charge a crashed run made) and
    decide the try by the answer. 1 when decided here, 0 when another runner had."""
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    customers.lock(session, invoice.customer_id)
    attempt = session.get(AutopayAttempt, (invoice_id, number))
    assert attempt is not None and attempt.payment_id is not None
    session.refresh(attempt)
    if attempt.status != AttemptStatus.CHARGING:
        return 0
    payment = session.get(Payment, attempt.payment_id)
    business = session.get(Business, attempt.business_id)
    customer = session.get(Customer, attempt.customer_id)
    enrollment = session.get(AutopayEnrollment, attempt.enrollment_id)
    assert payment and business and customer and enrollment
    session.refresh(invoice)
    session.refresh(payment)
    method = session.get(PaymentMethod, enrollment.payment_method_id)
    assert method is not None
    try:
        intents.still_due(session, Selection([(invoice, attempt.amount)]))
    except Invalid:
        # Paid meanwhile. If a crashed run had charged already, that charge is applied (and
        # what it paid twice goes back to the customer, the duplicate rule); else none is made.
        made = _made_before(processor, business, payment, attempt)
        if made is None:
            payment.status = PaymentStatus.CANCELED
            _decide(session, attempt, AttemptStatus.SKIPPED, "paid", "Paid before it was charged.")
            return 1
        payment.processor_reference = made.id
        apply.apply_intent(session, business=business, intent=made, processor=processor)
        _decide(session, attempt, AttemptStatus.SUCCEEDED, "", "")
        return 1
    charged = off_session.charge_pending(
        session,
        business=business,
        customer=customer,
        method=method,
        payment=payment,
        processor=processor,
        links=links,
    )
    _conclude(session, business, customer, invoice, attempt, enrollment, charged, links, now)
    return 1


def _made_before(
    processor: Processor, business: Business, payment: Payment, attempt: AutopayAttempt
) -> Intent | None:
    since = attempt.created_at - timedelta(minutes=5)
    for intent in processor.intents(intents.account(business), since=since):
        if intent.metadata.get("frontdesk_payment") == payment.id:
            return intent
    return None


def _conclude(
    session: Session,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    attempt: AutopayAttempt,
    enrollment: AutopayEnrollment,
    charged: off_session.OffSessionCharge,
    links: Links,
    now: datetime,
) -> None:
    payment = charged.payment
    why = payment.failure_message
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING):
        _decide(session, attempt, AttemptStatus.SUCCEEDED, "", "")
    elif charged.needs_customer:
        # The customer was emailed the link to confirm with their bank (the same intent waits).
        _decide(session, attempt, AttemptStatus.NEEDS_ACTION, "authentication_required", "")
    elif charged.declined in HARD:
        _decide(session, attempt, AttemptStatus.HARD_FAILED, charged.declined, why)
        failures.gave_up(session, business, customer, invoice, attempt, enrollment, links, now)
    else:
        _decide(session, attempt, AttemptStatus.SOFT_FAILED, charged.declined, why)
        if last_try(business, attempt.attempt):
            failures.gave_up(session, business, customer, invoice, attempt, enrollment, links, now)
        else:
            failures.will_retry(session, business, customer, invoice, attempt, links)
    SYSTEM.record(
        session,
        business.id,
        "autopay.attempted",
        "customer",
        customer.id,
        invoice=invoice.number,
        attempt=attempt.attempt,
        status=str(attempt.status),
        code=attempt.code,
    )


def _decide(
    session: Session, attempt: AutopayAttempt, status: AttemptStatus, code: str, message: str
) -> None:
    attempt.status, attempt.code, attempt.message = status, code[:60], message[:500]
    session.add(attempt)
    session.flush()


def _use_credit(
    session: Session, business: Business, customer: Customer, invoice: Invoice, due: int
) -> int:
    """Credit on the account pays first: moved onto the invoice as applied credit. How much."""
    held = customers.balance(session, business=business, customer=customer).credit
    used = min(held, due)
    if used <= 0:
        return 0
    for invoice_id, amount, reason in (
        (invoice.id, used, "Account credit used by automatic payment"),
        (None, -used, f"Used on invoice {invoice.number} by automatic payment"),
    ):
        session.add(
            CreditNote(
                business_id=business.id,
                customer_id=customer.id,
                invoice_id=invoice_id,
                amount=amount,
                currency=invoice.currency,
                reason=reason,
            )
        )
    session.flush()
    return used
