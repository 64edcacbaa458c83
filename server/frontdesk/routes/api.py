"""The integration API at /api/v1: what the business's own system reads and writes.

Each handler is a plain function of a `Call` (operations.py does keys, limits, validation,
idempotency and the transaction); OPERATIONS is also what the OpenAPI document is built from.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlmodel import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk import models, tokens
from frontdesk.api import convert, openapi, schemas
from frontdesk.api.operations import Call, Operation, endpoint, page
from frontdesk.rendering import templates
from frontdesk.services import (
    businesses,
    customers,
    estimates,
    invoices,
    notices,
    payments,
    webhooks,
)
from frontdesk.services.errors import Forbidden, Invalid, NotFound
from frontdesk.services.lines import LineInput

# --- customers -----------------------------------------------------------------------------------


def _customer(call: Call) -> models.Customer:
    return customers.get_by_reference(
        call.session, business=call.business, reference=call.params["customer"]
    )


def list_customers(call: Call) -> schemas.Page[schemas.Customer]:
    query: schemas.CustomerListQuery = call.query
    statement = select(models.Customer)
    if query.email:
        statement = statement.where(models.Customer.email == query.email.strip().lower())
    rows, more, cursor = page(call.session, statement, models.Customer, query)
    data = convert.customer_list(call.session, call.business, rows)
    return schemas.Page[schemas.Customer](data=data, has_more=more, next_cursor=cursor)


def create_customer(call: Call) -> schemas.Customer:
    body: schemas.CustomerCreate = call.body
    row = customers.create(
        call.session,
        business=call.business,
        name=body.name,
        email=body.email,
        external_id=body.external_id,
        phone=body.phone,
        portal_enabled=body.portal_enabled,
        **_address_fields(body.address),
    )
    call.session.flush()
    return convert.customer(call.session, call.business, row)


def _address_fields(address: schemas.Address) -> dict[str, str]:
    return {
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def get_customer(call: Call) -> schemas.Customer:
    return convert.customer(call.session, call.business, _customer(call))


def update_customer(call: Call) -> schemas.Customer:
    body: schemas.CustomerUpdate = call.body
    changes = body.model_dump(exclude_unset=True, exclude={"address"})
    if body.address is not None:
        changes.update(_address_fields(body.address))
    row = customers.update(
        call.session,
        business=call.business,
        customer=_customer(call),
        changes={k: v for k, v in changes.items() if v is not None},
    )
    return convert.customer(call.session, call.business, row)


def list_payment_methods(call: Call) -> schemas.Page[schemas.PaymentMethod]:
    rows = payments.saved_methods(call.session, business=call.business, customer=_customer(call))
    data = [convert.payment_method(row) for row in rows]
    return schemas.Page[schemas.PaymentMethod](data=data, has_more=False, next_cursor=None)


def create_charge(call: Call) -> schemas.Charge:
    body: schemas.ChargeCreate = call.body
    numbers = None
    if body.invoices is not None:
        numbers = [
            invoices.get_by_reference(call.session, business=call.business, reference=ref).number
            for ref in body.invoices
        ]
    charged = payments.charge_for_business(
        call.session,
        business=call.business,
        customer=_customer(call),
        method_id=body.payment_method or "",
        numbers=numbers,
        amount=body.amount,
        description=body.description,
        actor=payments.Actor(models.Initiator.API, call.api_key_id),
        processor=call.processor,
        links=call.links,
    )
    call.session.flush()
    return schemas.Charge(
        payment=convert.payment(call.session, charged.payment),
        awaiting_customer=charged.needs_customer,
    )


def create_portal_session(call: Call) -> schemas.PortalSession:
    customer = _customer(call)
    if not customer.portal_enabled:
        raise Forbidden("Portal access is turned off for this customer.")
    token = call.links.token(tokens.Purpose.EMBED, customer)
    lifetime = tokens.LIFETIME[tokens.Purpose.EMBED] or 0
    return schemas.PortalSession(
        customer=customer.id,
        token=token,
        expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lifetime),
    )


def create_payment_link(call: Call) -> schemas.PaymentLink:
    body: schemas.PaymentLinkCreate = call.body
    customer = _customer(call)
    if not customer.portal_enabled:
        raise Forbidden("Portal access is turned off for this customer.")
    url = call.links.payment(call.business, customer, pay_only=body.scope == "pay")
    return schemas.PaymentLink(customer=customer.id, scope=body.scope, url=url)


def revoke_links(call: Call) -> schemas.LinksRevoked:
    customer = _customer(call)
    customers.revoke_links(customer)
    return schemas.LinksRevoked(customer=customer.id)


# --- invoices and estimates ----------------------------------------------------------------------


def _line_inputs(lines: list[schemas.LineIn]) -> list[LineInput]:
    return [
        LineInput(
            description=line.description,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            tax_rate_bp=line.tax_rate_bp,
            tax_amount=line.tax_amount,
        )
        for line in lines
    ]


Owned = TypeVar("Owned", models.Invoice, models.Estimate, models.Payment)


def _customers_page(call: Call, model: type[Owned]) -> tuple[list[Owned], bool, str | None]:
    """A page of invoices, estimates or payments, of one customer when the query names one."""
    query: schemas.DocumentListQuery = call.query
    statement = select(model)
    if query.customer:
        customer = customers.get_by_reference(
            call.session, business=call.business, reference=query.customer
        )
        statement = statement.where(model.customer_id == customer.id)
    return page(call.session, statement, model, query)


def _document_customer(call: Call, reference: str) -> models.Customer:
    try:
        return customers.get_by_reference(call.session, business=call.business, reference=reference)
    except NotFound:
        raise Invalid("No such customer.", {"customer": "Name one of your customers."}) from None


def list_invoices(call: Call) -> schemas.Page[schemas.Invoice]:
    rows, more, cursor = _customers_page(call, models.Invoice)
    data = convert.invoice_list(call.session, call.business, rows)
    return schemas.Page[schemas.Invoice](data=data, has_more=more, next_cursor=cursor)


def create_invoice(call: Call) -> schemas.Invoice:
    body: schemas.InvoiceCreate = call.body
    row = invoices.create(
        call.session,
        business=call.business,
        customer=_document_customer(call, body.customer),
        lines=_line_inputs(body.lines),
        issue_date=body.issue_date or businesses.today(call.business),
        due_date=body.due_date,
        number=body.number,
        notes=body.notes,
        send=body.send,
        external_id=body.external_id,
    )
    call.session.flush()
    if body.send:
        _tell_customer(call, row)
    return convert.invoice(call.session, call.business, row)


def _invoice(call: Call) -> models.Invoice:
    return invoices.get_by_reference(
        call.session, business=call.business, reference=call.params["invoice"]
    )


def get_invoice(call: Call) -> schemas.Invoice:
    return convert.invoice(call.session, call.business, _invoice(call))


def _tell_customer(call: Call, document: models.Invoice | models.Estimate) -> None:
    notices.document_sent(
        call.session,
        business=call.business,
        document=document,
        links=call.links,
    )


def _send(call: Call, document: models.Invoice | models.Estimate) -> None:
    notices.send(
        call.session,
        business=call.business,
        document=document,
        links=call.links,
    )


def send_invoice(call: Call) -> schemas.Invoice:
    invoice = _invoice(call)
    _send(call, invoice)
    return convert.invoice(call.session, call.business, invoice)


def void_invoice(call: Call) -> schemas.Invoice:
    row = invoices.void(call.session, business=call.business, invoice=_invoice(call))
    return convert.invoice(call.session, call.business, row)


def list_estimates(call: Call) -> schemas.Page[schemas.Estimate]:
    rows, more, cursor = _customers_page(call, models.Estimate)
    data = convert.estimate_list(call.session, call.business, rows)
    return schemas.Page[schemas.Estimate](data=data, has_more=more, next_cursor=cursor)


def create_estimate(call: Call) -> schemas.Estimate:
    body: schemas.EstimateCreate = call.body
    row = estimates.create(
        call.session,
        business=call.business,
        customer=_document_customer(call, body.customer),
        lines=_line_inputs(body.lines),
        issue_date=body.issue_date or businesses.today(call.business),
        expires_on=body.expires_on,
        notes=body.notes,
        send=body.send,
        external_id=body.external_id,
    )
    call.session.flush()
    if body.send:
        _tell_customer(call, row)
    return convert.estimate(call.session, call.business, row)


def _estimate(call: Call) -> models.Estimate:
    return estimates.get_by_reference(
        call.session, business=call.business, reference=call.params["estimate"]
    )


def get_estimate(call: Call) -> schemas.Estimate:
    return convert.estimate(call.session, call.business, _estimate(call))


def send_estimate(call: Call) -> schemas.Estimate:
    estimate = _estimate(call)
    _send(call, estimate)
    return convert.estimate(call.session, call.business, estimate)


# --- payments ------------------------------------------------------------------------------------


def list_payments(call: Call) -> schemas.Page[schemas.Payment]:
    rows, more, cursor = _customers_page(call, models.Payment)
    data = convert.payment_list(call.session, rows)
    return schemas.Page[schemas.Payment](data=data, has_more=more, next_cursor=cursor)


def _payment(call: Call) -> models.Payment:
    row = call.session.get(models.Payment, call.params["payment"])
    if row is None or row.business_id != call.business.id:
        raise NotFound("no such payment")
    return row


def get_payment(call: Call) -> schemas.Payment:
    return convert.payment(call.session, _payment(call))


def create_refund(call: Call) -> schemas.Refund:
    body: schemas.RefundCreate = call.body
    row = payments.refund(
        call.session,
        business=call.business,
        payment=_payment(call),
        amount=body.amount,
        reason=body.reason,
        effect=models.InvoiceEffect(body.invoice_effect),
        cause=models.RefundCause.API,
        actor=call.api_key_id,
        processor=call.processor,
    )
    call.session.flush()
    return convert.refund(row)


# --- webhook endpoints ---------------------------------------------------------------------------


def list_webhook_endpoints(call: Call) -> schemas.Page[schemas.WebhookEndpoint]:
    data = [convert.webhook_endpoint(row) for row in webhooks.endpoints(call.session)]
    return schemas.Page[schemas.WebhookEndpoint](data=data, has_more=False, next_cursor=None)


def create_webhook_endpoint(call: Call) -> schemas.NewWebhookEndpoint:
    body: schemas.WebhookEndpointCreate = call.body
    row, secret = webhooks.create_endpoint(
        call.session,
        business=call.business,
        secret_keys=call.settings.secret_key,
        url=body.url,
        events=body.events,
        description=body.description,
        allow_private=call.settings.webhooks_may_reach_private_hosts,
    )
    call.session.flush()
    shown = convert.webhook_endpoint(row).model_dump()
    return schemas.NewWebhookEndpoint(**shown, secret=secret)


def get_webhook_endpoint(call: Call) -> schemas.WebhookEndpoint:
    return convert.webhook_endpoint(webhooks.get_endpoint(call.session, call.params["endpoint"]))


def delete_webhook_endpoint(call: Call) -> schemas.Deleted:
    row = webhooks.delete_endpoint(call.session, call.params["endpoint"])
    return schemas.Deleted(id=row.id, object="webhook_endpoint")


def list_webhook_deliveries(call: Call) -> schemas.Page[schemas.WebhookDelivery]:
    rows = webhooks.deliveries(call.session, endpoint_id=call.params["endpoint"])
    data = [convert.webhook_delivery(row) for row in rows]
    return schemas.Page[schemas.WebhookDelivery](data=data, has_more=False, next_cursor=None)


def redeliver_webhook(call: Call) -> schemas.WebhookDelivery:
    row = webhooks.redeliver(
        call.session, business=call.business, delivery_id=call.params["delivery"]
    )
    return convert.webhook_delivery(row)


S = schemas
CUSTOMER = "/customers/{customer}"
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
