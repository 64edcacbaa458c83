"""Late fees: the business's terms (off unless it says so; a fixed amount or a percentage of what
is still due, N days after the due date) and the scheduler's work of adding them, once per
invoice, as a "Late fee" line on the open invoice with a notice to the customer.

Each invoice is decided in its own transaction under its customer's lock, the lock every payment
takes, so a fee is never added across a payment being applied; the late_fee row (keyed by the
invoice) is written with the line and is the wall against a second fee. A fee found long after
it fell due (the server was away) is still added, since the business's terms make it owed, but
without its email. Accounts with a paused subscription get none: that decision is recorded too,
so it is not made again when the pause ends. Disputes are not modelled in Frontdesk yet, so
there is no dispute rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.db import Database
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LateFee,
    Subscription,
    SubscriptionStatus,
)
from frontdesk.services import audit, customers, events, invoices, outbox
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Invalid
from frontdesk.services.inputs import sentence
from frontdesk.services.links import Links

# When a fee falls due in the business's own day: in working hours, when someone can answer.
FALLS_DUE_AT = time(10, 0)
# A fee added later than this after it fell due is added without its notice email.
CATCH_UP = timedelta(days=3)
LINE = "Late fee"
MAX_DAYS = 365
SYSTEM = audit.Actor(Initiator.SYSTEM, "scheduler")
FIXED, PERCENT = "fixed", "percent"


@dataclass(frozen=True)
class LateFeeSettings:
    """The settings form as typed: the amount as money, the percentage as a number."""

    enabled: bool
    kind: str  # fixed, percent
    amount: str = ""
    percent: str = ""
    days: str = "15"


def configure(
    session: Session, business: Business, wanted: LateFeeSettings, actor: audit.Actor
) -> list[str]:
    """Apply the late-fee terms; every mistake is reported by field and nothing is saved until
    all is well. Returns what changed. Fees already added stay as they are."""
    errors: dict[str, str] = {}
    if wanted.kind not in (FIXED, PERCENT):
        errors["late_fee_kind"] = "Choose a fixed amount or a percentage."
    try:
        days = int(wanted.days.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        errors["late_fee_days"] = f"Enter a whole number of days from 1 to {MAX_DAYS}."
    fixed = basis_points = 0
    if wanted.kind == FIXED:
        fixed = _amount(wanted.amount, business.currency, errors)
    elif wanted.kind == PERCENT:
        basis_points = _percent(wanted.percent, errors)
    if wanted.enabled and not errors and not (fixed or basis_points):
        field = "late_fee_amount" if wanted.kind == FIXED else "late_fee_percent"
        errors[field] = "Enter a fee above 0, or turn late fees off."
    if errors:
        raise Invalid("The late fee needs fixing.", errors)
    values = {
        "late_fee_enabled": wanted.enabled,
        "late_fee_fixed": fixed,
        "late_fee_basis_points": basis_points,
        "late_fee_days": days,
    }
    changed = audit.assign(business, values)
    if changed:
        actor.record(
            session, business.id, "settings.late_fee_changed", "business", business.id, **values
        )
    return changed


def _amount(typed: str, currency: str, errors: dict[str, str]) -> int:
    try:
        return money.parse(typed or "0", currency)
    except money.MoneyError as exc:
        errors["late_fee_amount"] = sentence(str(exc))
        return 0


def _percent(typed: str, errors: dict[str, str]) -> int:
    """Basis points from "1.5" or "1.5 %"; at most two decimals, above 0 and up to 100."""
    try:
        value = Decimal(typed.replace("%", "").strip() or "0") * 100
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value != value.to_integral_value() or not 0 <= value <= 10_000:
        errors["late_fee_percent"] = "Enter a percentage from 0 to 100, like 1.5."
        return 0
    return int(value)


def fee(business: Business, amount_due: int) -> int:
    """The fee the business's terms put on an invoice with `amount_due` still to pay, in minor
    units; a percentage is rounded half-up."""
    if business.late_fee_basis_points:
        return money.percent_of(max(amount_due, 0), business.late_fee_basis_points)
    return business.late_fee_fixed


def falls_due(due_date: date, days: int, time_zone: str) -> datetime:
    """The instant (UTC) the fee on an invoice due on `due_date` falls due: FALLS_DUE_AT where
    the business is, `days` days after the due date."""
    local = datetime.combine(due_date + timedelta(days=days), FALLS_DUE_AT, ZoneInfo(time_zone))
    return local.astimezone(UTC)


def _latest_due_date(now: datetime, days: int, time_zone: str) -> date:
    """The latest due date whose fee has fallen due by `now`."""
    day = now.astimezone(ZoneInfo(time_zone)).date() - timedelta(days=days)
    return day if falls_due(day, days, time_zone) <= now else day - timedelta(days=1)


def due(db: Database, now: datetime, limit: int = 200) -> list[tuple[str, str]]:
    """(business, invoice) ids of open invoices whose fee has fallen due by `now` and was not
    decided yet, the longest overdue first."""
    with db.unscoped("the scheduler looks for late fees due across businesses") as session:
        terms = session.exec(
            select(Business.id, Business.time_zone, Business.late_fee_days).where(
                col(Business.late_fee_enabled).is_(True)
            )
        ).all()
        # Businesses sharing a zone and a number of days share a cutoff: one clause each.
        cutoffs: dict[date, list[str]] = defaultdict(list)
        for business_id, time_zone, days in terms:
            cutoffs[_latest_due_date(now, days, time_zone)].append(business_id)
        if not cutoffs:
            return []
        rows = session.exec(
            select(Invoice.business_id, Invoice.id)
            .where(
                Invoice.status == InvoiceStatus.OPEN,
                or_(
                    *(
                        and_(col(Invoice.business_id).in_(ids), col(Invoice.due_date) <= cutoff)
                        for cutoff, ids in cutoffs.items()
                    )
                ),
                ~exists().where(col(LateFee.invoice_id) == Invoice.id),
            )
            .order_by(col(Invoice.due_date), col(Invoice.id))
            .limit(limit)
        ).all()
    return [(business_id, invoice_id) for business_id, invoice_id in rows]


def add_due(db: Database, links: Links, now: datetime) -> int:
    """Every late fee due by `now`, one transaction each; how many invoices were decided."""
    decided = 0
    for business_id, invoice_id in due(db, now):
        with db.session(business_id) as session:
            if decide(session, invoice_id, links, now):
                decided += 1
    return decided


def decide(session: Session, invoice_id: str, links: Links, now: datetime) -> bool:
    """Add (or, for a paused account, skip) the invoice's late fee if it is due: False when
    there was nothing to decide (another runner did it, it is paid or not due, or a bank
    payment on it is under way and may still settle it)."""
    found = session.get(Invoice, invoice_id)
    if found is None:
        return False
    customers.lock(session, found.customer_id)
    invoice = session.get(Invoice, invoice_id, populate_existing=True)
    business = session.get(Business, found.business_id, populate_existing=True)
    assert invoice is not None and business is not None
    if invoice.status != InvoiceStatus.OPEN or not business.late_fee_enabled:
        return False
    if session.get(LateFee, invoice_id, populate_existing=True) is not None:
        return False
    due_at = falls_due(invoice.due_date, business.late_fee_days, business.time_zone)
    view = invoices.views(session, [invoice])[0]
    # A bank debit on its way may still settle it; a card payment merely started does not wait.
    if due_at > now or view.processing:
        return False
    record = LateFee(
        business_id=business.id, invoice_id=invoice_id, outcome="skipped", due_at=due_at
    )
    amount = fee(business, view.amount_due)
    paused = _paused(session, invoice.customer_id)
    if paused or amount <= 0:
        record.reason = "paused account" if paused else "rounds to nothing"
        session.add(record)
        session.flush()  # the invoice's key: a second runner stops here
        SYSTEM.record(
            session,
            business.id,
            "invoice.late_fee_skipped",
            "customer",
            invoice.customer_id,
            invoice=invoice.number,
            reason=record.reason,
        )
        return True
    line = _add_line(session, business, invoice, amount)
    record.outcome, record.amount, record.line_id = "added", amount, line.id
    record.quiet = now - due_at > CATCH_UP
    session.add(record)
    session.flush()  # the invoice's key: a second runner stops here
    _announce(session, business, invoice, record, links)
    return True


def _paused(session: Session, customer_id: str) -> bool:
    """Any paused subscription makes the whole account a paused one."""
    return (
        session.exec(
            select(Subscription.id).where(
                Subscription.customer_id == customer_id,
                Subscription.status == SubscriptionStatus.PAUSED,
            )
        ).first()
        is not None
    )


def _add_line(session: Session, business: Business, invoice: Invoice, amount: int) -> InvoiceLine:
    """The fee as the invoice's last line, priced and totalled the way every line is (no tax)."""
    rows = invoices.lines(session, invoice=invoice)
    line = InvoiceLine(
        business_id=business.id,
        invoice_id=invoice.id,
        position=max((row.position for row in rows), default=-1) + 1,
        description=LINE,
        unit_amount=amount,
    )
    line.amount, line.tax_amount = line_pricing.price(line_pricing.LineInput(LINE, amount))
    session.add(line)
    line_pricing.set_totals(invoice, [*rows, line])
    session.flush()
    return line


def _announce(
    session: Session, business: Business, invoice: Invoice, record: LateFee, links: Links
) -> None:
    """The audit record and the webhook always; the customer's email unless the fee was found
    late or their portal access is off (they still owe it)."""
    amount_due = invoices.views(session, [invoice])[0].amount_due
    SYSTEM.record(
        session,
        business.id,
        "invoice.late_fee_added",
        "customer",
        invoice.customer_id,
        invoice=invoice.number,
        fee=record.amount,
        quiet=record.quiet,
    )
    events.emit(
        session,
        business=business,
        type="invoice.late_fee_added",
        data={
            "invoice": invoice.id,
            "number": invoice.number,
            "external_id": invoice.external_id,
            "customer": invoice.customer_id,
            "fee": record.amount,
            "total": invoice.total,
            "amount_due": amount_due,
            "currency": invoice.currency,
        },
    )
    customer = session.get(Customer, invoice.customer_id)
    assert customer is not None
    if record.quiet or not customer.portal_enabled:
        return

    def show(amount: int) -> str:
        return money.format_amount(amount, invoice.currency, business.locale)

    link = links.payment(business, customer, view=f"pay/{invoice.number}")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "number": invoice.number,
            "business": business.name,
            "due_on": outbox.written_day(invoice.due_date, business.locale),
            "fee": show(record.amount),
            "due": show(amount_due),
        }
        text = "".join(
            (
                gettext("Hello %(name)s,") % said,
                "\n\n",
                gettext(
                    "Invoice %(number)s was due on %(due_on)s and is still unpaid, so "
                    "%(business)s added a late fee of %(fee)s under its terms. %(due)s is now "
                    "due. Pay it here:"
                )
                % said,
                f"\n\n{link}\n\n",
                gettext("The link opens your account: keep it to yourself."),
                "\n",
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Late fee added to invoice %(number)s from %(business)s: %(due)s due")
            % said,
            text=text,
        )
