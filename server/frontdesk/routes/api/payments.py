"""Payments and refunds through the API."""

from __future__ import annotations

from frontdesk import models
from frontdesk.api import convert, schemas
from frontdesk.api.operations import Call
from frontdesk.routes.api.frame import _customers_page
from frontdesk.services import (
    payments,
)
from frontdesk.services.errors import NotFound


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
