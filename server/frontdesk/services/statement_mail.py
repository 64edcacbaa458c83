"""Monthly statements by email, for businesses that turn them on: at 06:00 on the 1st where the
business is, each customer with activity last month or a balance gets last month's statement with
its PDF attached, once per (customer, month).

The scheduler asks every minute (scheduler.KINDS). Each customer is decided in its own transaction
under the customer's lock (the one every payment takes), after reading the decision again: a
second runner that waited for the lock finds it made. The (customer, month) key of StatementMail
is the wall behind that. Every customer gets a row, sent or not, so nobody is looked at twice.
Statements found more than three days after the 1st (the server was away) are recorded, not
emailed: a statement arriving mid-month reads as news it no longer is. Only the latest month is
decided: one missed altogether is still in the portal."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from frontdesk import languages, money
from frontdesk.db import Database
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Initiator, StatementMail
from frontdesk.services import audit, customers, outbox, statements
from frontdesk.services.links import Links

SEND_AT = time(6, 0)
CATCH_UP = timedelta(days=3)
SYSTEM = audit.Actor(Initiator.SYSTEM, "scheduler")
# Statement emails name the PDF they carry by this kind (services/notices.py makes it).
ATTACHMENT = "statement"


def due_at(month: date, time_zone: str) -> datetime:
    """The instant (UTC) `month`'s statements go: SEND_AT on the next month's 1st, locally."""
    first = statements.next_month(month)
    return datetime.combine(first, SEND_AT, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def latest_month(now: datetime, time_zone: str) -> date:
    """The newest month whose statements have fallen due by `now`."""
    month = statements.previous_month(statements.month_of(now.astimezone(ZoneInfo(time_zone))))
    return month if due_at(month, time_zone) <= now else statements.previous_month(month)


def due(db: Database, now: datetime, limit: int = 500) -> list[tuple[str, str, str]]:
    """(business, customer, month) of statements fallen due by `now` that nobody decided."""
    with db.unscoped("the scheduler looks for statements due across businesses") as session:
        turned_on = session.exec(
            select(Business.id, Business.time_zone).where(
                col(Business.statements_emailed).is_(True)
            )
        ).all()
        # Businesses in one zone share a month: one clause each.
        by_month: dict[str, list[str]] = defaultdict(list)
        for business_id, time_zone in turned_on:
            by_month[statements.month_key(latest_month(now, time_zone))].append(business_id)
        if not by_month:
            return []
        rows = session.exec(
            select(Customer.business_id, Customer.id)
            .where(
                or_(
                    *(
                        and_(
                            col(Customer.business_id).in_(ids),
                            ~exists().where(
                                col(StatementMail.customer_id) == Customer.id,
                                col(StatementMail.month) == month,
                            ),
                        )
                        for month, ids in by_month.items()
                    )
                )
            )
            .order_by(col(Customer.business_id), col(Customer.id))
            .limit(limit)
        ).all()
    month_of = {business_id: month for month, ids in by_month.items() for business_id in ids}
    return [(business_id, customer_id, month_of[business_id]) for business_id, customer_id in rows]


def send_due(db: Database, links: Links, now: datetime) -> int:
    """Every statement due by `now`, one transaction per customer; how many were decided."""
    decided = 0
    for business_id, customer_id, month in due(db, now):
        with db.session(business_id) as session:
            decided += decide(session, customer_id, month, links, now)
    return decided


def decide(session: Session, customer_id: str, month: str, links: Links, now: datetime) -> bool:
    """Email (or record why not) the customer's statement of `month`: False when there was
    nothing to decide (another runner did it, or the business turned the emails off)."""
    customers.lock(session, customer_id)
    customer = session.get(Customer, customer_id, populate_existing=True)
    if customer is None:
        return False
    business = session.get(Business, customer.business_id, populate_existing=True)
    assert business is not None
    if not business.statements_emailed:
        return False
    if session.get(StatementMail, (customer_id, month), populate_existing=True) is not None:
        return False
    first = statements.parse_month(month)
    at = due_at(first, business.time_zone)
    if at > now:
        return False
    statement = statements.compute(session, business=business, customer=customer, month=first)
    record = StatementMail(
        business_id=business.id,
        customer_id=customer.id,
        month=month,
        due_at=at,
        decided_at=now,
        opening=statement.opening,
        closing=statement.closing,
        reason=_reason(statement, customer, at, now),
    )
    record.sent = not record.reason
    session.add(record)
    session.flush()  # the (customer, month) key: a second runner stops here
    if record.sent:
        _email(session, business, customer, statement, links)
    return True


def _reason(
    statement: statements.Statement, customer: Customer, at: datetime, now: datetime
) -> str:
    """Why this statement is not emailed, or "" when it is."""
    if now - at > CATCH_UP:
        return "late"
    if not statement.lines and not statement.closing:
        return "nothing to report"
    if not customer.portal_enabled:
        return "no portal access"
    return ""


def _email(
    session: Session,
    business: Business,
    customer: Customer,
    statement: statements.Statement,
    links: Links,
) -> None:
    def show(amount: int) -> str:
        return money.format_amount(amount, statement.currency, business.locale)

    link = links.payment(business, customer, view="payments")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "month": statements.month_label(statement.month, business.locale),
            "opening": show(statement.opening),
            "closing": show(abs(statement.closing)),
        }
        if statement.closing > 0:
            closed = gettext("The month opened at %(opening)s and closed with %(closing)s owed.")
        elif statement.closing < 0:
            closed = gettext(
                "The month opened at %(opening)s and closed with %(closing)s in credit."
            )
        else:
            closed = gettext("The month opened at %(opening)s and closed with nothing owed.")
        text = "".join(
            (
                gettext("Hello %(name)s,") % said,
                "\n\n",
                gettext("Your statement from %(business)s for %(month)s is attached.") % said,
                " ",
                closed % said,
                "\n\n",
                gettext("Your account, with every statement:"),
                f"\n\n{link}\n\n",
                gettext("The link opens your account: keep it to yourself."),
                "\n",
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Your %(month)s statement from %(business)s") % said,
            text=text,
            reply_to=business.contact_email or "",
            attachment=f"{ATTACHMENT}:{customer.id}:{statement.key}",
        )
    SYSTEM.record(
        session, business.id, "statement.emailed", "customer", customer.id, month=statement.key
    )
