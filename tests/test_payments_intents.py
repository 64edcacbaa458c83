"""Starting a payment: one PaymentIntent per attempt, whatever the customer's clicks."""

from __future__ import annotations

import threading

import pytest
import stripe

from frontdesk.models import (
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from tests.flow import Flow, assert_books_balance


def test_double_submits_get_one_payment_intent(flow: Flow) -> None:
    results: list[tuple[Payment, str]] = []
    lock = threading.Lock()

    def submit() -> None:
        started = flow.start(numbers=["INV-A"])
        with lock:
            results.append(started)

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({payment.id for payment, _ in results}) == 1
    assert len({secret for _, secret in results}) == 1
    intents = [o for o in flow.store.objects.values() if o["object"] == "payment_intent"]
    assert len(intents) == 1
    assert_books_balance(flow)


def test_a_changed_choice_cancels_the_older_intent_and_one_charge_lands(flow: Flow) -> None:
    first, _ = flow.start(numbers=["INV-A"])
    second, _ = flow.start(numbers=["INV-A"], tip=500)
    assert first.processor_reference != second.processor_reference
    with pytest.raises(stripe.InvalidRequestError):
        flow.confirm(first)
    flow.confirm(second)
    flow.wait(lambda: flow.payment(second.id).status == PaymentStatus.SUCCEEDED)
    assert flow.payment(first.id).status == PaymentStatus.CANCELED
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    assert_books_balance(flow)
