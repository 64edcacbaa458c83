"""Invoices and estimates through the API: create with lines, read, send, void."""

from __future__ import annotations

from frontdesk import models
from frontdesk.api import convert, schemas
from frontdesk.api.operations import Call
from frontdesk.routes.api.frame import _customers_page, _line_inputs
from frontdesk.services import (
    businesses,
    customers,
    estimates,
    invoices,
    notices,
)
from frontdesk.services.errors import Invalid, NotFound


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
        actor=call.actor,
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
        actor=call.actor,
    )


def send_invoice(call: Call) -> schemas.Invoice:
    invoice = _invoice(call)
    _send(call, invoice)
    return convert.invoice(call.session, call.business, invoice)


def void_invoice(call: Call) -> schemas.Invoice:
    row = invoices.void(
        call.session, business=call.business, invoice=_invoice(call), actor=call.actor
    )
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
        actor=call.actor,
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
