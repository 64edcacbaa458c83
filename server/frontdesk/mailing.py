"""Emails the outbox sends: the text with the business's branded HTML beside it, PDFs made when
the mail goes (an estimate, a receipt, a signed document) from what the database holds then, and
delivery over SMTP (or into the dashboard's outbox when no server is configured)."""

from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlmodel import col, select

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import OutboxItem, Payment, StaffRole, StaffUser
from frontdesk.rendering import templates
from frontdesk.services import attachments, businesses, customers, notices, payments, pdfs, themes
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.jobs import JobContext

# The outbox runner's log: these are its sends.
log = logging.getLogger("frontdesk.jobs")


def _message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = make_msgid(domain="frontdesk.localhost")
    if payload.get("reply_to"):
        message["Reply-To"] = payload["reply_to"]
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message


def _send(settings: Settings, message: EmailMessage) -> None:
    if not settings.smtp_url:
        if settings.environment == "demo":
            # The demo keeps mail in the outbox, where the dashboard shows it.
            log.info("demo mail kept in the outbox: %s", message["Subject"])
            return
        raise RuntimeError("FRONTDESK_SMTP_URL is not set; mail waits until it is")
    deliver(settings.smtp_url, message)


_URL_LINE = re.compile(r"^https?://\S+$")


def written_in(payload: dict[str, Any]) -> str:
    """The language a queued mail was written in (outbox.email records it); older mail, English."""
    return str(payload.get("language") or languages.SOURCE)


def branded(business_id: str, payload: dict[str, Any], context: JobContext) -> dict[str, Any]:
    """The mail with the business's HTML part (name, logo, accent) and its Reply-To added, in the
    language the mail was written in."""
    with languages.speaking(written_in(payload)):
        return _branded(business_id, payload, context)


def _branded(business_id: str, payload: dict[str, Any], context: JobContext) -> dict[str, Any]:
    payload = dict(payload)
    with context.db.session(business_id) as session:
        business = businesses.get(session, business_id)
        owner = session.exec(
            select(StaffUser.email)
            .where(StaffUser.role == StaffRole.OWNER, col(StaffUser.disabled).is_(False))
            .order_by(col(StaffUser.created_at))
        ).first()
    payload.setdefault("reply_to", "")
    payload["reply_to"] = payload["reply_to"] or owner or ""
    if not payload.get("html"):
        paragraphs = []
        for block in str(payload["text"]).split("\n\n"):
            block = block.strip()
            if _URL_LINE.match(block):
                paragraphs.append({"link": block, "lines": []})
            elif block:
                paragraphs.append({"link": "", "lines": block.splitlines()})
        logo = (
            f"{context.settings.base_url}/portal/{business.publishable_key}/logo"
            if business.logo_url
            else ""
        )
        payload["html"] = templates.get_template("emails/message.html").render(
            business=business,
            logo=logo,
            accent=themes.values_for(business).get("accent", "#2456d6"),
            paragraphs=paragraphs,
        )
    return payload


def send_email(item: OutboxItem, context: JobContext) -> None:
    message = _message(context.settings, branded(item.business_id, item.payload, context))
    if item.payload.get("attachment"):
        with (
            context.db.session(item.business_id) as session,
            languages.speaking(written_in(item.payload)),
        ):
            business = businesses.get(session, item.business_id)
            pdf, name = notices.attachment(
                session,
                business=business,
                reference=item.payload["attachment"],
                store=attachments.store_for(context.settings),
            )
        # A PDF, or an appointment's calendar file (RFC 5545's text/calendar).
        kind = ("text", "calendar") if name.endswith(".ics") else ("application", "pdf")
        message.add_attachment(pdf, maintype=kind[0], subtype=kind[1], filename=name)
    _send(context.settings, message)


def send_receipt(item: OutboxItem, context: JobContext) -> None:
    """The payment receipt, with its PDF made at sending time from what the database holds."""
    with context.db.session(item.business_id) as session:
        business = businesses.get(session, item.business_id)
        payment = session.get(Payment, item.payload["payment"])
        if payment is None:
            raise LookupError(f"payment {item.payload['payment']} is gone")
        customer = customers.get(session, business=business, customer_id=payment.customer_id)
        view = payments.get_for_customer(
            session, business=business, customer=customer, payment_id=payment.id
        )
    # The customer's language, recorded when the receipt was queued (payments.apply).
    with languages.speaking(written_in(item.payload)):
        total = money.format_amount(payment.charged, payment.currency, business.locale)
        invoices = ", ".join(view.invoice_numbers) or gettext("your account")
        text = gettext(
            "Hello %(name)s,\n\nThank you: %(business)s received %(total)s for %(invoices)s. "
            "The receipt is attached."
        ) % {"name": customer.name, "business": business.name, "total": total, "invoices": invoices}
        # Sent after a refund (a retry, a duplicate refunded at once): say so, beside the PDF.
        if view.refunded:
            refunded = money.format_amount(view.refunded, payment.currency, business.locale)
            text += " " + gettext(
                "Since then %(refunded)s went back to you; the receipt shows it."
            ) % {"refunded": refunded}
        subject = gettext("Receipt for your payment of %(total)s to %(business)s") % {
            "total": total,
            "business": business.name,
        }
        message = _message(
            context.settings,
            branded(
                item.business_id,
                {
                    "to": customer.email,
                    "subject": subject,
                    "text": text + "\n",
                    "language": written_in(item.payload),
                },
                context,
            ),
        )
        pdf = pdfs.receipt_pdf(business, customer, view)
    message.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=f"receipt-{payment.id}.pdf",
    )
    _send(context.settings, message)


def deliver(smtp_url: str, message: EmailMessage) -> None:
    url = urlsplit(smtp_url)
    host = url.hostname or "localhost"
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, url.port or 465, timeout=30)
    else:
        client = smtplib.SMTP(host, url.port or 25, timeout=30)
    with client:
        client.ehlo()
        if url.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls()
            client.ehlo()
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
