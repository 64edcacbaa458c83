"""The integration API at /api/v1: what the business's own system reads and writes.

Each handler is a plain function of a `Call` (operations.py does keys, limits, validation,
idempotency and the transaction); OPERATIONS is also what the OpenAPI document is built from."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk.api import openapi, processor_account, schemas
from frontdesk.api.operations import Operation, endpoint
from frontdesk.rendering import templates
from frontdesk.routes.api import appointments, documents, messages, service_requests, subscriptions
from frontdesk.routes.api.customers import (
    create_charge,
    create_customer,
    create_payment_link,
    create_portal_session,
    get_customer,
    list_customers,
    list_payment_methods,
    revoke_links,
    update_customer,
)
from frontdesk.routes.api.frame import CUSTOMER
from frontdesk.routes.api.invoices import (
    create_estimate,
    create_invoice,
    get_estimate,
    get_invoice,
    list_estimates,
    list_invoices,
    send_estimate,
    send_invoice,
    void_invoice,
)
from frontdesk.routes.api.payments import (
    create_onboarding_link,
    create_refund,
    get_payment,
    get_processor_account,
    list_payments,
)
from frontdesk.routes.api.webhooks import (
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_webhook_endpoint,
    list_webhook_deliveries,
    list_webhook_endpoints,
    redeliver_webhook,
)

S = schemas


OPERATIONS = [
    Operation(
        "GET",
        "/customers",
        "list_customers",
        "List customers",
        "Customers",
        list_customers,
        S.Page[S.Customer],
        query=S.CustomerListQuery,
    ),
    Operation(
        "POST",
        "/customers",
        "create_customer",
        "Create a customer",
        "Customers",
        create_customer,
        S.Customer,
        201,
        body=S.CustomerCreate,
    ),
    Operation(
        "GET", CUSTOMER, "get_customer", "Get a customer", "Customers", get_customer, S.Customer
    ),
    Operation(
        "PATCH",
        CUSTOMER,
        "update_customer",
        "Update a customer",
        "Customers",
        update_customer,
        S.Customer,
        body=S.CustomerUpdate,
    ),
    Operation(
        "GET",
        CUSTOMER + "/payment-methods",
        "list_payment_methods",
        "List a customer's saved payment methods",
        "Payments",
        list_payment_methods,
        S.Page[S.PaymentMethod],
    ),
    Operation(
        "POST",
        CUSTOMER + "/charges",
        "create_charge",
        "Charge a saved payment method",
        "Payments",
        create_charge,
        S.Charge,
        201,
        body=S.ChargeCreate,
        description="Only methods the customer saved with consent can be charged. When "
        "the bank asks the customer to authenticate, the payment waits and the customer "
        "is emailed a link that completes it in the portal.",
    ),
    Operation(
        "POST",
        CUSTOMER + "/portal-sessions",
        "create_portal_session",
        "Create a portal session for the snippet",
        "Access",
        create_portal_session,
        S.PortalSession,
        201,
        description="A short-lived token for your server to put in the snippet, so a "
        "customer signed in to your website lands signed in to the portal.",
    ),
    Operation(
        "POST",
        CUSTOMER + "/payment-links",
        "create_payment_link",
        "Get the customer's payment link",
        "Access",
        create_payment_link,
        S.PaymentLink,
        201,
        body=S.PaymentLinkCreate,
        description="A link that opens the portal at the pay step; it never expires.",
    ),
    Operation(
        "POST",
        CUSTOMER + "/payment-links/revoke",
        "revoke_payment_links",
        "Revoke every link and session of a customer",
        "Access",
        revoke_links,
        S.LinksRevoked,
    ),
    *messages.operations,
    Operation(
        "GET",
        "/invoices",
        "list_invoices",
        "List invoices",
        "Invoices",
        list_invoices,
        S.Page[S.Invoice],
        query=S.DocumentListQuery,
    ),
    Operation(
        "POST",
        "/invoices",
        "create_invoice",
        "Create an invoice",
        "Invoices",
        create_invoice,
        S.Invoice,
        201,
        body=S.InvoiceCreate,
    ),
    Operation(
        "GET",
        "/invoices/{invoice}",
        "get_invoice",
        "Get an invoice",
        "Invoices",
        get_invoice,
        S.Invoice,
    ),
    Operation(
        "POST",
        "/invoices/{invoice}/send",
        "send_invoice",
        "Send a draft invoice",
        "Invoices",
        send_invoice,
        S.Invoice,
    ),
    Operation(
        "POST",
        "/invoices/{invoice}/void",
        "void_invoice",
        "Void an invoice",
        "Invoices",
        void_invoice,
        S.Invoice,
    ),
    Operation(
        "GET",
        "/estimates",
        "list_estimates",
        "List estimates",
        "Estimates",
        list_estimates,
        S.Page[S.Estimate],
        query=S.DocumentListQuery,
    ),
    Operation(
        "POST",
        "/estimates",
        "create_estimate",
        "Create an estimate",
        "Estimates",
        create_estimate,
        S.Estimate,
        201,
        body=S.EstimateCreate,
    ),
    Operation(
        "GET",
        "/estimates/{estimate}",
        "get_estimate",
        "Get an estimate",
        "Estimates",
        get_estimate,
        S.Estimate,
    ),
    Operation(
        "POST",
        "/estimates/{estimate}/send",
        "send_estimate",
        "Send a draft estimate",
        "Estimates",
        send_estimate,
        S.Estimate,
    ),
    *service_requests.operations,
    *documents.operations,
    *subscriptions.operations,
    *appointments.operations,
    Operation(
        "GET",
        "/payments",
        "list_payments",
        "List payments",
        "Payments",
        list_payments,
        S.Page[S.Payment],
        query=S.DocumentListQuery,
    ),
    Operation(
        "GET",
        "/payments/{payment}",
        "get_payment",
        "Get a payment",
        "Payments",
        get_payment,
        S.Payment,
    ),
    Operation(
        "POST",
        "/payments/{payment}/refunds",
        "create_refund",
        "Refund a payment, fully or in part",
        "Payments",
        create_refund,
        S.Refund,
        201,
        body=S.RefundCreate,
    ),
    Operation(
        "GET",
        "/processor-account",
        "get_processor_account",
        "Get the business's Stripe account and whether customers can pay online",
        "Payments",
        get_processor_account,
        processor_account.ProcessorAccount,
    ),
    Operation(
        "POST",
        "/processor-account/onboarding-links",
        "create_onboarding_link",
        "Make a Stripe onboarding link for the business's owner",
        "Payments",
        create_onboarding_link,
        processor_account.OnboardingLink,
        201,
        body=processor_account.OnboardingLinkCreate,
        description="Makes the business's Stripe account first when it has none. The owner "
        "finishes (or updates) their details at Stripe and comes back to the dashboard; "
        "`account.updated` webhooks from Stripe keep `GET /processor-account` current.",
    ),
    Operation(
        "GET",
        "/webhook-endpoints",
        "list_webhook_endpoints",
        "List webhook endpoints",
        "Webhooks",
        list_webhook_endpoints,
        S.Page[S.WebhookEndpoint],
    ),
    Operation(
        "POST",
        "/webhook-endpoints",
        "create_webhook_endpoint",
        "Create a webhook endpoint",
        "Webhooks",
        create_webhook_endpoint,
        S.NewWebhookEndpoint,
        201,
        body=S.WebhookEndpointCreate,
    ),
    Operation(
        "GET",
        "/webhook-endpoints/{endpoint}",
        "get_webhook_endpoint",
        "Get a webhook endpoint",
        "Webhooks",
        get_webhook_endpoint,
        S.WebhookEndpoint,
    ),
    Operation(
        "DELETE",
        "/webhook-endpoints/{endpoint}",
        "delete_webhook_endpoint",
        "Delete a webhook endpoint",
        "Webhooks",
        delete_webhook_endpoint,
        S.Deleted,
    ),
    Operation(
        "GET",
        "/webhook-endpoints/{endpoint}/deliveries",
        "list_webhook_deliveries",
        "List an endpoint's recent deliveries",
        "Webhooks",
        list_webhook_deliveries,
        S.Page[S.WebhookDelivery],
    ),
    Operation(
        "POST",
        "/webhook-deliveries/{delivery}/redeliver",
        "redeliver_webhook",
        "Send a delivery again",
        "Webhooks",
        redeliver_webhook,
        S.WebhookDelivery,
    ),
]


async def openapi_document(request: Request) -> Response:
    return JSONResponse(
        openapi.document(OPERATIONS, server=f"{request.app.state.settings.base_url}/api/v1")
    )


async def reference(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "pages/api/reference.html", {"reference": openapi.reference(OPERATIONS)}
    )


routes = [
    Route("/openapi.json", openapi_document, name="api_openapi"),
    Route("/reference", reference, name="api_reference"),
    *(
        Route(op.path, endpoint(op), methods=[op.method], name=f"api_{op.name}")
        for op in OPERATIONS
    ),
]
