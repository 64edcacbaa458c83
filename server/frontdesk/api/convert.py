"""Rows to API objects, with what each object shows computed in as few queries as a page needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, select

from frontdesk import models
from frontdesk.api import schemas
from frontdesk.models.billing import LineBase
from frontdesk.services import autopay, businesses, customers, estimates, invoices, payments


def customer_list(
    session: Session, business: models.Business, rows: Sequence[models.Customer]
) -> list[schemas.Customer]:
    balances = customers.balances(session, business=business, customers=list(rows))
    enrolled = autopay.enrollments(session, customer_ids=[row.id for row in rows])
    return [
        schemas.Customer(
            id=row.id,
            external_id=row.external_id,
            name=row.name,
            email=row.email,
            phone=row.phone,
            address=schemas.AddressOut(
                line1=row.address_line1,
                line2=row.address_line2,
                city=row.city,
                region=row.region,
                postal_code=row.postal_code,
                country=row.country,
            ),
            portal_enabled=row.portal_enabled,
            language=row.language or None,
            balance=balances[row.id].amount,
            currency=business.currency,
            autopay=_autopay(enrolled.get(row.id)),
            created_at=row.created_at,
        )
        for row in rows
    ]


def _autopay(enrollment: models.AutopayEnrollment | None) -> schemas.Autopay:
    if enrollment is None:
        return schemas.Autopay(status="off", payment_method=None, since=None)
    return schemas.Autopay(
        status="on", payment_method=enrollment.payment_method_id, since=enrollment.consented_at
    )


def customer(session: Session, business: models.Business, row: models.Customer) -> schemas.Customer:
    return customer_list(session, business, [row])[0]


def _lines(rows: Sequence[LineBase]) -> list[schemas.Line]:
    return [schemas.Line.model_validate(row) for row in rows]


def invoice_list(
    session: Session, business: models.Business, rows: Sequence[models.Invoice]
) -> list[schemas.Invoice]:
    ids = [row.id for row in rows]
    all_lines: dict[str, list[models.InvoiceLine]] = defaultdict(list)
    for line in session.exec(
        select(models.InvoiceLine)
        .where(col(models.InvoiceLine.invoice_id).in_(ids))
        .order_by(col(models.InvoiceLine.position))
    ):
        all_lines[line.invoice_id].append(line)
    today = businesses.today(business)
    result = []
    for view in invoices.views(session, list(rows)):
        row = view.invoice
        result.append(
            schemas.Invoice(
                id=row.id,
                number=row.number,
                external_id=row.external_id,
                customer=row.customer_id,
                status=view.status(today).value,
                currency=row.currency,
                issue_date=row.issue_date,
                due_date=row.due_date,
                subtotal=row.subtotal,
                tax_total=row.tax_total,
                total=row.total,
                amount_paid=view.paid,
                amount_due=view.amount_due,
                notes=row.notes,
                lines=_lines(all_lines[row.id]),
                sent_at=row.sent_at,
                paid_at=row.paid_at,
                voided_at=row.voided_at,
                created_at=row.created_at,
            )
        )
    return result


def invoice(session: Session, business: models.Business, row: models.Invoice) -> schemas.Invoice:
    return invoice_list(session, business, [row])[0]


def estimate_list(
    session: Session, business: models.Business, rows: Sequence[models.Estimate]
) -> list[schemas.Estimate]:
    ids = [row.id for row in rows]
    all_lines: dict[str, list[models.EstimateLine]] = defaultdict(list)
    for line in session.exec(
        select(models.EstimateLine)
        .where(col(models.EstimateLine.estimate_id).in_(ids))
        .order_by(col(models.EstimateLine.position))
    ):
        all_lines[line.estimate_id].append(line)
    today = businesses.today(business)
    return [
        schemas.Estimate(
            id=row.id,
            number=row.number,
            external_id=row.external_id,
            customer=row.customer_id,
            status=estimates.status(row, today).value,
            currency=row.currency,
            issue_date=row.issue_date,
            expires_on=row.expires_on,
            subtotal=row.subtotal,
            tax_total=row.tax_total,
            total=row.total,
            notes=row.notes,
            lines=_lines(all_lines[row.id]),
            sent_at=row.sent_at,
            decided_at=row.decided_at,
            signer_name=row.signer_name,
            rejection_reason=row.rejection_reason,
            created_at=row.created_at,
        )
        for row in rows
    ]


def estimate(session: Session, business: models.Business, row: models.Estimate) -> schemas.Estimate:
    return estimate_list(session, business, [row])[0]


def refund(row: models.Refund) -> schemas.Refund:
    return schemas.Refund(
        id=row.id,
        payment=row.payment_id,
        amount=row.amount,
        currency=row.currency,
        status=str(row.status),
        reason=row.reason,
        cause=str(row.cause),
        invoice_effect=str(row.invoice_effect),
        collided_with=row.collided_with or None,
        application_fee_refunded=row.application_fee_refunded,
        created_at=row.created_at,
    )


def payment_list(session: Session, rows: Sequence[models.Payment]) -> list[schemas.Payment]:
    ids = [row.id for row in rows]
    allocations: dict[str, list[schemas.Allocation]] = defaultdict(list)
    for allocation in session.exec(
        select(models.PaymentAllocation).where(col(models.PaymentAllocation.payment_id).in_(ids))
    ):
        allocations[allocation.payment_id].append(
            schemas.Allocation(invoice=allocation.invoice_id, amount=allocation.amount)
        )
    seen = {view.payment.id: view for view in payments.views(session, list(rows))}
    return [
        schemas.Payment(
            id=row.id,
            customer=row.customer_id,
            amount=row.amount,
            tip=row.tip,
            currency=row.currency,
            method=str(row.method),
            status=str(row.status),
            initiated_by=str(row.initiated_by),
            application_fee=row.application_fee,
            description=row.description,
            failure_message=row.failure_message,
            invoices=allocations[row.id],
            amount_refunded=seen[row.id].refunded,
            refund_state=seen[row.id].refund_state or None,
            refunds=[refund(r) for r in seen[row.id].refunds],
            created_at=row.created_at,
            succeeded_at=row.succeeded_at,
        )
        for row in rows
    ]


def payment(session: Session, row: models.Payment) -> schemas.Payment:
    return payment_list(session, [row])[0]


def payment_method(row: models.PaymentMethod) -> schemas.PaymentMethod:
    return schemas.PaymentMethod(
        id=row.id,
        customer=row.customer_id,
        kind=str(row.kind),
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        is_default=row.is_default,
        consent_text=row.consent_text,
        consented_at=row.consented_at,
        created_at=row.created_at,
    )


def webhook_endpoint(row: models.WebhookEndpoint) -> schemas.WebhookEndpoint:
    return schemas.WebhookEndpoint(
        id=row.id,
        url=row.url,
        events=row.events,
        description=row.description,
        enabled=row.enabled,
        created_at=row.created_at,
    )


def webhook_delivery(row: models.WebhookDelivery) -> schemas.WebhookDelivery:
    return schemas.WebhookDelivery(
        id=row.id,
        endpoint=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=str(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        delivered_at=row.delivered_at,
    )
