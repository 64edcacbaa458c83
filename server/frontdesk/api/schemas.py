"""The integration API's request and response bodies. The OpenAPI document is generated from these,
and every response is serialised through them, so the document cannot drift from what is sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from frontdesk.api.fields import (
    DocumentNumber,
    Email,
    EndpointUrl,
    ExternalId,
    Minor,
    Name,
    Quantity,
)
from frontdesk.services.webhooks import EVENT_TYPES


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- customers -----------------------------------------------------------------------------------


class Address(Input):
    line1: Annotated[str, StringConstraints(max_length=200)] = ""
    line2: Annotated[str, StringConstraints(max_length=200)] = ""
    city: Annotated[str, StringConstraints(max_length=100)] = ""
    region: Annotated[str, StringConstraints(max_length=100)] = ""
    postal_code: Annotated[str, StringConstraints(max_length=20)] = ""
    country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$")] = ""


# "" for none; a well-formed code we have no catalogue for is refused with the list we have.
Language = Annotated[str, StringConstraints(pattern=r"^([a-z]{2,3})?$")]


class CustomerCreate(Input):
    name: Name
    email: Email
    external_id: ExternalId | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    address: Address = Address()
    portal_enabled: bool = True
    language: Language = ""


class CustomerUpdate(Input):
    name: Name | None = None
    email: Email | None = None
    external_id: ExternalId | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    address: Address | None = None
    portal_enabled: bool | None = None
    language: Language | None = None


class AddressOut(Output):
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


class Autopay(Output):
    """Automatic payments, which only the customer turns on (in their portal)."""

    status: Literal["on", "off"]
    payment_method: str | None = Field(description="The saved card charged, when on.")
    since: datetime | None = Field(description="When the customer agreed, when on.")


class Customer(Output):
    id: str
    object: Literal["customer"] = "customer"
    external_id: str | None
    name: str
    email: str
    phone: str
    address: AddressOut
    portal_enabled: bool
    language: str | None = Field(description="Their portal's, emails' and PDFs' (es), if set.")
    balance: int = Field(description="Owed (positive) or held in credit (negative), minor units.")
    currency: str
    autopay: Autopay
    created_at: datetime


# --- invoices and estimates ----------------------------------------------------------------------


class LineIn(Input):
    description: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    quantity: Quantity = Decimal(1)
    unit_amount: Minor
    tax_rate_bp: Annotated[int, Field(ge=0, le=10_000, description="825 = 8.25 %.")] | None = None
    tax_amount: Minor | None = Field(
        default=None, description="A fixed tax figure instead of a rate."
    )


class Line(Output):
    description: str
    quantity: Decimal
    unit_amount: int
    tax_rate_bp: int | None
    amount: int
    tax_amount: int


class InvoiceCreate(Input):
    customer: str = Field(description="Our id, or `external:<your id>`.")
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=200)]
    due_date: date
    issue_date: date | None = Field(default=None, description="Today when left out.")
    number: DocumentNumber | None = None
    external_id: ExternalId | None = None
    notes: Annotated[str, StringConstraints(max_length=4000)] = ""
    send: bool = Field(default=False, description="Open it at once: the customer sees it.")


class Invoice(Output):
    id: str
    object: Literal["invoice"] = "invoice"
    number: str
    external_id: str | None
    customer: str
    status: Literal["draft", "unpaid", "overdue", "partially_paid", "processing", "paid", "void"]
    currency: str
    issue_date: date
    due_date: date
    subtotal: int
    tax_total: int
    total: int
    amount_paid: int
    amount_due: int
    notes: str
    lines: list[Line]
    sent_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    created_at: datetime


class EstimateCreate(Input):
    customer: str = Field(description="Our id, or `external:<your id>`.")
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=200)]
    expires_on: date
    issue_date: date | None = Field(default=None, description="Today when left out.")
    external_id: ExternalId | None = None
    notes: Annotated[str, StringConstraints(max_length=4000)] = ""
    send: bool = Field(default=False, description="Send it at once: the customer can decide.")


class Estimate(Output):
    id: str
    object: Literal["estimate"] = "estimate"
    number: str
    external_id: str | None
    customer: str
    status: Literal["draft", "sent", "accepted", "rejected", "expired"]
    currency: str
    issue_date: date
    expires_on: date
    subtotal: int
    tax_total: int
    total: int
    notes: str
    lines: list[Line]
    sent_at: datetime | None
    decided_at: datetime | None
    signer_name: str
    rejection_reason: str
    created_at: datetime


# --- payments ------------------------------------------------------------------------------------


class Allocation(Output):
    invoice: str
    amount: int


class Refund(Output):
    id: str
    object: Literal["refund"] = "refund"
    payment: str
    amount: int
    currency: str
    status: Literal["pending", "processing", "succeeded", "failed", "canceled"]
    reason: str
    cause: Literal["staff", "api", "duplicate"] = Field(
        description="Who asked for it: staff, an API call, or the duplicate rule (a second "
        "payment for invoices another payment had settled)."
    )
    invoice_effect: Literal["credit", "reopen", "none"] = Field(
        description="credit: the customer no longer owes the refunded part (a credit note keeps "
        "the invoice settled); reopen: they still owe it (the invoice is open again for it); "
        "none: it settled nothing (a duplicate, a tip)."
    )
    collided_with: str | None = Field(
        description="For the duplicate rule: the payment that had settled the invoices first."
    )
    application_fee_refunded: int = Field(
        description="The platform's fee given back with this refund, in proportion to it."
    )
    created_at: datetime


class Payment(Output):
    id: str
    object: Literal["payment"] = "payment"
    customer: str
    amount: int = Field(description="Applied to invoices, minor units.")
    tip: int = Field(description="On top of the amount; never counts against a balance.")
    currency: str
    method: Literal["card", "us_bank_account", "cash", "cheque", "paypal"]
    status: Literal["pending", "processing", "succeeded", "failed", "canceled"]
    initiated_by: Literal["customer", "staff", "api"]
    application_fee: int = Field(
        description="The platform's fee, taken by Stripe from this charge (minor units)."
    )
    description: str
    failure_message: str
    invoices: list[Allocation]
    amount_refunded: int
    refund_state: Literal["refunded", "partially_refunded"] | None = Field(
        description="Whether money went back: all of it, part of it, or (null) none."
    )
    refunds: list[Refund]
    created_at: datetime
    succeeded_at: datetime | None


class RefundCreate(Input):
    amount: Annotated[int, Field(gt=0, le=99_999_999_999)] | None = Field(
        default=None, description="Minor units; the whole remainder when left out."
    )
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""
    invoice_effect: Literal["credit", "reopen"] = Field(
        default="credit",
        description="What happens to the invoices the payment settled: credit (the customer no "
        "longer owes the refunded part; a credit note keeps them settled) or reopen (the customer "
        "still owes it; they are open again for that amount).",
    )


class PaymentMethod(Output):
    id: str
    object: Literal["payment_method"] = "payment_method"
    customer: str
    kind: Literal["card", "us_bank_account", "cash", "cheque"]
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    is_default: bool
    consent_text: str
    consented_at: datetime | None
    created_at: datetime


class ChargeCreate(Input):
    payment_method: str | None = Field(
        default=None, description="A saved method's id; the customer's default when left out."
    )
    invoices: Annotated[list[str], Field(max_length=100)] | None = Field(
        default=None, description="Invoice ids to settle; every open invoice when left out."
    )
    amount: Annotated[int, Field(gt=0, le=99_999_999_999)] | None = Field(
        default=None, description="Less than the total due: applied oldest invoice first."
    )
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class Charge(Output):
    object: Literal["charge"] = "charge"
    payment: Payment
    awaiting_customer: bool = Field(
        description="The bank asked the customer to authenticate; they were emailed a link."
    )


# --- access --------------------------------------------------------------------------------------


class PortalSession(Output):
    object: Literal["portal_session"] = "portal_session"
    customer: str
    token: str = Field(description="Put it in the snippet's `token` attribute.")
    expires_at: datetime


class PaymentLinkCreate(Input):
    scope: Literal["portal", "pay"] = Field(
        default="portal",
        description="`portal`: the whole account, opening at the pay step; `pay`: paying only.",
    )


class PaymentLink(Output):
    object: Literal["payment_link"] = "payment_link"
    customer: str
    scope: Literal["portal", "pay"]
    url: str = Field(description="Never expires; revoking the customer's links ends every copy.")


class LinksRevoked(Output):
    object: Literal["links_revoked"] = "links_revoked"
    customer: str


# --- webhooks ------------------------------------------------------------------------------------


class WebhookEndpointCreate(Input):
    url: EndpointUrl
    events: Annotated[
        list[str],
        Field(max_length=20),
        WithJsonSchema({"type": "array", "items": {"enum": list(EVENT_TYPES)}, "maxItems": 20}),
    ] = Field(default_factory=list, description="Event types to receive; every type when empty.")
    description: Annotated[str, StringConstraints(max_length=200)] = ""


class WebhookEndpoint(Output):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    description: str
    enabled: bool
    created_at: datetime


class NewWebhookEndpoint(WebhookEndpoint):
    secret: str = Field(description="Signs every delivery. Shown once: store it now.")


class WebhookDelivery(Output):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint: str
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None


class Deleted(Output):
    id: str
    object: str
    deleted: Literal[True] = True


# --- lists ---------------------------------------------------------------------------------------

Item = TypeVar("Item", bound=Output)


class ListQuery(Input):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    starting_after: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="The `next_cursor` of the previous page."
    )


class CustomerListQuery(ListQuery):
    email: Annotated[str, StringConstraints(max_length=320)] | None = None


class DocumentListQuery(ListQuery):
    customer: str | None = Field(default=None, description="Our id or `external:<your id>`.")


class Page(Output, Generic[Item]):
    object: Literal["list"] = "list"
    data: list[Item]
    has_more: bool
    next_cursor: str | None
