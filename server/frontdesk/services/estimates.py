"""Estimates: creating them from lines and their displayed status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import sqlalchemy
from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from frontdesk.db import in_business, prebuilt, read
from frontdesk.driver_reads import columns_of, loaded
from frontdesk.languages import N_, gettext
from frontdesk.locks import locked
from frontdesk.models import Business, Customer, Estimate, EstimateLine, EstimateStatus, utcnow
from frontdesk.services import audit, events, outbox, todos
from frontdesk.services import lines as line_pricing
from frontdesk.services.errors import Invalid, NotFound
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
    external_id: str | None = None,
    actor: audit.Actor | None = None,
) -> Estimate:
    """A new estimate (a draft unless `send`), in the audit trail as `actor`'s when someone
    asked (the demo's and the tests' estimates are made without one)."""
    line_pricing.validate(lines)
    if expires_on < issue_date:
        raise Invalid(
            "expires before issue", {"expires_on": "The estimate expires before it is issued."}
        )
    if (
        external_id
        and session.exec(select(Estimate.id).where(Estimate.external_id == external_id)).first()
    ):
        raise Invalid(
            "external id taken", {"external_id": "Another estimate already has this external id."}
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
        external_id=external_id,
    )
    rows = line_pricing.build(
        lines,
        lambda: EstimateLine(
            business_id=business.id, estimate_id=estimate.id, description="", unit_amount=0
        ),
    )
    line_pricing.set_totals(estimate, rows)
    if send:
        estimate.status = EstimateStatus.SENT
        estimate.sent_at = utcnow()
    session.add(estimate)
    session.add_all(rows)
    if actor:
        actor.record(
            session,
            business.id,
            "estimate.created",
            "customer",
            customer.id,
            estimate=estimate.number,
        )
    return estimate


TERMS = N_(
    "By approving, I accept this estimate and its terms, and ask {business} to carry out the work "
    "for the total shown."
)


def terms(business: Business) -> str:
    """The words a customer approves an estimate by, in the language they read them in."""
    return gettext(TERMS).format(business=business.name)


# "This estimate was already …": each decided state in a sentence of its own.
FINAL = {
    DisplayStatus.DRAFT: N_("This estimate was already draft; the decision is final."),
    DisplayStatus.SENT: N_("This estimate was already sent; the decision is final."),
    DisplayStatus.ACCEPTED: N_("This estimate was already accepted; the decision is final."),
    DisplayStatus.REJECTED: N_("This estimate was already rejected; the decision is final."),
    DisplayStatus.EXPIRED: N_("This estimate was already expired; the decision is final."),
}


# The estimates a customer sees (sent, not drafts), newest first; one of them by number.
_SENT = (
    in_business(Estimate),
    col(Estimate.customer_id) == bindparam("customer"),
    col(Estimate.status) != EstimateStatus.DRAFT,
)
_SENT_ESTIMATES = prebuilt(
    sqlalchemy.select(*columns_of(Estimate))
    .where(*_SENT)
    .order_by(col(Estimate.issue_date).desc(), col(Estimate.number).desc())
)
_NUMBERED = prebuilt(
    sqlalchemy.select(*columns_of(Estimate)).where(
        *_SENT, col(Estimate.number) == bindparam("number")
    )
)
_LINES = prebuilt(
    sqlalchemy.select(*columns_of(EstimateLine))
    .where(in_business(EstimateLine), col(EstimateLine.estimate_id) == bindparam("estimate"))
    .order_by(col(EstimateLine.position))
)


def list_for_customer(
    session: Session, *, business: Business, customer: Customer
) -> list[Estimate]:
    rows = read(session, _SENT_ESTIMATES, {"customer": customer.id})
    return [loaded(session, Estimate, row) for row in rows]


def get_for_customer(
    session: Session, *, business: Business, customer: Customer, number: str
) -> Estimate:
    row = read(session, _NUMBERED, {"customer": customer.id, "number": number}).first()
    if row is None:
        raise NotFound("no such estimate")
    return loaded(session, Estimate, row)


def for_customer(session: Session, *, customer: Customer) -> list[Estimate]:
    """Every estimate of one customer, drafts too, newest first (the dashboard)."""
    return list(
        session.exec(
            select(Estimate)
            .where(Estimate.customer_id == customer.id)
            .order_by(col(Estimate.issue_date).desc(), col(Estimate.created_at).desc())
        ).all()
    )


def get_by_reference(session: Session, *, business: Business, reference: str) -> Estimate:
    """An estimate by our id, or by the business's own id written as `external:<id>`."""
    if reference.startswith("external:"):
        found = session.exec(
            select(Estimate).where(Estimate.external_id == reference.removeprefix("external:"))
        ).first()
    else:
        found = session.get(Estimate, reference)
    if found is None or found.business_id != business.id:
        raise NotFound("no such estimate")
    return found


def replace_draft(
    session: Session,
    *,
    business: Business,
    estimate: Estimate,
    lines: list[LineInput],
    issue_date: date,
    expires_on: date,
    notes: str,
    actor: audit.Actor,
) -> Estimate:
    """Edit a draft: its lines are written again and its totals worked out again."""
    if estimate.status != EstimateStatus.DRAFT:
        raise Invalid("Only a draft can be edited; this estimate was already sent.")
    line_pricing.validate(lines)
    if expires_on < issue_date:
        raise Invalid(
            "expires before issue", {"expires_on": "The estimate expires before it is issued."}
        )
    for old in session.exec(select(EstimateLine).where(EstimateLine.estimate_id == estimate.id)):
        session.delete(old)
    rows = line_pricing.build(
        lines,
        lambda: EstimateLine(
            business_id=business.id, estimate_id=estimate.id, description="", unit_amount=0
        ),
    )
    line_pricing.set_totals(estimate, rows)
    estimate.issue_date, estimate.expires_on, estimate.notes = issue_date, expires_on, notes
    session.add_all(rows)
    actor.record(
        session,
        business.id,
        "estimate.edited",
        "customer",
        estimate.customer_id,
        number=estimate.number,
    )
    return estimate


def send(session: Session, *, business: Business, estimate: Estimate) -> Estimate:
    """A draft goes to the customer, who can then accept or reject it in the portal."""
    if estimate.status == EstimateStatus.DRAFT:
        estimate.status, estimate.sent_at = EstimateStatus.SENT, utcnow()
    return estimate


def lines(session: Session, *, estimate: Estimate) -> list[EstimateLine]:
    rows = read(session, _LINES, {"estimate": estimate.id})
    return [loaded(session, EstimateLine, row) for row in rows]


@dataclass(frozen=True)
class Decision:
    accept: bool
    signer_name: str = ""
    accepted_terms: bool = False
    reason: str = ""


def _still_open(estimate: Estimate, today: date) -> None:
    current = status(estimate, today)
    if current == DisplayStatus.EXPIRED:
        raise Invalid(
            gettext("This estimate has expired and can no longer be approved. Ask for a new one.")
        )
    if current != DisplayStatus.SENT:
        raise Invalid(gettext(FINAL[current]))


def decide(
    session: Session,
    *,
    business: Business,
    customer: Customer,
    estimate: Estimate,
    decision: Decision,
    ip: str,
    today: date,
) -> Estimate:
    """Accept (typed signature and terms) or reject (optional reason). Final, recorded, notified.
    Decided on the estimate as it stands under its lock: of two decisions at once (two tabs, a
    double click), the second finds it decided."""
    found = locked(session, Estimate, estimate.id, rewriting=Estimate.status)
    if found is None:
        raise NotFound("no such estimate")
    estimate = found
    if decision.accept:
        _still_open(estimate, today)
        errors = {}
        name = " ".join(decision.signer_name.split())
        if len(name) < 2:
            errors["signer_name"] = gettext("Type your full name to sign.")
        elif len(name) > 200:
            errors["signer_name"] = gettext("Use at most %(limit)s characters.") % {"limit": 200}
        if not decision.accepted_terms:
            errors["accept_terms"] = gettext("Tick the box to accept the terms.")
        if errors:
            raise Invalid(gettext("Please fix the highlighted fields."), errors)
        estimate.status, estimate.signer_name = EstimateStatus.ACCEPTED, name
    else:
        if status(estimate, today) not in (DisplayStatus.SENT, DisplayStatus.EXPIRED):
            raise Invalid(gettext(FINAL[status(estimate, today)]))
        if len(decision.reason) > 2000:
            raise Invalid(
                gettext("Please fix the highlighted fields."),
                {"reason": gettext("Use at most 2,000 characters.")},
            )
        estimate.status, estimate.rejection_reason = (
            EstimateStatus.REJECTED,
            decision.reason.strip(),
        )
    estimate.decided_at, estimate.signer_ip = utcnow(), ip
    if decision.accept:
        # Filed in the customer's documents as a signed PDF once this commits
        # (services/documents/filing.py), so the approval waits for no PDF.
        payload = {"estimate": estimate.id}
        outbox.enqueue(session, business=business, kind="file_estimate", payload=payload)
        todos.close(
            session,
            business=business,
            customer_id=customer.id,
            rule=f"approve_estimate:{estimate.id}",
            now=estimate.decided_at,
        )
    verb = "accepted" if decision.accept else "rejected"
    audit.record(
        session,
        business=business,
        actor_type="customer",
        actor_id=customer.id,
        action=f"estimate.{verb}",
        target_type="estimate",
        target_id=estimate.id,
        detail={"signer_name": estimate.signer_name, "reason": estimate.rejection_reason},
        ip=ip,
    )
    events.emit(
        session,
        business=business,
        type=f"estimate.{verb}",
        data={"estimate": estimate.id, "number": estimate.number, "customer": customer.id},
    )
    detail = (
        f"Signed by {estimate.signer_name}."
        if decision.accept
        else f"Reason: {estimate.rejection_reason or 'none given'}."
    )
    with outbox.in_house():
        events.email_owners(
            session,
            business=business,
            subject=f"Estimate {estimate.number} {verb} by {customer.name}",
            text=f"{customer.name} {verb} estimate {estimate.number}. {detail}",
        )
    return estimate
