"""Customers through the API: the records, saved methods, charges, portal sessions and links."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from frontdesk import models
from frontdesk.api import convert, schemas
from frontdesk.api.operations import Call, page
from frontdesk.routes.api.frame import _customer
from frontdesk.services import (
    customers,
    invoices,
    language,
    payments,
    portal,
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
        language=language.spoken(body.language),
        actor=call.actor,
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
    if body.language is not None:
        changes["language"] = language.spoken(body.language)
    if body.address is not None:
        changes.update(_address_fields(body.address))
    row = _customer(call)
    customers.update(
        call.session,
        business=call.business,
        customer=row,
        changes={k: v for k, v in changes.items() if v is not None},
        actor=call.actor,
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
        actor=call.actor,
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
    token, expires_at = portal.embed_token(call.links, customer, datetime.now(UTC))
    return schemas.PortalSession(customer=customer.id, token=token, expires_at=expires_at)


def create_payment_link(call: Call) -> schemas.PaymentLink:
    body: schemas.PaymentLinkCreate = call.body
    customer = _customer(call)
    url = portal.payment_link(call.links, call.business, customer, pay_only=body.scope == "pay")
    return schemas.PaymentLink(customer=customer.id, scope=body.scope, url=url)


def revoke_links(call: Call) -> schemas.LinksRevoked:
    customer = _customer(call)
    customers.revoke_links(
        call.session, business=call.business, customer=customer, actor=call.actor, renewed=False
    )
    return schemas.LinksRevoked(customer=customer.id)
