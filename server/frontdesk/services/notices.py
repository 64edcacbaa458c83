"""Telling a customer that something new awaits them, with their link into the portal."""

from __future__ import annotations

from sqlmodel import Session

from frontdesk import languages, money
from frontdesk.languages import gettext
from frontdesk.models import Business, Customer, Estimate, Invoice
from frontdesk.services import (
    audit,
    booking,
    customers,
    documents,
    estimates,
    invoices,
    outbox,
    pdf_layout,
    pdfs,
    statements,
)
from frontdesk.services.links import Links
from frontdesk.storage import Storage


def send(
    session: Session,
    *,
    business: Business,
    document: Invoice | Estimate,
    links: Links,
    actor: audit.Actor,
) -> bool:
    """Send an invoice or an estimate; the first time a draft goes out, the customer is told.
    Was it a draft?"""
    was_draft = document.status == "draft"
    if isinstance(document, Invoice):
        invoices.send(session, business=business, invoice=document)
    else:
        estimates.send(session, business=business, estimate=document)
    if was_draft:
        document_sent(session, business=business, document=document, links=links)
    kind = "invoice" if isinstance(document, Invoice) else "estimate"
    actor.record(
        session,
        business.id,
        f"{kind}.send",
        "customer",
        document.customer_id,
        **{kind: document.number},
    )
    return was_draft


def document_sent(
    session: Session,
    *,
    business: Business,
    document: Invoice | Estimate,
    links: Links,
) -> None:
    """Email the customer about a new invoice or estimate, with a link that signs them in at it
    (so the first one is also their invitation), an estimate with its PDF attached. A customer
    without portal access gets nothing."""
    customer = customers.get(session, business=business, customer_id=document.customer_id)
    if not customer.portal_enabled:
        return
    view = (
        f"pay/{document.number}" if isinstance(document, Invoice) else f"estimate/{document.number}"
    )
    link = links.payment(business, customer, view=view)
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {
            "name": customer.name,
            "business": business.name,
            "number": document.number,
            "total": money.format_amount(document.total, document.currency, business.locale),
        }
        if isinstance(document, Invoice):
            said["due"] = outbox.written_day(document.due_date, business.locale)
            subject = gettext("Invoice %(number)s from %(business)s: %(total)s")
            news = gettext(
                "%(business)s sent you invoice %(number)s for %(total)s. It is due on %(due)s. "
                "View and pay it here:"
            )
        else:
            said["valid"] = outbox.written_day(document.expires_on, business.locale)
            subject = gettext("Estimate %(number)s from %(business)s: %(total)s")
            news = gettext(
                "%(business)s sent you estimate %(number)s for %(total)s. It is valid until "
                "%(valid)s; the PDF is attached. Review and approve it here:"
            )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=subject % said,
            text=_written(said, news % said, link),
            attachment="" if isinstance(document, Invoice) else f"estimate:{document.id}",
        )


def _written(said: dict[str, str], news: str, link: str) -> str:
    """Hello, the news, the link and its warning: the email every notice here sends."""
    return "".join(
        (
            gettext("Hello %(name)s,") % said,
            f"\n\n{news}\n\n{link}\n\n",
            gettext("The link opens your account: keep it to yourself."),
            "\n",
        )
    )


def attachment(
    session: Session, *, business: Business, reference: str, store: Storage
) -> tuple[bytes, str]:
    """The PDF an email names (`estimate:est_...`, as `document_sent` queues it, a signed
    document's copy, `document:doc_...`, or a monthly statement) and its file name, made or read
    when the email goes."""
    kind, _, estimate_id = reference.partition(":")
    if kind == booking.news.ATTACHMENT:  # appointment:<id>, as booking.news queues it
        return booking.calendar_file(session, business=business, appointment_id=estimate_id)
    if kind == documents.SIGNED_COPY:
        found = documents.get(session, document_id=estimate_id)
        return documents.signed_copy(session, document=found, store=store)
    if kind == "statement":  # statement:<customer>:<month>, as statement_mail queues it
        customer_id, _, month = estimate_id.partition(":")
        customer = customers.get(session, business=business, customer_id=customer_id)
        statement = statements.compute(
            session, business=business, customer=customer, month=statements.parse_month(month)
        )
        return pdfs.statement_pdf(business, customer, statement), f"statement-{month}.pdf"
    if kind != "estimate":
        raise LookupError(f"no attachment of kind {kind!r}")
    estimate = estimates.get_by_reference(session, business=business, reference=estimate_id)
    customer = customers.get(session, business=business, customer_id=estimate.customer_id)
    lines = estimates.lines(session, estimate=estimate)
    pdf = pdfs.estimate_pdf(business, customer, estimate, lines)
    return pdf, f"{pdf_layout.plain_name(estimate.number)}.pdf"


def invitation(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    links: Links,
    actor: audit.Actor,
) -> bool:
    """Invite the customer to their portal (sent by hand from the dashboard). False, and nothing
    sent, when their access is off."""
    if not customer.portal_enabled:
        return False
    link = links.payment(business, customer, view="home")
    with languages.speaking(languages.of_customer(customer.language, business.language)):
        said = {"name": customer.name, "business": business.name}
        news = gettext(
            "%(business)s invites you to your account: see your balance, invoices and "
            "estimates, pay, and keep your details up to date."
        )
        outbox.email(
            session,
            business=business,
            to=customer.email,
            subject=gettext("Your account with %(business)s") % said,
            text=_written(said, news % said, link),
        )
    actor.record(session, business.id, "customer.invited", "customer", customer.id)
    return True
