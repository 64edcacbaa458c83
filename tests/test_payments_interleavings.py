"""Every path that can bring one PaymentIntent's success (the webhook, the customer's result
poll, reconciliation) run in every order, and together in threads that meet at the customer's
lock: the payment is applied once, nothing is refunded, one receipt is queued."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx
import pytest
from sqlmodel import select

from frontdesk.jobs import OutboxRunner
from frontdesk.models import InvoiceStatus, OutboxItem, Payment, PaymentStatus, Refund
from frontdesk.services import portal
from tests.flow import Flow, assert_books_balance
from tests.interleave import together

Path = Callable[[], object]


def paths(flow: Flow, payment: Payment) -> dict[str, Path]:
    intent = str(payment.processor_reference)
    session = portal.session_token(flow.settings.secret_key, flow.customer)
    result = f"{flow.app.url}/portal/{flow.business.publishable_key}/pay/{payment.id}/result"

    def webhook() -> object:
        answer = flow.post_event(flow.event("payment_intent.succeeded", intent))
        assert answer.status_code == 200, answer.text
        return answer

    def poll() -> object:
        answer = httpx.get(result, headers={"Authorization": f"Bearer {session}"}, timeout=60)
        assert answer.status_code == 200 and "Payment received" in answer.text, answer.text
        return answer

    def reconcile() -> object:
        return OutboxRunner(flow.db, flow.settings).reconcile()

    return {"webhook": webhook, "poll": poll, "reconcile": reconcile}


def assert_applied_once(flow: Flow, payment: Payment) -> None:
    with flow.db.session(flow.business.id) as session:
        stored = session.get(Payment, payment.id)
        assert stored is not None and stored.status == PaymentStatus.SUCCEEDED
        assert session.exec(select(Refund)).all() == []
        receipts = [
            item
            for item in session.exec(select(OutboxItem)).all()
            if item.kind == "receipt" and item.payload["payment"] == payment.id
        ]
        assert len(receipts) == 1
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)  # the processor refunded nothing either


ORDERS = list(itertools.permutations(["webhook", "poll", "reconcile"]))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_one_success_brought_in_any_order_is_applied_once(
    quiet_flow: Flow, order: tuple[str, ...]
) -> None:
    payment, _ = quiet_flow.start(numbers=["INV-A"])
    quiet_flow.confirm(payment)
    ways = paths(quiet_flow, payment)
    for name in order:
        ways[name]()
    assert_applied_once(quiet_flow, payment)


@pytest.mark.parametrize(
    "names",
    [("webhook", "poll"), ("webhook", "reconcile"), ("poll", "reconcile"), ("poll", "poll")],
    ids="+".join,
)
def test_one_success_brought_by_paths_at_once_is_applied_once(
    quiet_flow: Flow, names: tuple[str, ...]
) -> None:
    payment, _ = quiet_flow.start(numbers=["INV-A"])
    quiet_flow.confirm(payment)
    ways = paths(quiet_flow, payment)
    together(quiet_flow.db.engine, *(ways[name] for name in names))
    assert_applied_once(quiet_flow, payment)
