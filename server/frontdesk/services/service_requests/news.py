"""Who hears of a change to a request: the public timeline, the business's system (webhooks),
the business by email and the customer by email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from frontdesk import languages
from frontdesk.languages import gettext
from frontdesk.models import (
    Business,
    Customer,
    ServiceRequest,
    ServiceRequestEvent,
)
from frontdesk.services import audit, events, outbox
from frontdesk.services.links import Links


def add_event(
    session: Session, request: ServiceRequest, actor: audit.Actor, now: datetime, **what: str
) -> None:
    """A timeline entry by `actor` (a status it moved to, some text, or both)."""
    session.add(
        ServiceRequestEvent(
            business_id=request.business_id,
            service_request_id=request.id,
            author_kind=str(actor.kind),
            author_id=actor.id,
            created_at=now,
            **what,
        )
    )
    request.updated_at = now


def announce(
    session: Session, business: Business, request: ServiceRequest, type: str, *, change: str
) -> None:
    data = {
        "service_request": request.id,
        "number": request.number,
        "customer": request.customer_id,
        "status": str(request.status),
        "change": change,
    }
    events.emit(session, business=business, type=type, data=data)


def tell_business(session: Session, business: Business, *, subject: str, text: str) -> None:
    """The address the business gave its customers, else its owners."""
    with outbox.in_house():
        if business.contact_email:
            outbox.email(
                session, business=business, to=business.contact_email, subject=subject, text=text
            )
        else:
            events.email_owners(session, business=business, subject=subject, text=text)


def tell_customer(
    session: Session,
    business: Business,
    request: ServiceRequest,
    links: Links,
    news: str | Callable[[], str],
) -> None:
    """An email with a link that signs the customer in at the request; none without access.
    `news` as a callable is said in the customer's language."""
    customer = session.get(Customer, request.customer_id)
    if customer is None or not customer.portal_enabled:
        return
    link = links.payment(business, customer, view=f"request/{request.number}")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {"name": customer.name, "business": business.name, "number": request.number}
        text = "".join(
            (
                gettext("Hello %(name)s,") % said,
                "\n\n",
                news() if callable(news) else news,
                "\n\n",
                gettext("See your request here:"),
                f"\n\n{link}\n\n",
                gettext("The link opens your account: keep it to yourself."),
                "\n",
            )
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Your request %(number)s with %(business)s") % said,
            text=text,
        )
