"""A customer's decision on an estimate: made once, whatever arrives at the same moment."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import AuditEvent, Estimate, EstimateStatus, OutboxItem
from frontdesk.services import estimates
from frontdesk.services.errors import Invalid
from tests.factories import make_business, make_customer
from tests.interleave import together
from tests.test_pdfs import make_estimate

# The first statement of a decision: the estimate's lock.
DECIDING = "UPDATE estimate SET status"
ACCEPT = estimates.Decision(True, "Casey Jones", accepted_terms=True)
REJECT = estimates.Decision(False, reason="Too dear")


@pytest.mark.parametrize("second", [ACCEPT, REJECT], ids=["accepted twice", "then rejected"])
def test_two_decisions_at_once_decide_once(db: Database, second: estimates.Decision) -> None:
    """Two tabs (or a double click) deciding the same estimate at the same moment, each having
    read it undecided: one decision stands, recorded and told once; the other is refused."""
    made = make_business(db)
    business = made.business
    with db.session(business.id) as session:
        casey = make_customer(session, business, name="Casey")
    estimate = make_estimate(db, business, casey, "EST-3001")

    def decide(decision: estimates.Decision) -> Any:
        with db.session(business.id) as session:
            found = estimates.get_for_customer(
                session, business=business, customer=casey, number="EST-3001"
            )
            try:
                decided = estimates.decide(
                    session,
                    business=business,
                    customer=casey,
                    estimate=found,
                    decision=decision,
                    ip="198.51.100.7",
                    today=found.issue_date,
                )
            except Invalid as refused:
                return refused
            return decided.status

    answers = together(db.engine, lambda: decide(ACCEPT), lambda: decide(second), marker=DECIDING)
    decided = [answer for answer in answers if not isinstance(answer, Invalid)]
    assert len(decided) == 1, answers
    with db.session(business.id) as session:
        stored = session.get(Estimate, estimate.id)
        assert stored is not None and stored.status == decided[0]
        told = [
            item.payload["type"]
            for item in session.exec(select(OutboxItem).where(OutboxItem.kind == "event"))
        ]
        recorded = session.exec(select(AuditEvent.action)).all()
        filings = session.exec(select(OutboxItem).where(OutboxItem.kind == "file_estimate")).all()
    verb = "accepted" if stored.status == EstimateStatus.ACCEPTED else "rejected"
    assert told == [f"estimate.{verb}"]
    assert [action for action in recorded if action.startswith("estimate.")] == [f"estimate.{verb}"]
    assert len(filings) == (verb == "accepted")
