"""Notices before automatic payments: an invoice about to be charged (the business's notice days
before its due date; webhook `invoice.upcoming`), and a card used by them that expires within a
month. Each decided once ((subject, kind) is the key), sent or skipped with the reason; what is
found long after its moment is recorded and not sent."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists
from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.db import Database
from frontdesk.languages import gettext
from frontdesk.models import (
    AutopayEnrollment,
    AutopayNotice,
    Business,
    Customer,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
)
from frontdesk.services import customers, events, invoices, outbox
from frontdesk.services.autopay import enrolment
from frontdesk.services.autopay.schedule import moment, notice_at
from frontdesk.services.links import Links

LATE = timedelta(days=1)
UPCOMING = "upcoming"
EXPIRY_WARNING = timedelta(days=30)


def _enrolled(db: Database, query_for: str) -> list[tuple[str, str, str]]:
    with db.unscoped(query_for) as session:
        rows = session.exec(
            select(
                AutopayEnrollment.business_id, AutopayEnrollment.customer_id, AutopayEnrollment.id
            )
            .join(Business, col(Business.id) == AutopayEnrollment.business_id)
            .where(col(AutopayEnrollment.revoked_at).is_(None), col(Business.autopay_enabled))
        ).all()
    return [(b, c, e) for b, c, e in rows]


def notify_due(db: Database, links: Links, now: datetime) -> int:
    """Upcoming-charge and expiring-card notices due by `now`, one transaction per customer."""
    decided = 0
    for business_id, customer_id, _ in _enrolled(db, "autopay notices visit enrolled customers"):
        with db.session(business_id) as session:
            decided += notify(session, customer_id, links, now)
    return decided


def notify(session: Session, customer_id: str, links: Links, now: datetime) -> int:
    """The customer's notices due by `now`. Looked for first without the lock (most minutes there
    is none), then under it, reading again: the (subject, kind) key is the wall behind that."""
    if not _due(session, customer_id, now):
        return 0
    customers.lock(session, customer_id)
    found = _due(session, customer_id, now)
    if not found:
        return 0
    business, customer, enrollment, waiting, expiring = found
    for invoice, at in waiting:
        _upcoming(session, business, customer, enrollment, invoice, at, links, now)
    if expiring is not None:
        _expiring(session, business, customer, expiring, links, now)
    return len(waiting) + (expiring is not None)


Found = tuple[
    Business, Customer, AutopayEnrollment, list[tuple[Invoice, datetime]], PaymentMethod | None
]


def _due(session: Session, customer_id: str, now: datetime) -> Found | None:
    enrollment = enrolment.current(session, customer_id=customer_id)
    customer = session.get(Customer, customer_id)
    if enrollment is None or customer is None:
        return None
    business = session.get(Business, customer.business_id)
    assert business is not None
    noticed = exists().where(
        and_(col(AutopayNotice.subject_id) == Invoice.id, col(AutopayNotice.kind) == UPCOMING)
    )
    horizon = (now + timedelta(days=business.autopay_notice_days + 1)).date()
    candidates = session.exec(
        select(Invoice).where(
            Invoice.customer_id == customer.id,
            Invoice.status == InvoiceStatus.OPEN,
            col(Invoice.due_date) <= horizon,
            col(Invoice.due_date) >= enrollment.starts_on,
            ~noticed,
        )
    ).all()
    waiting = []
    for invoice in candidates:
        at = notice_at(business, invoice)
        if at is not None and at <= now:
            waiting.append((invoice, at))
    expiring = _expiring_card(session, business, enrollment, now)
    if not waiting and expiring is None:
        return None
    return business, customer, enrollment, waiting, expiring


def _upcoming(
    session: Session,
    business: Business,
    customer: Customer,
    enrollment: AutopayEnrollment,
    invoice: Invoice,
    at: datetime,
    links: Links,
    now: datetime,
) -> None:
    view = invoices.views(session, [invoice])[0]
    reason = _reason(at, now, customer, view.amount_due, enrollment.consented_at)
    notice = AutopayNotice(
        business_id=business.id,
        subject_id=invoice.id,
        kind=UPCOMING,
        customer_id=customer.id,
        due_at=at,
        sent=not reason,
        reason=reason,
    )
    session.add(notice)
    session.flush()  # the (invoice, kind) key: a second runner stops here
    if not reason:
        _tell_upcoming(session, business, customer, enrollment, invoice, view.amount_due, links)


def _reason(at: datetime, now: datetime, customer: Customer, due: int, since: datetime) -> str:
    if now - at > LATE:
        return "late"
    if at < since:
        return "before enrolment"
    if not customer.portal_enabled:
        return "no portal access"
    if due <= 0:
        return "nothing due"
    return ""


def _tell_upcoming(
    session: Session,
    business: Business,
    customer: Customer,
    enrollment: AutopayEnrollment,
    invoice: Invoice,
    due: int,
    links: Links,
) -> None:
    method = session.get(PaymentMethod, enrollment.payment_method_id)
    assert method is not None
    link = links.payment(business, customer, view=f"invoice/{invoice.number}")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "number": invoice.number,
            "amount": money.format_amount(due, invoice.currency, business.locale),
            "day": outbox.written_day(invoice.due_date, business.locale),
            "card": enrolment.card_name(method),
            "link": link,
        }
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("%(business)s will charge %(amount)s on %(day)s") % said,
            text=gettext(
                "Hello %(name)s,\n\nInvoice %(number)s from %(business)s is due on %(day)s. "
                "As you asked, %(amount)s will be charged to your %(card)s that day. Nothing to "
                "do. To see the invoice, pay another way or turn automatic payments off, "
                "open:\n\n%(link)s\n"
            )
            % said,
            reply_to=business.contact_email or "",
        )
    events.emit(
        session,
        business=business,
        type="invoice.upcoming",
        data={
            "invoice": invoice.id,
            "number": invoice.number,
            "customer": customer.id,
            "amount_due": due,
            "currency": invoice.currency,
            "charge_on": invoice.due_date.isoformat(),
        },
    )


def expires_on(method: PaymentMethod) -> date | None:
    """The last day the card can be charged (cards run to the end of their month)."""
    if not method.exp_month or not method.exp_year:
        return None
    following = date(method.exp_year + method.exp_month // 12, method.exp_month % 12 + 1, 1)
    return following - timedelta(days=1)


def _expiring_card(
    session: Session, business: Business, enrollment: AutopayEnrollment, now: datetime
) -> PaymentMethod | None:
    """The card automatic payments use, when its notice is due and not yet decided."""
    method = session.get(PaymentMethod, enrollment.payment_method_id)
    assert method is not None
    last_day = expires_on(method)
    if last_day is None or method.removed_at is not None:
        return None
    at = moment(last_day - EXPIRY_WARNING, business.time_zone)
    if at > now or session.get(AutopayNotice, (method.id, _expiry_kind(last_day))) is not None:
        return None
    return method


def _expiry_kind(last_day: date) -> str:
    return f"expiring:{last_day:%Y-%m}"


def _expiring(
    session: Session,
    business: Business,
    customer: Customer,
    method: PaymentMethod,
    links: Links,
    now: datetime,
) -> None:
    last_day = expires_on(method)
    assert last_day is not None
    at = moment(last_day - EXPIRY_WARNING, business.time_zone)
    kind = _expiry_kind(last_day)
    reason = "late" if moment(last_day, business.time_zone) < now else ""
    if not reason and not customer.portal_enabled:
        reason = "no portal access"
    session.add(
        AutopayNotice(
            business_id=business.id,
            subject_id=method.id,
            kind=kind,
            customer_id=customer.id,
            due_at=at,
            sent=not reason,
            reason=reason,
        )
    )
    session.flush()
    if not reason:
        with languages.speaking(languages.of_customer(customer.language, business.language)):
            said = {
                "name": customer.name,
                "business": business.name,
                "card": enrolment.card_name(method),
                "month": outbox.written_month(last_day, business.locale),
                "link": links.payment(business, customer, view="payments"),
            }
            outbox.email(
                session,
                business=business,
                to=customer.email,
                subject=gettext("Your card for automatic payments to %(business)s expires soon")
                % said,
                text=gettext(
                    "Hello %(name)s,\n\nYour %(card)s, which pays %(business)s automatically, "
                    "expires at the end of %(month)s. To keep automatic payments going, add your "
                    "new card and choose it for automatic payments here:\n\n%(link)s\n"
                )
                % said,
                reply_to=business.contact_email or "",
            )
