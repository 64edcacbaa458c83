"""What the customer and the business are told when an automatic payment fails: a retry coming
(with its day), or no more tries (one email with the link to pay or change the card, the webhook
`autopay.failed`, and automatic payments ended when the card can never be charged again)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from frontdesk import languages, money
from frontdesk.languages import gettext
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
    upcoming = next_attempt(business, invoice, [attempt])
    link = links.payment(business, customer, view=f"pay/{invoice.number}")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "number": invoice.number,
            "amount": money.format_amount(attempt.amount, invoice.currency, business.locale),
            "why": attempt.message or gettext("no reason given"),
            "link": link,
        }
        if upcoming:
            # The day of the next try where the business is, as its customers count days.
            local = upcoming.due_at.astimezone(ZoneInfo(business.time_zone))
            said["day"] = outbox.written_month_day(
                upcoming.due_at if languages.current() == languages.SOURCE else local,
                business.locale,
            )
            news = gettext(
                "We tried to charge %(amount)s for invoice %(number)s to your card and it was "
                "declined (%(why)s). We will try again on %(day)s. To pay now or use another "
                "card, open:"
            )
        else:
            news = gettext(
                "We tried to charge %(amount)s for invoice %(number)s to your card and it was "
                "declined (%(why)s). We will try again later. To pay now or use another card, "
                "open:"
            )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext(
                "Your automatic payment of %(amount)s to %(business)s did not go through"
            )
            % said,
            text="".join((gettext("Hello %(name)s,") % said, "\n\n", news % said, f"\n\n{link}\n")),
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
    link = links.payment(business, customer, view=f"pay/{invoice.number}")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "number": invoice.number,
            "amount": money.format_amount(attempt.amount, invoice.currency, business.locale),
            "why": attempt.message or attempt.code,
        }
        text = " ".join(
            (
                gettext(
                    "We could not charge %(amount)s for invoice %(number)s to your card (%(why)s)."
                )
                % said,
                gettext("Automatic payments with this card are now off.")
                if hard
                else gettext("We will not try again."),
                gettext(
                    "Please pay the invoice, or add another card and turn automatic payments on "
                    "again, here:"
                ),
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Action needed: your payment of %(amount)s to %(business)s") % said,
            text="".join((gettext("Hello %(name)s,") % said, "\n\n", text, f"\n\n{link}\n")),
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
