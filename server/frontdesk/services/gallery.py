"""The theme gallery's sample customer and records: built in memory and never saved, so a designer
sees every state of the portal without the business's own customers or money in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from frontdesk.models import (
    Business,
    Customer,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
)
from frontdesk.models.business import DEFAULT_TIP_BASIS_POINTS
from frontdesk.services import lines, payments, statements
from frontdesk.services.customers import Balance
from frontdesk.services.gallery_conversation import Conversation, conversation
from frontdesk.services.invoices import Applied, Charge, InvoiceView
from frontdesk.services.payments import PaymentView, Selection

# Not an id new_id() can make, so a link made for the sample (a PDF's) finds nobody if followed.
CUSTOMER_ID = "cus_sample"
LONG_NAME = "Maximiliana Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausenbergerdorff"
DECLINE = "Your card was declined."


def sample_business(business: Business) -> Business:
    """A detached copy of `business` (its name, logo, locale and theme) with every portal feature
    switched on, so every tab, button and step has its place."""
    return Business(
        **{
            **business.model_dump(),
            "allow_payments": True,
            "allow_invoices": True,
            "allow_estimates": True,
            "allow_profile_updates": True,
            "allow_service_requests": True,
            "allow_todos": True,
            "allow_messages": True,
            "allow_documents": True,
            "allow_subscriptions": True,
            "allow_booking": True,
            "allow_partial_payments": True,
            "tips_enabled": True,
            "tip_basis_points": business.tip_basis_points or list(DEFAULT_TIP_BASIS_POINTS),
            "processor_account": business.processor_account or "acct_sample",
            "charges_enabled": True,
        }
    )


def local_business(overrides: dict[str, str]) -> Business:
    """The business `frontdesk theme serve` shows: a sample one, wearing the designer's values."""
    return sample_business(
        Business(
            id="bus_sample",
            name="Greenleaf Gardening",
            slug="sample",
            currency="USD",
            theme="default",
            theme_overrides=overrides,
            publishable_key="pk_sample",
        )
    )


@dataclass(frozen=True)
class Samples:
    """One customer's account: invoices in each status, estimates, payments and saved cards, and
    what the customer and the business say to each other (requests, to-dos, messages)."""

    business: Business
    customer: Customer
    long_named: Customer
    today: date
    overdue: InvoiceView  # partly paid before it fell due, so a payment shows against it
    partly_paid: InvoiceView
    unpaid: InvoiceView
    paid: InvoiceView
    invoice_lines: list[InvoiceLine]
    applied: list[Applied]
    estimates: list[Estimate]
    charges: list[Charge]
    history: list[PaymentView]
    methods: list[PaymentMethod]
    tip_bp: int
    tip: int
    conversation: Conversation

    @property
    def open(self) -> list[InvoiceView]:
        """The open invoices, oldest due first, as the balance and the pay step list them."""
        return [self.overdue, self.partly_paid, self.unpaid]

    @property
    def every_invoice(self) -> list[InvoiceView]:
        """Newest first, as the invoice list shows them."""
        return [self.unpaid, self.partly_paid, self.overdue, self.paid]

    def owing(self) -> Balance:
        return Balance(self.selection().amount, self.business.currency, 0, self.open)

    def in_credit(self) -> Balance:
        return Balance(-2_500, self.business.currency, 2_500, [])

    def settled(self) -> Balance:
        return Balance(0, self.business.currency, 0, [])

    def selection(self) -> Selection:
        return Selection([(view.invoice, view.amount_due) for view in self.open])

    def payment(self, status: PaymentStatus, failure: str = "") -> Payment:
        """The payment of the whole balance with the tip, as the pay step starts it."""
        amount = self.selection().amount
        return _payment(self.business, self.today, amount, self.tip, status, failure)


def samples(business: Business, today: date) -> Samples:
    """The sample account, dated around `today`, in the currency of `business` (as
    sample_business makes it: with tips on)."""
    overdue, invoice_lines = _invoice(business, "INV-1042", today - timedelta(days=40), 30)
    partly_paid, _ = _invoice(business, "INV-1043", today - timedelta(days=12), 30)
    unpaid, _ = _invoice(business, "INV-1044", today - timedelta(days=2), 14)
    paid, _ = _invoice(business, "INV-1039", today - timedelta(days=70), 30, InvoiceStatus.PAID)
    part, other_part = 5_000, 3_000
    succeeded = PaymentStatus.SUCCEEDED
    earlier = _payment(business, today - timedelta(days=25), part, 0, succeeded)
    later = _payment(business, today - timedelta(days=6), other_part, 0, succeeded)
    settled = _payment(business, today - timedelta(days=55), paid.total, 0, succeeded)
    refunded = _payment(business, today - timedelta(days=90), 7_500, 0, succeeded, bank=True)
    refund = Refund(
        business_id=business.id,
        payment_id=refunded.id,
        amount=2_500,
        currency=business.currency,
        status=succeeded,
        idempotency_key="sample",
        created_at=_moment(today - timedelta(days=80)),
    )
    tip_bp = business.tip_basis_points[0] if business.tip_basis_points else 0
    owed = overdue.total - part + partly_paid.total - other_part + unpaid.total
    customer = _customer(business, "Jordan Rivera")
    return Samples(
        business=business,
        customer=customer,
        long_named=_customer(business, LONG_NAME),
        today=today,
        overdue=InvoiceView(overdue, part),
        partly_paid=InvoiceView(partly_paid, other_part),
        unpaid=InvoiceView(unpaid, 0),
        paid=InvoiceView(paid, paid.total),
        invoice_lines=invoice_lines,
        applied=[Applied(_moment(today - timedelta(days=25)), "Payment (card)", part)],
        estimates=[
            _estimate(business, "EST-107", today - timedelta(days=4), EstimateStatus.SENT),
            _estimate(business, "EST-103", today - timedelta(days=60), EstimateStatus.ACCEPTED),
            _estimate(business, "EST-101", today - timedelta(days=120), EstimateStatus.REJECTED),
        ],
        charges=[
            Charge(row.description, row.amount, row.tax_amount, "INV-1044", unpaid.issue_date)
            for row in invoice_lines
        ],
        history=[
            PaymentView(later, ["INV-1043"], []),
            PaymentView(earlier, ["INV-1042"], []),
            PaymentView(settled, ["INV-1039"], []),
            PaymentView(refunded, ["INV-1031"], [refund]),
        ],
        methods=[
            _card(business, "visa", "4242", default=True, today=today),
            _card(business, "mastercard", "4444", default=False, today=today),
        ],
        tip_bp=tip_bp,
        tip=payments.tip_for(business, owed, tip_bp),
        conversation=conversation(business, customer, today, linked=unpaid),
    )


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(15, 30), tzinfo=UTC)


def _customer(business: Business, name: str) -> Customer:
    return Customer(
        id=CUSTOMER_ID,
        business_id=business.id,
        name=name,
        email="jordan.rivera@example.com",
        phone="+1 555 010 2200",
        address_line1="18 Orchard Lane",
        city="Portland",
        region="OR",
        postal_code="97201",
        country="US",
    )


def _invoice(
    business: Business,
    number: str,
    issued: date,
    terms: int,
    status: InvoiceStatus = InvoiceStatus.OPEN,
) -> tuple[Invoice, list[InvoiceLine]]:
    invoice = Invoice(
        business_id=business.id,
        customer_id=CUSTOMER_ID,
        number=number,
        status=status,
        currency=business.currency,
        issue_date=issued,
        due_date=issued + timedelta(days=terms),
        notes="Thank you for your business.",
    )
    typed = [
        lines.LineInput("Spring lawn care visit", 8_500, Decimal(2), tax_rate_bp=825),
        lines.LineInput("Mulch, premium hardwood (bags)", 1_250, Decimal(4)),
    ]
    rows = lines.build(
        typed,
        lambda: InvoiceLine(
            business_id=business.id, invoice_id=invoice.id, description="", unit_amount=0
        ),
    )
    lines.set_totals(invoice, rows)
    return invoice, rows


def _estimate(business: Business, number: str, issued: date, status: EstimateStatus) -> Estimate:
    estimate = Estimate(
        business_id=business.id,
        customer_id=CUSTOMER_ID,
        number=number,
        status=status,
        currency=business.currency,
        issue_date=issued,
        expires_on=issued + timedelta(days=30),
        subtotal=120_000,
        tax_total=9_900,
        total=129_900,
        notes="Includes taking away the old patio stones.",
    )
    if status != EstimateStatus.SENT:
        estimate.decided_at = _moment(issued + timedelta(days=3))
    if status == EstimateStatus.ACCEPTED:
        estimate.signer_name = "Jordan Rivera"
    return estimate


def _payment(
    business: Business,
    day: date,
    amount: int,
    tip: int,
    status: PaymentStatus,
    failure: str = "",
    *,
    bank: bool = False,
) -> Payment:
    moment = _moment(day)
    return Payment(
        id=f"pay_sample_{day:%Y%m%d}_{status}",
        business_id=business.id,
        customer_id=CUSTOMER_ID,
        amount=amount,
        tip=tip,
        currency=business.currency,
        method=PaymentMethodKind.US_BANK_ACCOUNT if bank else PaymentMethodKind.CARD,
        status=status,
        idempotency_key="sample",
        failure_message=failure,
        created_at=moment,
        succeeded_at=moment if status == PaymentStatus.SUCCEEDED else None,
    )


def _card(
    business: Business, brand: str, last4: str, *, default: bool, today: date
) -> PaymentMethod:
    return PaymentMethod(
        business_id=business.id,
        customer_id=CUSTOMER_ID,
        processor_id=f"pm_sample_{last4}",
        brand=brand,
        last4=last4,
        exp_month=8,
        exp_year=today.year + 3,
        is_default=default,
        consent_text=payments.consent_for(business),
        consented_at=_moment(today - timedelta(days=100)),
    )


def sample_statements(business: Business, today: date) -> list[statements.Statement]:
    """The last two months of a sample account, newest first: one closing owed, one in credit."""
    last = statements.previous_month(statements.month_of(today))
    before = statements.previous_month(last)

    def line(
        month: date, day: int, kind: str, number: str, said: str, amount: int
    ) -> statements.Line:
        return statements.Line(month.replace(day=day), kind, number, said, amount)

    account = [
        line(before, 3, "invoice", "INV-1040", "Invoice", 9500),
        line(before, 9, "credit", "", "Credit for a visit missed on account of rain", -1250),
        line(before, 12, "payment", "INV-1040", "Payment, Card", -9500),
        line(last, 2, "invoice", "INV-1041", "Invoice", 12000),
        line(last, 20, "payment", "INV-1041", "Payment, Card", -5000),
    ]
    return [statements.build(account, month, business.currency) for month in (last, before)]
