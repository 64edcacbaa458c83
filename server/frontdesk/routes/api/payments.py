"""Payments and refunds through the API."""

from __future__ import annotations

from frontdesk import models
from frontdesk.api import convert, processor_account, schemas
from frontdesk.api.operations import Call
from frontdesk.routes.api.frame import _customers_page
from frontdesk.services import (
    businesses,
    connect,
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
        paypal=call.paypal,
    )
    call.session.flush()
    return convert.refund(row)


def get_processor_account(call: Call) -> processor_account.ProcessorAccount:
    found = connect.status(call.business)
    return processor_account.ProcessorAccount(
        account=found.account or None,
        type=found.kind or None,
        linked=found.linked,
        details_submitted=found.details_submitted,
        charges_enabled=found.charges_enabled,
        payouts_enabled=found.payouts_enabled,
        requirements_due=list(found.due),
        summary=found.summary,
        fee_basis_points=call.business.fee_basis_points,
        fee_fixed=call.business.fee_fixed,
    )


def create_onboarding_link(call: Call) -> processor_account.OnboardingLink:
    """Stripe's onboarding for the business's account (made first when it has none), to hand to
    its owner; they come back to the dashboard."""
    body: processor_account.OnboardingLinkCreate = call.body
    url = connect.start(
        call.session,
        business=call.business,
        kind=body.type,
        processor=call.processor,
        secret_keys=call.settings.secret_key,
        back=f"{call.settings.base_url}/dashboard/connect",
        actor=call.actor,
    )
    account = businesses.get(call.session, call.business.id).processor_account
    return processor_account.OnboardingLink(url=url, account=account or "")
