"""Payment reminders by email (and by text, where the business wants it), on the business's
schedule: a few days before an invoice is due, on the day, and some days after it; each at 09:00
where the business is, once per (invoice, kind).

The scheduler asks every minute (scheduler.KINDS). Each invoice is decided in its own transaction
under its row's lock, after reading it again: a payment that lands first stops the reminder, and
a second runner that waited for the lock finds the reminder decided. The (invoice, kind) key of
InvoiceReminder is the wall behind that. A reminder found more than a day after its moment (the
server was away) is recorded as skipped, never sent late as part of a burst of stale mail.
A text is its own kind ("text:due"), decided the same way, once, beside the email."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update as update_rows
from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.db import Database
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    Initiator,
    Invoice,
    InvoiceReminder,
    InvoiceStatus,
)
from frontdesk.services import audit, autopay, invoices, outbox, texts
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links

SEND_AT = time(9, 0)
# Later than this after its moment, a reminder is stale: "due in 3 days" read on the due date.
LATE = timedelta(days=1)
MOST_DAYS = 90
MOST_AFTER = 5
SYSTEM = audit.Actor(Initiator.SYSTEM, "scheduler")
TEXT = "text:"  # the text beside an email reminder: "text:before", "text:after:7"


def schedule(business: Business, due_date: date) -> list[tuple[str, date]]:
    """The business's reminders for an invoice due on `due_date`: (kind, day), in day order."""
    kinds: list[tuple[str, date]] = []
    if business.reminders_before_days:
        kinds.append(("before", due_date - timedelta(days=business.reminders_before_days)))
    if business.reminders_on_due:
        kinds.append(("due", due_date))
    for days in sorted(set(business.reminders_after_days)):
        kinds.append((f"after:{days}", due_date + timedelta(days=days)))
    return kinds


def moment(day: date, time_zone: str) -> datetime:
    """The instant (UTC) a reminder for `day` goes: SEND_AT that day where the business is."""
    return datetime.combine(day, SEND_AT, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def _waiting(business: Business, invoice: Invoice, done: set[str], now: datetime) -> list[str]:
    channels = ["", TEXT] if business.reminders_by_text else [""]
    return [
        channel + kind
        for kind, day in schedule(business, invoice.due_date)
        for channel in channels
        if channel + kind not in done and moment(day, business.time_zone) <= now
    ]


def due(db: Database, now: datetime) -> list[tuple[str, str]]:
    """(business, invoice) ids with a reminder whose moment has come and that nobody decided."""
    today = now.astimezone(UTC).date()
    # Every moment lies within MOST_DAYS of its due date (a day more for time zones), so an
    # invoice due outside this window has nothing left to decide: its reminders went or are moot.
    window = timedelta(days=MOST_DAYS + 2)
    with db.unscoped("the scheduler looks for reminders due across businesses") as session:
        rows = session.exec(
            select(Business, Invoice)
            .join(Invoice, col(Invoice.business_id) == Business.id)
            .where(
                Invoice.status == InvoiceStatus.OPEN,
                col(Invoice.due_date) >= today - window,
                col(Invoice.due_date) <= today + window,
            )
            .order_by(col(Invoice.due_date))
        ).all()
        done = _decided(session, [invoice.id for _, invoice in rows])
    return [
        (business.id, invoice.id)
        for business, invoice in rows
        if _waiting(business, invoice, done.get(invoice.id, set()), now)
    ]


def _decided(session: Session, invoice_ids: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for start in range(0, len(invoice_ids), 500):  # under every database's parameter limit
        chunk = invoice_ids[start : start + 500]
        for invoice_id, kind in session.exec(
            select(InvoiceReminder.invoice_id, InvoiceReminder.kind).where(
                col(InvoiceReminder.invoice_id).in_(chunk)
            )
        ):
            found.setdefault(invoice_id, set()).add(kind)
    return found


def remind_due(db: Database, links: Links, now: datetime) -> int:
    """Every reminder whose moment has come, one transaction per invoice; how many were decided
    (sent or skipped)."""
    decided = 0
    for business_id, invoice_id in due(db, now):
        with db.session(business_id) as session:
            decided += remind(session, invoice_id, links, now)
    return decided


def _locked(session: Session, invoice_id: str) -> Invoice | None:
    # A no-op write takes the row's lock (SELECT ... FOR UPDATE does nothing on SQLite); payments
    # take the same lock, so a payment and a reminder never cross.
    session.execute(
        update_rows(Invoice)
        .where(col(Invoice.id) == invoice_id)
        .values(status=Invoice.status)
        .execution_options(synchronize_session=False)
    )
    return session.get(Invoice, invoice_id, populate_existing=True)


def remind(session: Session, invoice_id: str, links: Links, now: datetime) -> int:
    """Decide the invoice's reminders whose moment has come; how many were decided. A paid or
    void invoice gets none (nothing is recorded: there is nothing left to remind of)."""
    invoice = _locked(session, invoice_id)
    if invoice is None or invoice.status != InvoiceStatus.OPEN:
        return 0
    business = session.get(Business, invoice.business_id)
    customer = session.get(Customer, invoice.customer_id)
    assert business is not None and customer is not None
    done = set(
        session.exec(
            select(InvoiceReminder.kind).where(InvoiceReminder.invoice_id == invoice.id)
        ).all()
    )
    view = invoices.views(session, [invoice])[0]
    days = dict(schedule(business, invoice.due_date))
    # Charged automatically on its due date: the notice before the charge replaces the reminders
    # up to then; the ones after it still go if the charge did not settle the invoice.
    automatic = autopay.charges_on_due(session, business=business, invoice=invoice)
    decided = 0
    for kind in _waiting(business, invoice, done, now):
        by_text, of = kind.startswith(TEXT), kind.removeprefix(TEXT)
        at = moment(days[of], business.time_zone)
        reason = _reason(days[of], at, invoice, customer, view, now)
        if automatic and not of.startswith("after"):
            reason = reason or "automatic payment"
        record = InvoiceReminder(
            business_id=business.id,
            invoice_id=invoice.id,
            kind=kind,
            due_at=at,
            decided_at=now,
            reason=reason or (texts.refusal(customer) if by_text else ""),
        )
        if not record.reason:
            record.sent, record.amount_due = True, view.amount_due
            send = _text if by_text else _email
            send(session, business, customer, invoice, of, view.amount_due, links)
        session.add(record)
        session.flush()  # the (invoice, kind) key: a second runner stops here
        decided += 1
    return decided


def _reason(
    day: date,
    at: datetime,
    invoice: Invoice,
    customer: Customer,
    view: invoices.InvoiceView,
    now: datetime,
) -> str:
    """Why this reminder is not sent, or "" when it is."""
    if now - at > LATE:
        return "late"
    if day < invoice.issue_date:
        return "before issue"  # "due in 3 days" about an invoice that did not exist yet
    if not customer.portal_enabled:
        return "no portal access"
    if view.processing:
        return "payment processing"  # a bank payment is on its way
    if view.amount_due <= 0:
        return "nothing due"
    return ""


def _email(
    session: Session,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    kind: str,
    amount_due: int,
    links: Links,
) -> None:
    number = invoice.number
    link = links.payment(business, customer, view=f"pay/{number}")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "number": number,
            "business": business.name,
            "amount": money.format_amount(amount_due, invoice.currency, business.locale),
            "due": outbox.written_day(invoice.due_date, business.locale),
        }
        if kind == "before":
            subject = gettext("Reminder: invoice %(number)s from %(business)s is due on %(due)s")
            sentence = gettext("Invoice %(number)s from %(business)s is due on %(due)s.")
        elif kind == "due":
            subject = gettext("Due today: invoice %(number)s from %(business)s, %(amount)s")
            sentence = gettext("Invoice %(number)s from %(business)s is due today.")
        else:
            subject = gettext("Overdue: invoice %(number)s from %(business)s, %(amount)s still due")
            sentence = gettext(
                "Invoice %(number)s from %(business)s was due on %(due)s and is overdue."
            )
        text = "".join(
            (
                gettext("Hello %(name)s,") % {"name": customer.name},
                "\n\n",
                sentence % said,
                " ",
                gettext("%(amount)s is still due. Pay it here:") % said,
                f"\n\n{link}\n\n",
                gettext("The link opens your account: keep it to yourself."),
                " ",
                gettext("If you have paid already, thank you, and please ignore this reminder."),
                "\n",
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=subject % said,
            text=text,
            reply_to=business.contact_email or "",
        )
    SYSTEM.record(
        session, business.id, "invoice.reminded", "customer", customer.id, invoice=number, kind=kind
    )


def _text(
    session: Session,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    kind: str,
    amount_due: int,
    links: Links,
) -> None:
    link = links.payment(business, customer, view=f"pay/{invoice.number}", pay_only=True)
    texts.reminder(
        session,
        business=business,
        customer=customer,
        invoice=invoice,
        kind=kind,
        amount_due=amount_due,
        link=link,
    )
    SYSTEM.record(
        session,
        business.id,
        "invoice.reminded",
        "customer",
        customer.id,
        invoice=invoice.number,
        kind=kind,
        channel="text",
    )


@dataclass(frozen=True)
class ReminderSettings:
    """The settings form as typed: each kind's switch, and its days."""

    before: bool
    before_days: str  # "3"
    on_due: bool
    after: bool
    after_days: str  # "3, 7, 14"
    # Each reminder by text as well, to customers who agreed to texts.
    by_text: bool = False


def _days(typed: Iterable[str]) -> list[int] | None:
    try:
        days = [int(part) for part in typed if part]
    except ValueError:
        return None
    return days if all(1 <= day <= MOST_DAYS for day in days) else None


def update_settings(
    session: Session, business: Business, wanted: ReminderSettings, actor: audit.Actor
) -> list[str]:
    """Apply the reminder schedule; the scheduler follows it from its next look. Returns what
    changed."""
    before = _days([wanted.before_days.strip()])
    if wanted.before and not before:
        raise Invalid(
            "The reminders need fixing.",
            {"reminders_before_days": f"Enter a number of days from 1 to {MOST_DAYS}."},
        )
    after = _days(part.strip() for part in wanted.after_days.replace(";", ",").split(","))
    if wanted.after and (not after or len(set(after)) > MOST_AFTER):
        raise Invalid(
            "The reminders need fixing.",
            {
                "reminders_after_days": (
                    f"List up to {MOST_AFTER} numbers of days from 1 to {MOST_DAYS}, like 3, 7, 14."
                )
            },
        )
    values = {
        "reminders_before_days": before[0] if wanted.before and before else None,
        "reminders_on_due": wanted.on_due,
        "reminders_after_days": sorted(set(after or [])) if wanted.after else [],
        "reminders_by_text": wanted.by_text,
    }
    changed = audit.assign(business, values)
    if changed:
        actor.record(
            session,
            business.id,
            "settings.reminders_changed",
            "business",
            business.id,
            changed=changed,
        )
    return changed
