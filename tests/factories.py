"""Plain functions that make test records through the real services."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from frontdesk.db import Database
from frontdesk.models import (
    Attachment,
    Business,
    Customer,
    Document,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    PaymentStatus,
)
from frontdesk.services import businesses, customers, invoices
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.lines import LineInput

PASSWORD = "correct horse battery"


def make_business(db: Database, **overrides: Any) -> NewBusiness:
    fields: dict[str, Any] = {
        "name": f"Business {secrets.token_hex(3)}",
        "owner_email": f"owner-{secrets.token_hex(4)}@example.com",
        "owner_password": PASSWORD,
        "currency": "USD",
    }
    fields.update(overrides)
    # A business given an account is one whose onboarding is done: it takes charges.
    fields.setdefault("charges_enabled", bool(fields.get("processor_account")))
    with db.unscoped("tests create businesses") as session:
        return businesses.create(session, **fields)


def make_customer(session: Session, business: Business, **overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "name": "Casey Customer",
        "email": f"casey-{secrets.token_hex(4)}@example.com",
    }
    fields.update(overrides)
    customer = customers.create(session, business=business, **fields)
    session.flush()
    return customer


def make_invoice(
    session: Session,
    business: Business,
    customer: Customer,
    *,
    amounts: tuple[int, ...] = (10000,),
    tax_rate_bp: int | None = None,
    due_in_days: int = 14,
    send: bool = True,
    **overrides: Any,
) -> Invoice:
    today = date.today()
    invoice = invoices.create(
        session,
        business=business,
        customer=customer,
        lines=[
            LineInput(f"Line {i + 1}", amount, Decimal(1), tax_rate_bp=tax_rate_bp)
            for i, amount in enumerate(amounts)
        ],
        issue_date=overrides.pop("issue_date", today),
        due_date=overrides.pop("due_date", today + timedelta(days=due_in_days)),
        send=send,
        **overrides,
    )
    session.flush()
    return invoice


def make_payment(
    session: Session,
    business: Business,
    customer: Customer,
    invoice: Invoice,
    amount: int,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> Payment:
    payment = Payment(
        business_id=business.id,
        customer_id=customer.id,
        amount=amount,
        currency=business.currency,
        method=PaymentMethodKind.CARD,
        status=status,
        idempotency_key=secrets.token_hex(8),
    )
    session.add(payment)
    session.add(
        PaymentAllocation(
            business_id=business.id, payment_id=payment.id, invoice_id=invoice.id, amount=amount
        )
    )
    session.flush()
    return payment


def make_document_to_sign(
    session: Session, business: Business, customer: Customer, *, title: str
) -> Document:
    """A document shared with the customer for their signature, its file only a record (no
    bytes stored): for tests of who sees it, not of its content."""
    file = Attachment(
        business_id=business.id,
        customer_id=customer.id,
        owner_kind="document",
        owner_id="",
        filename="contract.pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
        storage_key="test/contract.pdf",
        created_by_kind="staff",
        created_by_id="",
    )
    session.add(file)
    session.flush()
    document = Document(
        business_id=business.id,
        customer_id=customer.id,
        title=title,
        requires_signature=True,
        attachment_id=file.id,
        sha256=file.sha256,
    )
    session.add(document)
    return document
