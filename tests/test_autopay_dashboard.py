"""Automatic payments in the dashboard over real HTTP: the customer's card with the words they
agreed to and each try, staff turning it off (never on), the Payments page's queue of failed and
upcoming charges, and the terms in settings (refused by field when wrong, nothing saved)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import (
    AttemptStatus,
    AutopayAttempt,
    AutopayEnrollment,
    Customer,
    OutboxItem,
    PaymentMethod,
)
from frontdesk.services import autopay, businesses, customers
from frontdesk.services.businesses import NewBusiness
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_dashboard import Desk


@pytest.fixture
def office(live_server: LiveServer, db: Database) -> Iterator[tuple[Desk, NewBusiness, Customer]]:
    made = make_business(db, name="Greenleaf Gardens")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey Jones")
    desk = Desk(live_server.url, made.owner.email)
    yield desk, made, casey
    desk.close()


def enroll(db: Database, made: NewBusiness, customer: Customer) -> str:
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        method = PaymentMethod(
            business_id=business.id,
            customer_id=customer.id,
            processor_id=f"pm_card_{customer.id[-8:]}",
            brand="visa",
            last4="4242",
            consent_text="I authorise it",
        )
        session.add(method)
        session.flush()
        found = customers.get(session, business=business, customer_id=customer.id)
        return autopay.enroll(
            session,
            business=business,
            customer=found,
            method_id=method.id,
            agreed=True,
            shown=autopay.digest(autopay.consent_text(business, method)),
            ip="198.51.100.7",
            user_agent="Firefox",
            now=datetime.now(UTC),
        ).id


def test_the_customer_card_shows_the_consent_and_staff_can_only_turn_it_off(
    office: tuple[Desk, NewBusiness, Customer], db: Database
) -> None:
    desk, made, casey = office
    off = desk.get(f"/customers/{casey.id}/autopay")
    assert "Only Casey Jones can turn automatic payments on" in off.text
    assert "dashboard_customer_autopay_on" not in off.text
    enroll(db, made, casey)
    on = desk.get(f"/customers/{casey.id}/autopay")
    assert "Visa •••• 4242" in on.text and "198.51.100.7" in on.text
    assert "I authorise Greenleaf Gardens to charge my Visa ending 4242" in on.text
    turned = desk.post(f"/customers/{casey.id}/autopay/off", {"reason": "Asked by phone"})
    assert turned.status_code == 200 and "Automatic payments are off." in turned.text
    with db.session(made.business.id) as session:
        ended = session.exec(select(AutopayEnrollment)).one()
        assert ended.revoked_by == "staff" and ended.revoke_reason == "Asked by phone"
        emails = session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all()
        assert any("are off" in item.payload["subject"] for item in emails)
    again = desk.post(f"/customers/{casey.id}/autopay/off", {})
    assert again.status_code == 404


def test_the_queue_lists_failed_charges_and_what_comes_next(
    office: tuple[Desk, NewBusiness, Customer], db: Database
) -> None:
    desk, made, casey = office
    enrollment = enroll(db, made, casey)
    today = datetime.now(UTC).date()
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        failing = make_invoice(session, business, casey, number="AP-9", due_date=today)
        make_invoice(session, business, casey, number="AP-10", due_date=today + timedelta(days=20))
        session.add(
            AutopayAttempt(
                business_id=business.id,
                invoice_id=failing.id,
                attempt=1,
                enrollment_id=enrollment,
                customer_id=casey.id,
                due_at=datetime.now(UTC),
                decided_at=datetime.now(UTC),
                status=AttemptStatus.HARD_FAILED,
                amount=10000,
                code="lost_card",
                message="Your card was declined.",
                gave_up=True,
            )
        )
    queue = desk.get("/payments/automatic")
    assert queue.status_code == 200
    failed, coming = queue.text.split("Coming up")
    assert "AP-9" in failed and "Declined for good" in failed and "Casey Jones" in failed
    assert "AP-10" in coming and "AP-9" not in coming
    assert '/dashboard/payments/automatic" hx-trigger="load"' in desk.get("/payments").text


def test_terms_are_saved_and_bad_ones_refused_with_nothing_changed(
    office: tuple[Desk, NewBusiness, Customer], db: Database
) -> None:
    desk, made, _ = office
    form = {
        "autopay_enabled": "yes",
        "autopay_charge_on": "issue",
        "autopay_notice_days": "0",
        "autopay_retry_days": "2, 4",
    }
    saved = desk.post("/settings/autopay", form)
    assert saved.status_code == 200 and "Saved: new terms for automatic payments." in saved.text
    for field, bad in (
        ("autopay_charge_on", "someday"),
        ("autopay_notice_days", "-1"),
        ("autopay_retry_days", "1, 2, 3, 4, 5, 6"),
        ("autopay_retry_days", "tomorrow"),
    ):
        refused = desk.post("/settings/autopay", {**form, field: bad, "autopay_enabled": ""})
        assert refused.status_code == 422, field
        assert f'value="{bad}"' in refused.text or bad == "someday"
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert business.autopay_enabled and business.autopay_charge_on == "issue"
        assert business.autopay_notice_days == 0 and business.autopay_retry_days == [2, 4]


def test_the_api_shows_each_customers_automatic_payments(
    live_server: LiveServer, db: Database
) -> None:
    made = make_business(db, name="Greenleaf Gardens")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey Jones")
        robin = make_customer(session, made.business, name="Robin")
    enrollment = enroll(db, made, casey)
    headers = {"Authorization": f"Bearer {made.secret_api_key}"}
    with httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers) as api:
        listed = {c["id"]: c["autopay"] for c in api.get("/customers").json()["data"]}
        one = api.get(f"/customers/{casey.id}").json()["autopay"]
    with db.session(made.business.id) as session:
        card = session.get(AutopayEnrollment, enrollment)
        assert card is not None
    assert listed[casey.id] == one and one["status"] == "on"
    assert one["payment_method"] == card.payment_method_id and one["since"]
    assert listed[robin.id] == {"status": "off", "payment_method": None, "since": None}
