"""Telling a customer that something new awaits them, with their link into the portal."""

from __future__ import annotations

from sqlmodel import Session

from frontdesk import money
from frontdesk.models import Business, Customer, Estimate, Invoice
from frontdesk.services import (
    audit,
    booking,
    customers,
    documents,
    estimates,
    invoices,
    outbox,
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
    total = money.format_amount(document.total, document.currency, business.locale)
    if isinstance(document, Invoice):
        kind, view = "invoice", f"pay/{document.number}"
        ask = f"It is due on {document.due_date:%B %-d, %Y}. View and pay it here:"
    else:
        kind, view = "estimate", f"estimate/{document.number}"
        ask = (
            f"It is valid until {document.expires_on:%B %-d, %Y}; the PDF is attached. "
            "Review and approve it here:"
        )
    link = links.payment(business, customer, view=view)
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=f"{kind.capitalize()} {document.number} from {business.name}: {total}",
        text=(
            f"Hello {customer.name},\n\n{business.name} sent you {kind} {document.number} for "
            f"{total}. {ask}\n\n{link}\n\nThe link opens your account: keep it to yourself.\n"
        ),
        attachment=f"estimate:{document.id}" if kind == "estimate" else "",
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
    return pdf, f"{pdfs.plain_name(estimate.number)}.pdf"


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
    outbox.email(
        session,
        business=business,
        to=customer.email,
        subject=f"Your account with {business.name}",
        text=(
            f"Hello {customer.name},\n\n{business.name} invites you to your account: see your "
            f"balance, invoices and estimates, pay, and keep your details up to date.\n\n"
            f"{link}\n\nThe link opens your account: keep it to yourself.\n"
        ),
    )
    actor.record(session, business.id, "customer.invited", "customer", customer.id)
    return True
