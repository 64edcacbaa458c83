"""The PDFs a customer downloads: invoices, estimates and payment receipts, laid out like real
ones, in any script their names and lines are written in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from frontdesk import languages
from frontdesk.languages import N_, NC_, gettext
from frontdesk.models import (
    Business,
    Customer,
    Estimate,
    EstimateLine,
    EstimateStatus,
    InvoiceLine,
    RefundCause,
)
from frontdesk.rendering import format_day, method_name
from frontdesk.services import estimates, pdf_layout, statements
from frontdesk.services.businesses import today
from frontdesk.services.invoices import REFUND_COUNTS, Applied, InvoiceView
from frontdesk.services.payments import PaymentView

P = ParamSpec("P")

# An invoice's status as its PDF writes it (the display status, capitalised).
INVOICE_STATES = {
    "draft": NC_("invoice", "Draft"),
    "unpaid": N_("Unpaid"),
    "overdue": NC_("invoice", "Overdue"),
    "partially_paid": N_("Partially paid"),
    "processing": NC_("invoice", "Processing"),
    "paid": NC_("invoice", "Paid"),
    "void": N_("Void"),
}


def _for_customer(make: Callable[P, bytes]) -> Callable[P, bytes]:
    """A PDF for a customer is written in their language (languages.of_customer): every fixed
    word, amount and date. Its first two arguments are the business and the customer."""

    @wraps(make)
    def made(*args: P.args, **kwargs: P.kwargs) -> bytes:
        business, customer = args[0], args[1]
        assert isinstance(business, Business) and isinstance(customer, Customer)
        with languages.speaking(languages.of_customer(customer.language, business.language)):
            return make(*args, **kwargs)

    return made


@_for_customer
def invoice_pdf(
    business: Business,
    customer: Customer,
    view: InvoiceView,
    lines: list[InvoiceLine],
    applied: list[Applied],
) -> bytes:
    invoice = view.invoice
    pdf = pdf_layout.Document(business)
    pdf.letterhead(gettext("Invoice"), invoice.number)
    pdf.party(gettext("Bill to"), customer)
    status = view.status(today(business))
    pdf.facts(
        [
            (gettext("Issued"), format_day(invoice.issue_date, business.locale)),
            (gettext("Due"), format_day(invoice.due_date, business.locale)),
            (
                gettext("Status"),
                gettext(INVOICE_STATES.get(status, status.replace("_", " ").capitalize())),
            ),
        ]
    )
    pdf.line_table(lines, invoice)
    for entry in applied:
        pdf.total_row(
            f"{entry.label}, {pdf.day(entry.when)}",
            pdf_layout.MINUS + pdf.money(entry.amount, invoice.currency),
        )
    pdf.total_row(gettext("Amount due"), pdf.money(view.amount_due, invoice.currency), bold=True)
    pdf.notes(invoice.notes)
    return bytes(pdf.output())


ESTIMATE_STATES = {
    estimates.DisplayStatus.DRAFT: NC_("estimate", "Draft"),
    estimates.DisplayStatus.SENT: N_("Awaiting approval"),
    estimates.DisplayStatus.ACCEPTED: N_("Approved"),
    estimates.DisplayStatus.REJECTED: NC_("estimate", "Declined"),
    estimates.DisplayStatus.EXPIRED: N_("Expired"),
}


@_for_customer
def estimate_pdf(
    business: Business, customer: Customer, estimate: Estimate, lines: list[EstimateLine]
) -> bytes:
    pdf = pdf_layout.Document(business)
    pdf.letterhead(gettext("Estimate"), estimate.number)
    pdf.party(gettext("Prepared for"), customer)
    pdf.facts(
        [
            (gettext("Issued"), format_day(estimate.issue_date, business.locale)),
            (gettext("Valid until"), format_day(estimate.expires_on, business.locale)),
            (
                gettext("Status"),
                gettext(ESTIMATE_STATES[estimates.status(estimate, today(business))]),
            ),
        ]
    )
    pdf.line_table(lines, estimate)
    if estimate.decided_at:
        day = pdf.day(estimate.decided_at)
        said = {"name": estimate.signer_name, "day": day, "reason": estimate.rejection_reason}
        if estimate.status == EstimateStatus.ACCEPTED:
            decision = gettext("Approved by %(name)s on %(day)s.") % said
        else:
            decision = gettext("Declined on %(day)s.") % said
            if estimate.rejection_reason:
                decision = " ".join((decision, gettext("Reason: %(reason)s") % said))
        pdf.ln(6)
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(*pdf_layout.INK)
        pdf.paragraph(decision, 6)
    pdf.notes(estimate.notes)
    return bytes(pdf.output())


RECEIPT_STATES = {
    "refunded": N_("Refunded"),
    "partially_refunded": N_("Partially refunded"),
    "processing": N_("Processing (a bank payment on its way)"),
}


@_for_customer
def receipt_pdf(business: Business, customer: Customer, view: PaymentView) -> bytes:
    payment = view.payment
    pdf = pdf_layout.Document(business)
    pdf.letterhead(gettext("Receipt"), payment.id)
    pdf.party(gettext("Received from"), customer)
    facts = [
        (gettext("Date"), pdf.day(payment.succeeded_at or payment.created_at)),
        (gettext("Status"), gettext(RECEIPT_STATES.get(view.state, NC_("payment", "Paid")))),
        (gettext("Method"), method_name(payment.method)),
        (gettext("Invoices"), ", ".join(view.invoice_numbers) or gettext("Account payment")),
    ]
    if payment.processor_reference:
        facts.append((gettext("Reference"), payment.processor_reference))
    pdf.facts(facts)
    pdf.rule()
    pdf.ln(2)
    pdf.total_row(gettext("Paid on invoices"), pdf.money(payment.amount, payment.currency))
    if payment.tip:
        pdf.total_row(gettext("Tip"), pdf.money(payment.tip, payment.currency))
    pdf.total_row(gettext("Total paid"), pdf.money(payment.charged, payment.currency), bold=True)
    for refund in view.refunds:
        if refund.status in REFUND_COUNTS:
            day = {"day": pdf.day(refund.created_at)}
            label = (
                gettext("Refunded %(day)s (paid twice)")
                if refund.cause == RefundCause.DUPLICATE
                else gettext("Refunded %(day)s")
            )
            pdf.total_row(label % day, pdf_layout.MINUS + pdf.money(refund.amount, refund.currency))
    if view.refunded:
        pdf.total_row(gettext("Kept"), pdf.money(view.kept, payment.currency), bold=True)
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*pdf_layout.INK)
    pdf.text_line(
        gettext("Thank you for your payment to %(business)s.") % {"business": business.name}, 6
    )
    return bytes(pdf.output())


STATEMENT_TOTALS = (
    (N_("Invoiced"), ("invoice", "late_fee")),
    (NC_("amount", "Paid"), ("payment",)),
    (N_("Credits"), ("credit",)),
    (N_("Refunds"), ("refund",)),
    (N_("Voided"), ("void",)),
)


@_for_customer
def statement_pdf(business: Business, customer: Customer, statement: statements.Statement) -> bytes:
    """The month line by line with the balance after each, then opening + activity = closing."""
    pdf = pdf_layout.Document(business)
    label = statements.month_label(statement.month, business.locale)
    pdf.letterhead(gettext("Statement"), label)
    pdf.party(gettext("Statement for"), customer)

    def signed(amount: int) -> str:
        shown = pdf.money(abs(amount), statement.currency)
        return pdf_layout.MINUS + shown if amount < 0 else shown

    first, last = (format_day(day, business.locale) for day in (statement.month, statement.ends))
    pdf.facts(
        [
            (gettext("Period"), f"{first} \u2013 {last}"),
            (gettext("Opening"), signed(statement.opening)),
        ]
    )
    widths = (28, 94, 26, 26)
    headings = (gettext("Date"), gettext("Details"), gettext("Amount"), gettext("Balance"))
    pdf.headings(list(zip(widths, headings, "LLRR", strict=True)))
    for line, balance in statement.running():
        details = (
            f"{line.description} \u00b7 {line.reference}" if line.reference else line.description
        )
        pdf.wrapped_row(
            [(widths[0], format_day(line.day, business.locale), "L")],
            (widths[1], details),
            [(widths[2], signed(line.amount), "R"), (widths[3], signed(balance), "R")],
        )
    if not statement.lines:
        pdf.text_line(gettext("No activity this month."), 6)
    pdf.rule()
    pdf.ln(2)
    pdf.total_row(gettext("Opening balance"), signed(statement.opening))
    for name, kinds in STATEMENT_TOTALS:
        if any(line.kind in kinds for line in statement.lines):
            pdf.total_row(gettext(name), signed(statement.total(*kinds)))
    pdf.total_row(gettext("Closing balance"), signed(statement.closing), bold=True)
    closing = {"amount": pdf.money(abs(statement.closing), statement.currency)}
    pdf.notes(
        gettext("You owe %(amount)s.") % closing
        if statement.closing > 0
        else gettext("%(amount)s in credit.") % closing
        if statement.closing < 0
        else gettext("Nothing owed.")
    )
    return bytes(pdf.output())
