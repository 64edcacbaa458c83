"""The email notice of a message left unread: once per unread burst, to whichever side has not
read it (the customer, or the business's inbox)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from frontdesk import languages
from frontdesk.languages import gettext
from frontdesk.models import AuthorKind, Business, Customer, Message
from frontdesk.services import audit, customers, events, outbox
from frontdesk.services.links import Links
from frontdesk.services.messages import BUSINESS_SIDE


def notify(
    session: Session,
    *,
    business: Business,
    message_id: str,
    links: Links,
    now: datetime,
) -> bool:
    """When a message's notice falls due: if it is still unread and its unread burst has not
    been noticed yet, email the other side once (all of the burst, with a way to reply). Did
    it?"""
    message = session.get(Message, message_id)
    if message is None:
        return False
    to_customer = message.author_kind in BUSINESS_SIDE
    read = Message.read_by_customer_at if to_customer else Message.read_by_staff_at
    side = (
        col(Message.author_kind).in_(BUSINESS_SIDE)
        if to_customer
        else (col(Message.author_kind) == AuthorKind.CUSTOMER)
    )
    burst = list(
        session.exec(
            select(Message)
            .where(Message.customer_id == message.customer_id, side, col(read).is_(None))
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
    )
    if message.id not in {m.id for m in burst} or any(m.notified_at for m in burst):
        return False
    customer = customers.get(session, business=business, customer_id=message.customer_id)
    if to_customer and not customer.portal_enabled:
        return False
    for unread in burst:
        unread.notified_at = now
    if to_customer:
        with languages.speaking(languages.of_customer(customer.language, business.language)):
            _email_customer(session, business, customer, _said(burst), links)
    else:
        with outbox.in_house():
            _email_business(session, business, customer, _said(burst), links)
    audit.record(
        session,
        business=business,
        actor_type="system",
        action="message.notice_sent",
        target_type="customer",
        target_id=customer.id,
        detail={"to": "customer" if to_customer else "business", "messages": len(burst)},
    )
    return True


def _said(burst: list[Message]) -> str:
    """The messages one after the other, in the language being spoken where one has no words."""
    return "\n\n".join(m.body or gettext("(an attachment)") for m in burst)


def _email_customer(
    session: Session, business: Business, customer: Customer, said: str, links: Links
) -> None:
    link = links.payment(business, customer, view="messages")
    words = {"name": customer.name, "business": business.name}
    text = "".join(
        (
            gettext("Hello %(name)s,") % words,
            "\n\n",
            gettext("%(business)s wrote to you:") % words,
            f"\n\n{said}\n\n",
            gettext("Read and reply here:"),
            f"\n\n{link}\n\n",
            gettext("The link opens your account: keep it to yourself."),
            "\n",
        )
    )
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=gettext("New message from %(business)s") % words,
        text=text,
    )


def _email_business(
    session: Session, business: Business, customer: Customer, said: str, links: Links
) -> None:
    subject = f"{business.name}: new message from {customer.name}"
    text = (
        f"{customer.name} ({customer.email}) wrote:\n\n{said}\n\nReply in your inbox:\n\n"
        f"{links.base_url}/dashboard/messages/{customer.id}\n"
    )
    if business.contact_email:
        outbox.email(
            session, business=business, to=business.contact_email, subject=subject, text=text
        )
    else:
        events.email_owners(session, business=business, subject=subject, text=text)
