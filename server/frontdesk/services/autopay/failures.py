"""What the customer and the business are told when an automatic payment fails: a retry coming
(with its day), or no more tries (one email with the link to pay or change the card, the webhook
`autopay.failed`, and automatic payments ended when the card can never be charged again)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from frontdesk import money
from frontdesk.models import (
    AttemptStatus,
    AutopayAttempt,
    AutopayEnrollment,
    Business,
    Customer,
    Initiator,
    Invoice,
)
from frontdesk.services import events, outbox
from frontdesk.services.autopay import enrolment
from frontdesk.services.autopay.schedule import next_attempt
from frontdesk.services.links import Links


def will_retry(
    session: Session,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    attempt: AutopayAttempt,
    links: Links,
) -> None:
    amount = money.format_amount(attempt.amount, invoice.currency, business.locale)
    upcoming = next_attempt(business, invoice, [attempt])
    when = f" on {upcoming.due_at:%B %-d}" if upcoming else " later"
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=f"Your automatic payment of {amount} to {business.name} did not go through",
        text=(
            f"Hello {customer.name},\n\nWe tried to charge {amount} for invoice {invoice.number} "
            f"to your card and it was declined ({attempt.message or 'no reason given'}). We will "
            f"try again{when}. To pay now or use another card, open:\n\n"
            f"{links.payment(business, customer, view=f'pay/{invoice.number}')}\n"
        ),
        reply_to=business.contact_email or "",
    )


def gave_up(
    session: Session,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    attempt: AutopayAttempt,
    enrollment: AutopayEnrollment,
    links: Links,
    now: datetime,
) -> None:
    """No more tries for this invoice: the customer gets one email with a link to pay it and to
    change their card; the business finds it in its failed-charge queue and as a webhook. A card
    that can never be charged again (hard decline) ends automatic payments with it."""
    attempt.gave_up = True
    hard = attempt.status == AttemptStatus.HARD_FAILED
    if hard:
        enrolment.end(session, business, enrollment, Initiator.SYSTEM, attempt.code, now)
    amount = money.format_amount(attempt.amount, invoice.currency, business.locale)
    link = links.payment(business, customer, view=f"pay/{invoice.number}")
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=f"Action needed: your payment of {amount} to {business.name}",
        text=(
            f"Hello {customer.name},\n\nWe could not charge {amount} for invoice {invoice.number} "
            f"to your card ({attempt.message or attempt.code}). "
            + (
                "Automatic payments with this card are now off. "
                if hard
                else "We will not try again. "
            )
            + f"Please pay the invoice, or add another card and turn automatic payments on "
            f"again, here:\n\n{link}\n"
        ),
        reply_to=business.contact_email or "",
    )
    events.emit(
        session,
        business=business,
        type="autopay.failed",
        data={
            "customer": customer.id,
            "invoice": invoice.id,
            "number": invoice.number,
            "attempt": attempt.attempt,
            "code": attempt.code,
            "amount": attempt.amount,
            "currency": invoice.currency,
            "autopay_ended": hard,
        },
    )
