"""What the customer and the business read about automatic payments: the portal's panel (on or
off, with which card, what is charged next, the words to agree to), and the dashboard's schedule
of upcoming charges and queue of charges that failed for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from frontdesk.models import (
    AttemptStatus,
    AutopayAttempt,
    AutopayEnrollment,
    Business,
    Customer,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
)
from frontdesk.services import invoices
from frontdesk.services.autopay.enrolment import consent_text, current, digest, eligible_cards
from frontdesk.services.autopay.schedule import CHARGE_ON, next_attempt


@dataclass(frozen=True)
class Charge:
    """An invoice automatic payments will charge: when, and how much is due on it now."""

    invoice: Invoice
    customer: Customer | None
    amount_due: int
    at: datetime
    attempt: int


@dataclass(frozen=True)
class Panel:
    offered: bool
    enrollment: AutopayEnrollment | None
    card: PaymentMethod | None
    cards: list[PaymentMethod]
    timing: str
    # The form: the card being chosen, the words for it and their hash (None: no form shown).
    choosing: PaymentMethod | None
    words: str
    shown: str
    upcoming: list[Charge]
    failed: list[Failed]


def panel(
    session: Session, *, business: Business, customer: Customer, choosing: str | None
) -> Panel:
    enrollment = current(session, customer_id=customer.id)
    cards = eligible_cards(session, business=business, customer=customer)
    card = next((m for m in cards if enrollment and m.id == enrollment.payment_method_id), None)
    chosen = None
    if choosing is not None and cards:
        chosen = next((m for m in cards if m.id == choosing), card or cards[0])
    words = consent_text(business, chosen) if chosen else ""
    return Panel(
        offered=business.autopay_enabled,
        enrollment=enrollment,
        card=card,
        cards=cards,
        timing=CHARGE_ON.get(business.autopay_charge_on, CHARGE_ON["due"]),
        choosing=chosen,
        words=words,
        shown=digest(words) if words else "",
        upcoming=upcoming(session, business=business, customer_id=customer.id)[:3],
        failed=failed(session, customer_id=customer.id),
    )


def upcoming(
    session: Session, *, business: Business, customer_id: str | None = None, limit: int = 100
) -> list[Charge]:
    """Open invoices of enrolled customers with a try still to come, soonest first."""
    query = (
        select(Invoice, AutopayEnrollment)
        .join(
            AutopayEnrollment,
            col(AutopayEnrollment.customer_id) == Invoice.customer_id,
        )
        .where(
            Invoice.status == InvoiceStatus.OPEN,
            col(AutopayEnrollment.revoked_at).is_(None),
            col(Invoice.due_date) >= AutopayEnrollment.starts_on,
        )
        .order_by(col(Invoice.due_date))
        .limit(limit)
    )
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    rows = session.exec(query).all()
    tries = _attempts(session, [invoice.id for invoice, _ in rows])
    views = {view.invoice.id: view for view in invoices.views(session, [i for i, _ in rows])}
    found = []
    for invoice, _ in rows:
        following = next_attempt(business, invoice, tries.get(invoice.id, []))
        if following is None or not business.autopay_enabled:
            continue
        view = views[invoice.id]
        if view.amount_due > 0 and not view.processing:
            customer = session.get(Customer, invoice.customer_id)
            found.append(
                Charge(invoice, customer, view.amount_due, following.due_at, following.attempt)
            )
    return sorted(found, key=lambda charge: charge.at)


@dataclass(frozen=True)
class Failed:
    """A try that was the last for its invoice (or waits for the customer's bank), with whom."""

    attempt: AutopayAttempt
    invoice: Invoice
    customer: Customer


def failed(session: Session, *, customer_id: str | None = None, limit: int = 100) -> list[Failed]:
    """The business's queue to follow up, newest first: tries that did not pay their invoice and
    will not be tried again (or wait for the customer's bank), while the invoice is still open."""
    query = (
        select(AutopayAttempt, Invoice, Customer)
        .join(Invoice, col(Invoice.id) == AutopayAttempt.invoice_id)
        .join(Customer, col(Customer.id) == AutopayAttempt.customer_id)
        .where(
            or_(
                col(AutopayAttempt.gave_up),
                col(AutopayAttempt.status) == AttemptStatus.NEEDS_ACTION,
            ),
            Invoice.status == InvoiceStatus.OPEN,
        )
        .order_by(col(AutopayAttempt.decided_at).desc())
        .limit(limit)
    )
    if customer_id is not None:
        query = query.where(AutopayAttempt.customer_id == customer_id)
    return [Failed(*row) for row in session.exec(query).all()]


def history(
    session: Session, *, customer_id: str, limit: int = 20
) -> list[tuple[AutopayAttempt, Invoice]]:
    """The customer's tries, newest first, with their invoices."""
    return list(
        session.exec(
            select(AutopayAttempt, Invoice)
            .join(Invoice, col(Invoice.id) == AutopayAttempt.invoice_id)
            .where(AutopayAttempt.customer_id == customer_id)
            .order_by(col(AutopayAttempt.decided_at).desc(), col(AutopayAttempt.attempt).desc())
            .limit(limit)
        ).all()
    )


def _attempts(session: Session, invoice_ids: list[str]) -> dict[str, list[AutopayAttempt]]:
    found: dict[str, list[AutopayAttempt]] = {}
    if invoice_ids:
        for attempt in session.exec(
            select(AutopayAttempt).where(col(AutopayAttempt.invoice_id).in_(invoice_ids))
        ).all():
            found.setdefault(attempt.invoice_id, []).append(attempt)
    return found
