"""Events to the host page, as the server tells them: in HX-Trigger on the answer to the action,
in the documented shape, with the webhook twin's id, and never in a read-only look."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import stripe
from sqlmodel import select

from frontdesk import tokens
from frontdesk.models import OutboxItem, PaymentMethod, PaymentStatus
from frontdesk.services import businesses, customers, estimates
from frontdesk.services.lines import LineInput
from frontdesk.tokens import Purpose
from tests.flow import Flow

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "embed-snippets" / "events.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def told(response: httpx.Response) -> list[dict[str, Any]]:
    """The events an answer tells the host page of, each checked against the published schema."""
    header = response.headers.get("HX-Trigger")
    events: list[dict[str, Any]] = json.loads(header)["fd:events"] if header else []
    for event in events:
        VALIDATOR.validate(event)
    return events


@contextmanager
def portal(flow: Flow, **claims: object) -> Iterator[tuple[httpx.Client, httpx.Response]]:
    """A portal session for the flow's customer, as the loader opens one, and its first answer."""
    key = flow.business.publishable_key
    with httpx.Client(base_url=f"{flow.app.url}/portal/{key}") as client:
        yield client, _opened(client, flow, **claims)


def _opened(client: httpx.Client, flow: Flow, **claims: object) -> httpx.Response:
    token = tokens.mint(
        flow.settings.secret_key,
        Purpose.EMBED,
        business_id=flow.business.id,
        customer_id=flow.customer.id,
        link_version=flow.customer.link_version,
        **claims,  # type: ignore[arg-type]
    )
    opened = client.post("/session", data={"token": token})
    assert opened.status_code == 200, opened.text
    client.headers["Authorization"] = f"Bearer {opened.headers['Frontdesk-Session']}"
    return opened


def webhook_id(flow: Flow, type: str) -> str:
    with flow.db.session(flow.business.id) as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.kind == "event")).all()
    [found] = [item.payload["id"] for item in items if item.payload["type"] == type]
    return str(found)


def test_opening_a_session_tells_who_signed_in_and_nothing_personal(quiet_flow: Flow) -> None:
    with portal(quiet_flow) as (_, opened):
        [event] = told(opened)
    assert event["type"] == "signed-in"
    assert event["business"] == quiet_flow.business.publishable_key
    assert event["customer"] == event["object"]["id"] == quiet_flow.customer.id
    header = opened.headers["HX-Trigger"]
    assert quiet_flow.customer.name not in header and quiet_flow.customer.email not in header
    assert f'data-fd-customer="{quiet_flow.customer.id}"' in opened.text


def test_the_businesss_read_only_look_tells_the_page_nothing(quiet_flow: Flow) -> None:
    with portal(quiet_flow, ro=1) as (client, opened):
        assert "HX-Trigger" not in opened.headers
        assert "data-fd-customer" not in opened.text  # so the loader's own events stay quiet too
        payment, _ = quiet_flow.start(["INV-A"])
        quiet_flow.confirm(payment)
        result = client.get(f"/pay/{payment.id}/result")
    assert "Payment received" in result.text
    assert "HX-Trigger" not in result.headers


def test_every_path_that_shows_a_payment_succeeded_tells_the_same_event(quiet_flow: Flow) -> None:
    payment, _ = quiet_flow.start(["INV-A"], tip=500)
    with portal(quiet_flow) as (client, _):
        assert told(client.get(f"/pay/{payment.id}/result")) == []  # nothing to say yet
        quiet_flow.confirm(payment)
        [first] = told(client.get(f"/pay/{payment.id}/result"))
        # The processor's webhook arriving later, and the result asked again (another path, a
        # second poll): the same event, which the loader dispatches once.
        quiet_flow.post_event(
            quiet_flow.event("payment_intent.succeeded", str(payment.processor_reference))
        )
        [again] = told(client.get(f"/pay/{payment.id}/result"))
    assert first == again
    assert first["type"] == "payment-succeeded"
    assert first["id"] == webhook_id(quiet_flow, "payment.succeeded")
    assert first["object"] == {
        "kind": "payment",
        "id": payment.id,
        "amount": 4500,
        "currency": "USD",
        "status": "succeeded",
    }


def test_a_declined_card_is_told_as_failed_and_still_payable(quiet_flow: Flow) -> None:
    payment, _ = quiet_flow.start(["INV-A"])
    with pytest.raises(stripe.CardError):
        quiet_flow.confirm(payment, "pm_card_visa_chargeDeclinedInsufficientFunds")
    with portal(quiet_flow) as (client, _):
        [event] = told(client.get(f"/pay/{payment.id}/result"))
    assert event["type"] == "payment-failed"
    assert event["object"]["status"] == "pending"  # another card can still pay it, in place
    assert event["id"] == webhook_id(quiet_flow, "invoice.payment_failed")


def test_one_click_tells_the_payment_at_once(quiet_flow: Flow) -> None:
    with quiet_flow.db.session(quiet_flow.business.id) as session:
        session.add(
            PaymentMethod(
                business_id=quiet_flow.business.id,
                customer_id=quiet_flow.customer.id,
                processor_id="pm_card_visa",
                brand="visa",
                last4="4242",
                is_default=True,
            )
        )
    with portal(quiet_flow) as (client, _):
        charged = client.post("/pay/one-click", data={"invoice": "INV-B", "chosen": "1"})
    assert "Payment received" in charged.text
    [event] = told(charged)
    assert (event["type"], event["object"]["amount"]) == ("payment-succeeded", 6000)
    assert quiet_flow.payment(event["object"]["id"]).status == PaymentStatus.SUCCEEDED


def test_saved_cards_changed_by_the_customer_are_told(quiet_flow: Flow) -> None:
    with quiet_flow.db.session(quiet_flow.business.id) as session:
        cards = [
            PaymentMethod(
                business_id=quiet_flow.business.id,
                customer_id=quiet_flow.customer.id,
                processor_id=processor_id,
                brand="visa",
                last4="4242",
                is_default=default,
            )
            for processor_id, default in (("pm_card_visa", True), ("pm_card_chargeDeclined", False))
        ]
        session.add_all(cards)
        session.flush()
        first, second = (card.id for card in cards)
    with portal(quiet_flow) as (client, _):
        [made_default] = told(client.post(f"/payment-methods/{second}/default"))
        [removed] = told(client.post(f"/payment-methods/{first}/remove"))
        assert told(client.post(f"/payment-methods/{first}/remove")) == []  # 404: nothing to tell
    assert made_default["type"] == "payment-method-default-changed"
    assert made_default["object"] == {"kind": "payment_method", "id": second}
    assert (removed["type"], removed["object"]["id"]) == ("payment-method-removed", first)
    assert made_default["id"] != removed["id"]


def test_a_card_saved_without_paying_is_told_with_its_webhooks_id(quiet_flow: Flow) -> None:
    with portal(quiet_flow) as (client, _):
        form = client.get("/payment-methods/new").text
        attempt = form.split('name="attempt" value="')[1].split('"')[0]
        started = client.post("/payment-methods/new", data={"consent": "yes", "attempt": attempt})
        setup_id = started.text.split("/payment-methods/added/")[1].split('"')[0]
        quiet_flow.client.v1.setup_intents.confirm(
            setup_id,
            params={"payment_method": "pm_card_visa"},
            options={"stripe_account": str(quiet_flow.business.processor_account)},
        )
        [event] = told(client.get(f"/payment-methods/added/{setup_id}"))
    with quiet_flow.db.session(quiet_flow.business.id) as session:
        card = session.exec(select(PaymentMethod)).one()
    assert event["type"] == "payment-method-saved"
    assert event["object"] == {"kind": "payment_method", "id": card.id}
    assert event["id"] == webhook_id(quiet_flow, "payment_method.saved")
    assert "4242" not in json.dumps(event)


def test_estimate_decisions_are_told_with_their_webhooks_id(quiet_flow: Flow) -> None:
    with quiet_flow.db.session(quiet_flow.business.id) as session:
        business = businesses.get(session, quiet_flow.business.id)
        customer = customers.get(session, business=business, customer_id=quiet_flow.customer.id)
        numbers = [
            estimates.create(
                session,
                business=business,
                customer=customer,
                lines=[LineInput("Patio", 250000, Decimal(1))],
                issue_date=date.today(),
                expires_on=date.today() + timedelta(days=30),
                send=True,
            ).number
            for _ in range(2)
        ]
    with portal(quiet_flow) as (client, _):
        refused = client.post(f"/estimates/{numbers[0]}/decision", data={"decision": "accept"})
        assert refused.status_code == 422 and told(refused) == []
        signed = {"decision": "accept", "signer_name": "Casey Customer", "accept_terms": "yes"}
        [accepted] = told(client.post(f"/estimates/{numbers[0]}/decision", data=signed))
        no = {"decision": "reject", "reason": "Too dear"}
        [rejected] = told(client.post(f"/estimates/{numbers[1]}/decision", data=no))
    assert accepted["id"] == webhook_id(quiet_flow, "estimate.accepted")
    assert accepted["object"]["number"] == numbers[0]
    assert (accepted["object"]["amount"], accepted["object"]["status"]) == (250000, "accepted")
    assert (rejected["type"], rejected["object"]["status"]) == ("estimate-rejected", "rejected")
    assert "Casey Customer" not in json.dumps([accepted, rejected])
    assert "Too dear" not in json.dumps(rejected)


def test_a_profile_change_is_told_once_and_never_what_changed(quiet_flow: Flow) -> None:
    details = {
        "email": quiet_flow.customer.email,
        "phone": "+1 555 010 2200",
        "address_line1": "1 Elm St",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62704",
        "country": "US",
    }
    with portal(quiet_flow) as (client, _):
        [updated] = told(client.post("/profile", data=details))
        assert told(client.post("/profile", data=details)) == []  # nothing changed
        assert told(client.post("/profile", data={**details, "email": "not an address"})) == []
    assert updated["type"] == "customer-updated"
    assert updated["object"] == {"kind": "customer", "id": quiet_flow.customer.id}
    assert updated["id"] == webhook_id(quiet_flow, "customer.updated")
    for personal in ("555 010", "Elm St", "Springfield", quiet_flow.customer.email):
        assert personal not in json.dumps(updated)
