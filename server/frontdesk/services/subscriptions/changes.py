"""Changing a plan's lines, name or terms mid-period, from the dashboard or the API: first
previewed (what the period already invoiced at the old amount becomes), then saved once under the
subscription's lock, with an adjustment invoice or account credit at once when the business
prorates now, or the new amount from the next invoice."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from frontdesk import money
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    CreditNote,
    Customer,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionChange,
    SubscriptionPeriod,
)
from frontdesk.services import audit, invoices, notices
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput
from frontdesk.services.links import Links
from frontdesk.services.subscriptions.plans import _announce, _tell_both
from frontdesk.services.subscriptions.proration import Proration, prorate, share
from frontdesk.services.subscriptions.reading import current_period, next_invoice
from frontdesk.services.subscriptions.rules import (
    MAX_NAME,
    Status,
    locked,
    period_total,
    priced,
    stored_lines,
)

PRORATIONS = {
    "now": "Prorate now",
    "next_period": "From the next period",
}
MAX_DAYS_UNTIL_DUE = 90


def nonce() -> str:
    """A fresh nonce for an editor: the change it saves is made once, however often sent."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Edit:
    """A plan's new terms as the business sent them; None leaves one as it is."""

    name: str | None = None
    lines: list[LineInput] | None = None
    days_until_due: int | None = None
    proration: str = ""  # now, next_period, or not chosen
    nonce: str = ""
    # What the business was shown before saving: the next period to bill then, and the
    # adjustment. A save finding the plan moved on (the scheduler billed a period, the day
    # turned) is refused with the new figures rather than doing what nobody saw.
    seen_period: int | None = None
    seen_adjustment: int | None = None


@dataclass(frozen=True)
class Preview:
    """What saving an edit would do, without doing it."""

    subscription: Subscription
    name: str
    lines: list[dict[str, Any]]
    days_until_due: int
    old_amount: int
    new_amount: int
    # The period running on an invoice at the old amount, when the amount changes inside it.
    proration: Proration | None
    # The invoice that period was billed on.
    invoice_number: str
    # When the new amount is first invoiced, if nobody prorates.
    next_on: date | None

    @property
    def changed(self) -> bool:
        plan = self.subscription
        return (self.name, self.lines, self.days_until_due) != (
            plan.name,
            plan.lines,
            plan.days_until_due,
        )

    @property
    def period(self) -> int:
        return self.subscription.next_period


def preview(session: Session, *, subscription: Subscription, edit: Edit, today: date) -> Preview:
    """The edit checked and its consequences worked out; nothing is written. Invalid for bad
    input, or a plan that has ended or been cancelled."""
    if subscription.status in (Status.CANCELED, Status.ENDED):
        gone = "ended" if subscription.status == Status.ENDED else "been cancelled"
        raise Invalid(f"This plan has {gone}: it cannot be changed.")
    errors: dict[str, str] = {}
    name = subscription.name if edit.name is None else " ".join(edit.name.split())
    if not name or len(name) > MAX_NAME:
        errors["name"] = f"Name the plan (up to {MAX_NAME} characters)."
    days = subscription.days_until_due if edit.days_until_due is None else edit.days_until_due
    if not 0 <= days <= MAX_DAYS_UNTIL_DUE:
        errors["days_until_due"] = "Invoices fall due 0 to 90 days after they are issued."
    lines = subscription.lines
    if edit.lines is not None:
        try:
            lines = stored_lines(edit.lines)
        except Invalid as invalid:
            errors.update(invalid.fields)
    if errors:
        raise Invalid("Please fix the highlighted fields.", errors)
    old, new = period_total(subscription), sum(priced(lines))
    running, number = _running(session, subscription, today)
    proration = prorate(*running, today, old, new) if running and old != new else None
    return Preview(
        subscription, name, lines, days, old, new, proration, number, next_invoice(subscription)
    )


def _running(
    session: Session, subscription: Subscription, today: date
) -> tuple[tuple[date, date] | None, str]:
    """The period today is in, if it was invoiced (not skipped while paused, not voided since),
    and its invoice's number."""
    current = current_period(subscription)
    if current is None or not current[0] <= today <= current[1]:
        return None, ""
    invoice = session.exec(
        select(Invoice)
        .join(SubscriptionPeriod, SubscriptionPeriod.invoice_id == Invoice.id)  # type: ignore[arg-type]
        .where(
            SubscriptionPeriod.subscription_id == subscription.id,
            SubscriptionPeriod.period == subscription.next_period - 1,
        )
    ).first()
    if invoice is None or invoice.status == InvoiceStatus.VOID:
        return None, ""
    return current, invoice.number


def change(
    session: Session,
    *,
    business: Business,
    subscription: Subscription,
    edit: Edit,
    actor: audit.Actor,
    links: Links,
    today: date,
    now: datetime,
) -> tuple[Subscription, SubscriptionChange]:
    """Save the edit under the subscription's lock, after reading it again (the scheduler may
    have billed a period meanwhile); an edit sent again with its nonce finds the first."""
    subscription = locked(session, subscription.id)
    key = edit.nonce.strip()[:64] or nonce()
    done = session.exec(
        select(SubscriptionChange).where(
            SubscriptionChange.subscription_id == subscription.id,
            SubscriptionChange.nonce == key,
        )
    ).first()
    if done is not None:
        return subscription, done
    seen = preview(session, subscription=subscription, edit=edit, today=today)
    _agreed(seen, edit)
    prorated = seen.proration
    record = SubscriptionChange(
        business_id=business.id,
        subscription_id=subscription.id,
        nonce=key,
        old_amount=seen.old_amount,
        new_amount=seen.new_amount,
        proration=edit.proration if prorated else "none",
        period=subscription.next_period - 1 if prorated else None,
        days_left=prorated.days_left if prorated else 0,
        days_in_period=prorated.days if prorated else 0,
        old_lines=subscription.lines,
        new_lines=seen.lines,
        created_at=now,
    )
    subscription.name, subscription.lines = seen.name, seen.lines
    subscription.days_until_due, subscription.updated_at = seen.days_until_due, now
    if prorated and edit.proration == "now" and prorated.adjustment:
        record.adjustment = prorated.adjustment
        _adjust(session, business, subscription, seen, record, actor, links, today)
    session.add(record)
    session.flush()  # the (subscription, nonce) key: a second save of the same form stops here
    actor.record(
        session,
        business.id,
        "subscription.changed",
        "subscription",
        subscription.id,
        old_amount=record.old_amount,
        new_amount=record.new_amount,
        proration=record.proration,
        adjustment=record.adjustment,
    )
    _announce(session, business, subscription, "subscription.updated")
    _tell_both(
        session, business, subscription, lambda: words(session, business, subscription, record)
    )
    return subscription, record


def _agreed(seen: Preview, edit: Edit) -> None:
    """The business chose what to do about the period invoiced, on the figures it was shown."""
    if not seen.changed:
        raise Invalid("Nothing to save: this is the plan as it is.")
    moved = edit.seen_period is not None and edit.seen_period != seen.period
    if seen.proration is not None:
        if edit.proration not in PRORATIONS:
            message = "Choose whether to prorate now or from the next period."
            raise Invalid(message, {"proration": message})
        shown = edit.seen_adjustment
        moved = moved or (
            edit.proration == "now" and shown is not None and shown != seen.proration.adjustment
        )
    if moved:
        raise Invalid(
            "The plan moved on since these figures were worked out (a period was billed, or "
            "the day changed): check the new figures and save again."
        )


def _adjust(
    session: Session,
    business: Business,
    subscription: Subscription,
    seen: Preview,
    record: SubscriptionChange,
    actor: audit.Actor,
    links: Links,
    today: date,
) -> None:
    """An increase: an invoice for the rest of the period, sent now. A decrease: account credit,
    which is how credit exists here (it lowers what the customer owes)."""
    prorated = seen.proration
    assert prorated is not None
    customer = session.get(Customer, subscription.customer_id)
    assert customer is not None
    span = f"{prorated.on.isoformat()} to {prorated.last.isoformat()}"
    days = f"{prorated.days_left} of {prorated.days} days"
    if record.adjustment < 0:
        note = CreditNote(
            business_id=business.id,
            customer_id=customer.id,
            amount=-record.adjustment,
            currency=subscription.currency,
            reason=f"“{subscription.name}” changed: {span} ({days}) at the lower amount",
        )
        session.add(note)
        session.flush()
        record.credit_note_id = note.id
        return
    invoice = invoices.create(
        session,
        business=business,
        customer=customer,
        lines=[_adjustment_line(record.old_lines, seen, prorated, f"{seen.name}: {span} ({days})")],
        issue_date=today,
        due_date=today + timedelta(days=subscription.days_until_due),
        notes=f"{seen.name}: the plan changed on {today.isoformat()}; "
        f"the period was invoiced on {seen.invoice_number} at the old amount.",
        actor=actor,
    )
    invoice.subscription_id = subscription.id
    notices.send(session, business=business, document=invoice, links=links, actor=actor)
    record.invoice_id = invoice.id


def _adjustment_line(
    old_lines: list[dict[str, Any]], seen: Preview, prorated: Proration, description: str
) -> LineInput:
    """One line for the difference, its tax kept apart as the period's invoices keep it; when
    the tax went the other way (a lower rate on a higher price), the difference tax included."""
    old_tax, new_tax = priced(old_lines)[1], priced(seen.lines)[1]
    left, days = prorated.days_left, prorated.days
    tax = share(new_tax, left, days) - share(old_tax, left, days)
    base = prorated.adjustment - tax
    if base >= 0 and tax >= 0:
        return LineInput(description, unit_amount=base, tax_amount=tax)
    return LineInput(f"{description}, tax included", unit_amount=prorated.adjustment)


def saved(session: Session, *, subscription: Subscription) -> list[SubscriptionChange]:
    """The plan's saved changes, the latest first."""
    return list(
        session.exec(
            select(SubscriptionChange)
            .where(SubscriptionChange.subscription_id == subscription.id)
            .order_by(col(SubscriptionChange.created_at).desc(), col(SubscriptionChange.id))
        )
    )


def words(
    session: Session, business: Business, subscription: Subscription, record: SubscriptionChange
) -> str:
    """A saved change in words, for both sides' emails and the dashboard."""
    currency, locale = subscription.currency, business.locale

    def shown(amount: int) -> str:
        return money.format_amount(abs(amount), currency, locale)

    if record.old_amount == record.new_amount:
        return gettext("Its details were updated; each period is still %(amount)s.") % {
            "amount": shown(record.new_amount)
        }
    said = {
        "new": shown(record.new_amount),
        "old": shown(record.old_amount),
        "adjustment": shown(record.adjustment),
        "left": record.days_left,
        "days": record.days_in_period,
    }
    now = gettext("Each period is now %(new)s instead of %(old)s.") % said
    if record.invoice_id:
        invoice = session.get(Invoice, record.invoice_id)
        said["number"] = invoice.number if invoice else ""
        rest = gettext(
            "Invoice %(number)s for %(adjustment)s covers the rest of the current period "
            "(%(left)s of %(days)s days)."
        )
    elif record.credit_note_id:
        rest = gettext(
            "%(adjustment)s is credited to the account for the rest of the current period "
            "(%(left)s of %(days)s days)."
        )
    elif record.proration == "next_period":
        rest = gettext("The current period stays as invoiced; the new amount starts next period.")
    else:
        rest = gettext("It applies from the next invoice.")
    return f"{now} {rest % said}"
