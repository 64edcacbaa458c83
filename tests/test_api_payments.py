"""Charges on saved cards and refunds through the API, against the Stripe sandbox on loopback."""

from __future__ import annotations

import httpx
from sqlmodel import select

from frontdesk.models import (
    Initiator,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from frontdesk.services.businesses import NewBusiness
from tests.factories import make_business
from tests.flow import Flow, assert_books_balance


def api_key(flow: Flow) -> str:
    """The flow's business was made by the factory; give it a fresh key to call with."""
    from frontdesk.services import businesses

    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        _, key = businesses.create_api_key(session, business=business, name="tests")
    return key


def save_card(flow: Flow, processor_id: str, consent: str = "I authorise it") -> PaymentMethod:
    with flow.db.session(flow.business.id) as session:
        method = PaymentMethod(
            business_id=flow.business.id,
            customer_id=flow.customer.id,
            processor_id=processor_id,
            brand="visa",
            last4="4242",
            is_default=True,
            consent_text=consent,
        )
        session.add(method)
    return method


def call(flow: Flow, method: str, path: str, body: object = None, **headers: str) -> httpx.Response:
    return httpx.request(
        method,
        f"{flow.app.url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {api_key(flow)}", **headers},
    )


def test_a_charge_settles_chosen_invoices_and_a_refund_never_exceeds_it(flow: Flow) -> None:
    save_card(flow, "pm_card_visa")
    methods = call(flow, "GET", f"/customers/{flow.customer.id}/payment-methods").json()
    assert [m["last4"] for m in methods["data"]] == ["4242"]
    older = flow.invoices[0]
    charged = call(
        flow,
        "POST",
        f"/customers/{flow.customer.id}/charges",
        {"invoices": [older.id], "description": "Spring clean-up"},
        **{"Idempotency-Key": "charge-1"},
    )
    assert charged.status_code == 201, charged.text
    payment = charged.json()["payment"]
    assert (payment["status"], payment["amount"], payment["initiated_by"]) == (
        "succeeded",
        4000,
        "api",
    )
    assert payment["invoices"] == [{"invoice": older.id, "amount": 4000}]
    assert flow.invoice(older.id).status == InvoiceStatus.PAID
    again = call(
        flow,
        "POST",
        f"/customers/{flow.customer.id}/charges",
        {"invoices": [older.id], "description": "Spring clean-up"},
        **{"Idempotency-Key": "charge-1"},
    )
    assert again.json()["payment"]["id"] == payment["id"]
    with flow.db.session(flow.business.id) as session:
        assert len(session.exec(select(Payment)).all()) == 1

    refunds = f"/payments/{payment['id']}/refunds"
    part = call(flow, "POST", refunds, {"amount": 1500, "reason": "Missed a bed"})
    assert part.status_code == 201 and part.json()["amount"] == 1500
    too_much = call(flow, "POST", refunds, {"amount": 2501})
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "amount"
    rest = call(flow, "POST", refunds, {})
    assert rest.json()["amount"] == 2500
    assert call(flow, "POST", refunds, {"amount": 1}).status_code == 422
    shown = call(flow, "GET", f"/payments/{payment['id']}").json()
    assert shown["amount_refunded"] == 4000 and len(shown["refunds"]) == 2
    assert_books_balance(flow)


def test_a_partial_charge_fills_the_oldest_invoice_first(flow: Flow) -> None:
    save_card(flow, "pm_card_visa")
    charged = call(flow, "POST", f"/customers/{flow.customer.id}/charges", {"amount": 5000})
    payment = charged.json()["payment"]
    assert payment["invoices"] == [
        {"invoice": flow.invoices[0].id, "amount": 4000},
        {"invoice": flow.invoices[1].id, "amount": 1000},
    ]
    too_much = call(flow, "POST", f"/customers/{flow.customer.id}/charges", {"amount": 5001})
    assert too_much.status_code == 422
    assert_books_balance(flow)


def test_a_charge_needing_authentication_waits_and_emails_the_customer(flow: Flow) -> None:
    save_card(flow, "pm_card_authenticationRequired")
    charged = call(flow, "POST", f"/customers/{flow.customer.id}/charges", {})
    assert charged.status_code == 201
    assert charged.json()["awaiting_customer"] is True
    assert charged.json()["payment"]["status"] == "pending"
    with flow.db.session(flow.business.id) as session:
        mail = [i for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    assert mail and "#frontdesk=" in mail[0].payload["text"]
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN
    assert_books_balance(flow)


def test_cards_saved_without_consent_or_of_another_business_are_not_charged(flow: Flow) -> None:
    save_card(flow, "pm_card_visa", consent="")
    refused = call(flow, "POST", f"/customers/{flow.customer.id}/charges", {})
    assert refused.status_code == 422
    other: NewBusiness = make_business(flow.db)
    response = httpx.post(
        f"{flow.app.url}/api/v1/customers/{flow.customer.id}/charges",
        json={},
        headers={"Authorization": f"Bearer {other.secret_api_key}"},
    )
    assert response.status_code == 404
    methods = httpx.get(
        f"{flow.app.url}/api/v1/customers/{flow.customer.id}/payment-methods",
        headers={"Authorization": f"Bearer {other.secret_api_key}"},
    )
    assert methods.status_code == 404
    with flow.db.session(flow.business.id) as session:
        assert all(p.initiated_by != Initiator.API for p in session.exec(select(Payment)))
        assert all(p.status != PaymentStatus.SUCCEEDED for p in session.exec(select(Payment)))


def test_a_declined_charge_by_the_business_is_emailed_to_the_customer(flow: Flow) -> None:
    save_card(flow, "pm_card_visa_chargeDeclinedInsufficientFunds")
    charged = call(flow, "POST", f"/customers/{flow.customer.id}/charges", {})
    assert charged.json()["payment"]["status"] == "failed"
    with flow.db.session(flow.business.id) as session:
        mail = [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    assert [m["to"] for m in mail] == [flow.customer.email]
    assert "did not go through" in mail[0]["subject"]
    assert "insufficient funds" in mail[0]["text"]
    assert_books_balance(flow)
