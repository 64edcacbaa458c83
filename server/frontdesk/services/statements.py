"""Monthly statements: one customer's account over one calendar month in the business's time zone,
worked out from the records themselves. Every invoice issued, late fee, payment, refund, credit
and voided invoice is one dated line that adds to what is owed (positive) or takes from it
(negative); the opening balance is every line before the month, and the closing balance is the
opening plus the month's lines, so each month closes where the next one opens. Read today, the
newest month closes at the balance the customer sees (customers.balance).

A line counts on its own day: an invoice on its issue date, a late fee on the day the business's
terms made it due, a payment when it succeeded, a refund and a credit when they were made, a void
when it was voided. A refund counts for what it takes back from invoices (a tip given back owed
nothing), and a refund the customer no longer owes comes with the credit that settles it again.

The scheduled email of last month's statement on the 1st is in services/statement_mail.py."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    CreditNote,
    Customer,
    Invoice,
    InvoiceStatus,
    LateFee,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    RefundAllocation,
)
from frontdesk.rendering import method_name
from frontdesk.services import audit
from frontdesk.services.errors import NotFound
from frontdesk.services.invoices import REFUND_COUNTS

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# How far back the portal and the dashboard list statements.
MOST_MONTHS = 36
# A moment as a day where the business is.
_Day = Callable[[datetime], date]
# Lines of one day in the order a reader expects: what was billed, then what settled it.
ORDER = {"invoice": 0, "late_fee": 1, "payment": 2, "refund": 3, "credit": 4, "void": 5}


@dataclass(frozen=True)
class Line:
    day: date
    kind: str  # invoice, late_fee, payment, refund, credit, void
    reference: str  # the invoice number(s) it concerns
    description: str
    amount: int  # minor units: positive adds to what is owed, negative takes from it


@dataclass(frozen=True)
class Statement:
    month: date  # its first day
    currency: str
    opening: int
    lines: tuple[Line, ...]

    @property
    def key(self) -> str:
        return month_key(self.month)

    @property
    def closing(self) -> int:
        return self.opening + sum(line.amount for line in self.lines)

    @property
    def ends(self) -> date:
        """The month's last day."""
        return date.fromordinal(next_month(self.month).toordinal() - 1)

    def total(self, *kinds: str) -> int:
        return sum(line.amount for line in self.lines if line.kind in kinds)

    def running(self) -> list[tuple[Line, int]]:
        """Each line with the balance after it."""
        balance, shown = self.opening, []
        for line in self.lines:
            balance += line.amount
            shown.append((line, balance))
        return shown


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def parse_month(text: str) -> date:
    """ "2026-11" as the month's first day; NotFound for anything else (it comes from links)."""
    found = MONTH.match(text)
    if found is None:
        raise NotFound("no such month")
    return date(int(found[1]), int(found[2]), 1)


def month_label(month: date, locale: str) -> str:
    """ "November 2026", in the business's language (its customer's, when one is spoken)."""
    return format_date(
        month, "LLLL y", locale=money.babel_locale(languages.formatting_locale(locale))
    )


def build(lines: Iterable[Line], month: date, currency: str) -> Statement:
    """The statement of `month` from every line of the account (the pure part)."""
    ends = next_month(month)
    every = list(lines)
    opening = sum(line.amount for line in every if line.day < month)
    shown = sorted(
        (line for line in every if month <= line.day < ends and line.amount),
        key=lambda line: (line.day, ORDER[line.kind], line.reference),
    )
    return Statement(month, currency, opening, tuple(shown))


def ledger(session: Session, *, business: Business, customer: Customer) -> list[Line]:
    """Every line of the customer's account, from the records, in no particular order."""
    zone = ZoneInfo(business.time_zone)

    def day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    issued = session.exec(
        select(Invoice).where(
            Invoice.customer_id == customer.id, Invoice.status != InvoiceStatus.DRAFT
        )
    ).all()
    numbers = {invoice.id: invoice.number for invoice in issued}
    fees = {
        fee.invoice_id: fee
        for fee in session.exec(
            select(LateFee).where(
                col(LateFee.invoice_id).in_(list(numbers)), LateFee.outcome == "added"
            )
        )
    }
    lines: list[Line] = []
    for invoice in issued:
        if invoice.status == InvoiceStatus.VOID and invoice.sent_at is None:
            continue  # a draft thrown away: the customer never owed it
        fee = fees.get(invoice.id)
        number = invoice.number
        # The fee joined the invoice's total later, on a day of its own.
        billed = invoice.total - (fee.amount if fee else 0)
        lines.append(Line(invoice.issue_date, "invoice", number, gettext("Invoice"), billed))
        if fee:
            lines.append(Line(day(fee.due_at), "late_fee", number, gettext("Late fee"), fee.amount))
        if invoice.status == InvoiceStatus.VOID:
            voided = day(invoice.voided_at) if invoice.voided_at else invoice.issue_date
            lines.append(Line(voided, "void", number, gettext("Invoice voided"), -invoice.total))
    lines += _payments(session, customer, numbers, day)
    lines += _refunds(session, customer, numbers, day)
    for note in session.exec(select(CreditNote).where(CreditNote.customer_id == customer.id)):
        number = numbers.get(note.invoice_id or "", "")
        said = note.reason or gettext("Account credit")
        lines.append(Line(day(note.created_at), "credit", number, said, -note.amount))
    return lines


def _payments(
    session: Session, customer: Customer, numbers: dict[str, str], day: _Day
) -> list[Line]:
    """Each succeeded payment for what it applied to invoices (a tip is not owed, so it is not
    paid off either)."""
    applied: dict[str, int] = defaultdict(int)
    paid_for: dict[str, list[str]] = defaultdict(list)
    found: dict[str, Payment] = {}
    for payment, invoice_id, amount in session.exec(
        select(Payment, PaymentAllocation.invoice_id, PaymentAllocation.amount)
        .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
        .where(Payment.customer_id == customer.id, Payment.status == PaymentStatus.SUCCEEDED)
    ):
        found[payment.id] = payment
        applied[payment.id] += amount
        paid_for[payment.id].append(numbers.get(invoice_id, ""))
    return [
        Line(
            day(payment.succeeded_at or payment.created_at),
            "payment",
            ", ".join(sorted(filter(None, paid_for[payment.id]))),
            gettext("Payment, %(method)s") % {"method": method_name(payment.method)},
            -applied[payment.id],
        )
        for payment in found.values()
    ]


def _refunds(
    session: Session, customer: Customer, numbers: dict[str, str], day: _Day
) -> list[Line]:
    """Each refund for what it took back from invoices."""
    taken: dict[str, int] = defaultdict(int)
    from_invoices: dict[str, list[str]] = defaultdict(list)
    found: dict[str, Refund] = {}
    for refund, invoice_id, amount in session.exec(
        select(Refund, RefundAllocation.invoice_id, RefundAllocation.amount)
        .join(RefundAllocation, col(RefundAllocation.refund_id) == Refund.id)
        .join(Payment, col(Payment.id) == Refund.payment_id)
        .where(Payment.customer_id == customer.id, col(Refund.status).in_(REFUND_COUNTS))
    ):
        found[refund.id] = refund
        taken[refund.id] += amount
        from_invoices[refund.id].append(numbers.get(invoice_id, ""))
    return [
        Line(
            day(refund.created_at),
            "refund",
            ", ".join(sorted(filter(None, from_invoices[refund.id]))),
            gettext("Refund"),
            taken[refund.id],
        )
        for refund in found.values()
    ]


def compute(session: Session, *, business: Business, customer: Customer, month: date) -> Statement:
    return build(ledger(session, business=business, customer=customer), month, business.currency)


def listed(lines: Iterable[Line], today: date) -> list[date]:
    """The months with a statement, newest first: every whole month from the one the account
    began in up to last month (at most MOST_MONTHS)."""
    first = min((line.day for line in lines), default=None)
    shown: list[date] = []
    month = previous_month(month_of(today))
    while first is not None and month >= month_of(first) and len(shown) < MOST_MONTHS:
        shown.append(month)
        month = previous_month(month)
    return shown


def history(
    session: Session, *, business: Business, customer: Customer, today: date
) -> list[Statement]:
    """Every statement `listed` offers, newest first."""
    lines = ledger(session, business=business, customer=customer)
    return [build(lines, month, business.currency) for month in listed(lines, today)]


def for_month(
    session: Session, *, business: Business, customer: Customer, month: str, today: date
) -> Statement:
    """The statement a link or a form names ("2026-11"): only a month `listed` offers."""
    wanted = parse_month(month)
    lines = ledger(session, business=business, customer=customer)
    if wanted not in listed(lines, today):
        raise NotFound("no statement for that month")
    return build(lines, wanted, business.currency)


def configure(session: Session, business: Business, emailed: bool, actor: audit.Actor) -> bool:
    """Turn the monthly email on or off; whether that changed anything."""
    if business.statements_emailed == emailed:
        return False
    business.statements_emailed = emailed
    actor.record(
        session,
        business.id,
        "settings.statements_changed",
        "business",
        business.id,
        statements_emailed=emailed,
    )
    return True
