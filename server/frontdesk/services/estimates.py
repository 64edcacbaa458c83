"""Estimates: creating them from lines and their displayed status."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, select

from frontdesk.models import Business, Customer, Estimate, EstimateLine, EstimateStatus, utcnow
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Invalid
from frontdesk.services.lines import LineInput


class DisplayStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


def status(estimate: Estimate, today: date) -> DisplayStatus:
    if estimate.status == EstimateStatus.SENT and estimate.expires_on < today:
        return DisplayStatus.EXPIRED
    return DisplayStatus(estimate.status)


def create(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    lines: list[LineInput],
    issue_date: date,
    expires_on: date,
    notes: str = "",
    send: bool = False,
) -> Estimate:
    line_pricing.validate(lines)
    if expires_on < issue_date:
        raise Invalid(
            "expires before issue", {"expires_on": "The estimate expires before it is issued."}
        )
    count = session.exec(select(func.count()).select_from(Estimate)).one()
    estimate = Estimate(
        business_id=business.id,
        customer_id=customer.id,
        number=f"EST-{101 + count}",
        currency=business.currency,
        issue_date=issue_date,
        expires_on=expires_on,
        notes=notes,
    )
    rows = []
    for position, line in enumerate(lines):
        row = EstimateLine(
            business_id=business.id, estimate_id=estimate.id, description="", unit_amount=0
        )
        line_pricing.fill(row, line, position)
        rows.append(row)
    totals = line_pricing.totals(list(rows))
    estimate.subtotal, estimate.tax_total, estimate.total = (
        totals.subtotal,
        totals.tax_total,
        totals.total,
    )
    if send:
        estimate.status = EstimateStatus.SENT
        estimate.sent_at = utcnow()
    session.add(estimate)
    session.add_all(rows)
    return estimate
