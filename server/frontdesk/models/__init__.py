"""Every table, importable from one place (Alembic and the session guard need them all)."""

from frontdesk.models.attachments import Attachment
from frontdesk.models.autopay import (
    AttemptStatus,
    AutopayAttempt,
    AutopayEnrollment,
    AutopayNotice,
)
from frontdesk.models.base import TenantScoped, new_id, utcnow
from frontdesk.models.billing import (
    CreditNote,
    Estimate,
    EstimateLine,
    EstimateStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LateFee,
)
from frontdesk.models.booking import (
    BLOCKING,
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    BookingService,
    Crew,
    DateOverride,
    ServiceArea,
    WorkingHours,
)
from frontdesk.models.business import ApiKey, Business, StaffInvitation, StaffRole, StaffUser
from frontdesk.models.customers import Customer, EndedSession, SignInRequest
from frontdesk.models.documents import (
    Document,
    DocumentEvent,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    SignatureConsent,
)
from frontdesk.models.domains import CustomDomain, DomainStatus
from frontdesk.models.integrations import (
    DeliveryStatus,
    IdempotencyRecord,
    WebhookDelivery,
    WebhookEndpoint,
)
from frontdesk.models.messages import AuthorKind, Message
from frontdesk.models.payments import (
    Initiator,
    InvoiceEffect,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    RefundAllocation,
    RefundCause,
)
from frontdesk.models.paypal import PayPalCheckout, PayPalCheckoutStatus
from frontdesk.models.records import (
    AuditEvent,
    BooksCheck,
    OutboxItem,
    OutboxStatus,
    ProcessorEvent,
    RateLimit,
)
from frontdesk.models.reminders import InvoiceReminder
from frontdesk.models.service_requests import (
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestStatus,
)
from frontdesk.models.statements import StatementMail
from frontdesk.models.subscriptions import (
    Interval,
    Subscription,
    SubscriptionChange,
    SubscriptionPeriod,
    SubscriptionStatus,
)
from frontdesk.models.texts import Text, TextStatus
from frontdesk.models.todos import Todo, TodoAssignee

__all__ = [
    "BLOCKING",
    "ApiKey",
    "Appointment",
    "AppointmentReminder",
    "AppointmentStatus",
    "Attachment",
    "AttemptStatus",
    "AuditEvent",
    "AuthorKind",
    "AutopayAttempt",
    "AutopayEnrollment",
    "AutopayNotice",
    "BookingService",
    "BooksCheck",
    "Business",
    "CreditNote",
    "Crew",
    "CustomDomain",
    "Customer",
    "DateOverride",
    "DeliveryStatus",
    "Document",
    "DocumentEvent",
    "DocumentKind",
    "DocumentStatus",
    "DocumentVersion",
    "DomainStatus",
    "EndedSession",
    "Estimate",
    "EstimateLine",
    "EstimateStatus",
    "IdempotencyRecord",
    "Initiator",
    "Interval",
    "Invoice",
    "InvoiceEffect",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoiceStatus",
    "LateFee",
    "Message",
    "OutboxItem",
    "OutboxStatus",
    "PayPalCheckout",
    "PayPalCheckoutStatus",
    "Payment",
    "PaymentAllocation",
    "PaymentMethod",
    "PaymentMethodKind",
    "PaymentStatus",
    "ProcessorEvent",
    "RateLimit",
    "Refund",
    "RefundAllocation",
    "RefundCause",
    "ServiceArea",
    "ServiceRequest",
    "ServiceRequestEvent",
    "ServiceRequestStatus",
    "SignInRequest",
    "SignatureConsent",
    "StaffInvitation",
    "StaffRole",
    "StaffUser",
    "StatementMail",
    "Subscription",
    "SubscriptionChange",
    "SubscriptionPeriod",
    "SubscriptionStatus",
    "TenantScoped",
    "Text",
    "TextStatus",
    "Todo",
    "TodoAssignee",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkingHours",
    "new_id",
    "utcnow",
]
