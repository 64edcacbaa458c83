"""The customer's views over real HTTP: figures from the database, decisions, profile, isolation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import (
    AuditEvent,
    Business,
    Customer,
    Estimate,
    EstimateStatus,
    Initiator,
    OutboxItem,
)
from frontdesk.services import estimates, payments
from frontdesk.services.lines import LineInput
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice

TODAY = date.today()
SIGNED_IN = "customer.signed_in"  # every portal session starts with one


class Portal:
    """A signed-in customer's portal session, as the widget would hold it."""

    def __init__(
        self, server: LiveServer, settings: Settings, business: Business, customer: Customer
    ) -> None:
        self.key = business.publishable_key
        self.client = httpx.Client(base_url=f"{server.url}/portal/{self.key}")
        token = tokens.mint(
            settings.secret_key,
            Purpose.EMBED,
            business_id=business.id,
            customer_id=customer.id,
            link_version=customer.link_version,
        )
        opened = self.client.post("/session", data={"token": token})
        assert opened.status_code == 200, opened.text
        self.client.headers["Authorization"] = f"Bearer {opened.headers['Frontdesk-Session']}"

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data=data)

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()


@pytest.fixture
def shop(db: Database) -> dict[str, object]:
    made = make_business(db)
    business = made.business
    with db.session(business.id) as session:
        casey = make_customer(session, business, name="Casey")
        robin = make_customer(session, business, name="Robin")
        make_invoice(
            session,
            business,
            casey,
            amounts=(5000,),
            number="INV-1",
            issue_date=TODAY - timedelta(days=40),
            due_date=TODAY - timedelta(days=10),
        )
        partly = make_invoice(
            session, business, casey, amounts=(8000, 2000), tax_rate_bp=1000, number="INV-2"
        )
        payments.record_succeeded(
            session,
            business=business,
            customer=casey,
            allocations=[(partly, 3000)],
            method="card",
            idempotency_key="p1",
            initiated_by=Initiator.CUSTOMER,
        )
        paid = make_invoice(session, business, casey, amounts=(1500,), number="INV-3")
        payments.record_succeeded(
            session,
            business=business,
            customer=casey,
            allocations=[(paid, 1500)],
            method="card",
            idempotency_key="p2",
            initiated_by=Initiator.CUSTOMER,
        )
        make_invoice(session, business, casey, amounts=(999,), number="INV-DRAFT", send=False)
        make_invoice(session, business, robin, amounts=(7777,), number="INV-ROBIN")
        estimate = estimates.create(
            session,
            business=business,
            customer=casey,
            lines=[LineInput("Patio", 250000, Decimal(1), tax_rate_bp=500)],
            issue_date=TODAY,
            expires_on=TODAY + timedelta(days=30),
            send=True,
        )
        expired = estimates.create(
            session,
            business=business,
            customer=casey,
            lines=[LineInput("Fence", 90000)],
            issue_date=TODAY - timedelta(days=60),
            expires_on=TODAY - timedelta(days=30),
            send=True,
        )
    return {
        "made": made,
        "business": business,
        "casey": casey,
        "robin": robin,
        "estimate": estimate.number,
        "expired": expired.number,
    }


@pytest.fixture
def casey(live_server: LiveServer, settings: Settings, shop: dict[str, object]) -> Iterator[Portal]:
    with Portal(live_server, settings, shop["business"], shop["casey"]) as portal:  # type: ignore[arg-type]
        yield portal


def amounts(html: str) -> list[int]:
    return [int(a) for a in re.findall(r'data-amount="(-?\d+)"', html)]


def test_invoice_filters_show_the_derived_statuses(casey: Portal) -> None:
    def numbers(status: str) -> list[str]:
        page = casey.get("/invoices", params={"status": status})
        assert page.status_code == 200
        return re.findall(r">(INV-[\w-]+)</a>", page.text)

    assert numbers("") == ["INV-3", "INV-2", "INV-1"]
    assert numbers("overdue") == ["INV-1"]
    assert numbers("partially_paid") == ["INV-2"]
    assert numbers("paid") == ["INV-3"]
    assert numbers("unpaid") == []
    assert numbers("nonsense") == ["INV-3", "INV-2", "INV-1"]


def test_invoice_pages_hold_ten(casey: Portal, db: Database, shop: dict[str, object]) -> None:
    business, customer = shop["business"], shop["casey"]
    with db.session(business.id) as session:  # type: ignore[attr-defined]
        for n in range(10):
            make_invoice(session, business, customer, number=f"INV-X{n:02}")  # type: ignore[arg-type]
    first = casey.get("/invoices")
    second = casey.get("/invoices", params={"page": "2"})
    assert first.text.count('hx-target="#fd-view">INV-') == 10 and ">Older<" in first.text
    assert second.text.count('hx-target="#fd-view">INV-') == 3 and ">Newer<" in second.text
    assert casey.get("/invoices", params={"page": "x"}).status_code == 200


def test_invoice_detail_figures_come_from_the_database(casey: Portal) -> None:
    detail = casey.get("/invoices/INV-2")
    assert detail.status_code == 200
    # lines 8000 + 2000, subtotal 10000, tax 1000, total 11000, payment -3000, due 8000
    assert amounts(detail.text) == [8000, 2000, 10000, 1000, 11000, -3000, 8000]
    assert "Partially paid" in detail.text
    assert (
        'hx-swap-oob="outerMorph"' in detail.text and 'aria-current="page">Invoices' in detail.text
    )


@pytest.mark.parametrize("number", ["INV-ROBIN", "INV-DRAFT", "INV-404"])
def test_other_customers_and_draft_invoices_do_not_exist(casey: Portal, number: str) -> None:
    response = casey.get(f"/invoices/{number}")
    assert response.status_code == 404
    assert "7,777" not in response.text and "9.99" not in response.text


def test_another_business_cannot_reach_these_invoices(
    live_server: LiveServer, settings: Settings, db: Database, shop: dict[str, object]
) -> None:
    other = make_business(db).business
    with db.session(other.id) as session:
        stranger = make_customer(session, other)
    casey_key = shop["business"].publishable_key  # type: ignore[attr-defined]
    with Portal(live_server, settings, other, stranger) as portal:
        assert portal.get("/invoices/INV-2").status_code == 404
        assert "INV-" not in portal.get("/invoices").text
        response = portal.client.get(f"{live_server.url}/portal/{casey_key}/invoices/INV-2")
    assert response.status_code == 401


def test_the_invoice_pdf_downloads_through_a_short_lived_link(
    casey: Portal, settings: Settings
) -> None:
    detail = casey.get("/invoices/INV-2")
    link = re.search(r'href="([^"]+/download/[^"]+)"', detail.text)
    assert link
    pdf = httpx.get(link.group(1))
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="INV-2.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    tampered = link.group(1)[:-4] + "AAAA"
    assert httpx.get(tampered).status_code == 401


def test_a_download_token_cannot_name_someone_elses_document(
    casey: Portal, settings: Settings, shop: dict[str, object], live_server: LiveServer
) -> None:
    customer: Customer = shop["casey"]  # type: ignore[assignment]
    forged = tokens.mint(
        settings.secret_key,
        Purpose.DOWNLOAD,
        business_id=customer.business_id,
        customer_id=customer.id,
        link_version=customer.link_version,
        d="invoice:INV-ROBIN",
    )
    assert httpx.get(f"{live_server.url}/portal/{casey.key}/download/{forged}").status_code == 404


def test_approving_needs_a_signature_and_the_terms(
    casey: Portal, db: Database, shop: dict[str, object]
) -> None:
    number = shop["estimate"]
    refused = casey.post(
        f"/estimates/{number}/decision", {"decision": "accept", "signer_name": " "}
    )
    assert refused.status_code == 422
    assert "Type your full name to sign." in refused.text
    assert "Tick the box to accept the terms." in refused.text
    business: Business = shop["business"]  # type: ignore[assignment]
    with db.session(business.id) as session:
        assert (
            session.exec(select(Estimate.status).where(Estimate.number == number)).one() == "sent"
        )
        assert session.exec(select(AuditEvent).where(AuditEvent.action != SIGNED_IN)).all() == []


def test_an_approval_is_recorded_notified_and_final(
    casey: Portal, db: Database, shop: dict[str, object]
) -> None:
    number = shop["estimate"]
    approved = casey.post(
        f"/estimates/{number}/decision",
        {"decision": "accept", "signer_name": "Casey  Q. Customer", "accept_terms": "yes"},
    )
    assert approved.status_code == 200
    assert "Approved by Casey Q. Customer" in approved.text
    business: Business = shop["business"]  # type: ignore[assignment]
    with db.session(business.id) as session:
        estimate = session.exec(select(Estimate).where(Estimate.number == number)).one()
        assert (estimate.status, estimate.signer_name, estimate.signer_ip) == (
            EstimateStatus.ACCEPTED,
            "Casey Q. Customer",
            "127.0.0.1",
        )
        assert estimate.decided_at is not None
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.action != SIGNED_IN))
        assert actions.all() == ["estimate.accepted"]
        queued = {
            (item.kind, item.payload.get("type") or item.payload.get("subject"))
            for item in session.exec(select(OutboxItem)).all()
        }
    owner = shop["made"].owner.email  # type: ignore[attr-defined]
    assert ("event", "estimate.accepted") in queued
    assert ("email", f"Estimate {number} accepted by Casey") in queued
    assert owner
    again = casey.post(
        f"/estimates/{number}/decision", {"decision": "reject", "reason": "changed my mind"}
    )
    assert again.status_code == 422
    assert "already accepted" in again.text


def test_a_rejection_keeps_the_reason(casey: Portal, db: Database, shop: dict[str, object]) -> None:
    number = shop["estimate"]
    rejected = casey.post(
        f"/estimates/{number}/decision", {"decision": "reject", "reason": "Too dear"}
    )
    assert rejected.status_code == 200
    assert "Reason: Too dear" in rejected.text
    business: Business = shop["business"]  # type: ignore[assignment]
    with db.session(business.id) as session:
        estimate = session.exec(select(Estimate).where(Estimate.number == number)).one()
        assert (estimate.status, estimate.rejection_reason) == (EstimateStatus.REJECTED, "Too dear")


def test_an_expired_estimate_cannot_be_approved(casey: Portal, shop: dict[str, object]) -> None:
    number = shop["expired"]
    response = casey.post(
        f"/estimates/{number}/decision",
        {"decision": "accept", "signer_name": "Casey", "accept_terms": "yes"},
    )
    assert response.status_code == 422
    assert "has expired" in response.text


def queued_since(db: Database, shop: dict[str, object], before: set[str]) -> list[OutboxItem]:
    """Outbox items queued after `before` (the ids there were): what the test's action queued."""
    business: Business = shop["business"]  # type: ignore[assignment]
    with db.session(business.id) as session:
        return [item for item in session.exec(select(OutboxItem)) if item.id not in before]


def test_profile_input_is_validated_field_by_field_and_changes_nothing(
    casey: Portal, db: Database, shop: dict[str, object]
) -> None:
    before = {item.id for item in queued_since(db, shop, set())}
    bad = {
        "email": "not-an-email",
        "phone": "12",
        "address_line1": "",
        "city": "",
        "postal_code": "",
        "country": "USA",
        "sms_consent": "yes",
    }
    response = casey.post("/profile", bad)
    assert response.status_code == 422
    for message in (
        "Enter an email address like",
        "Enter a phone number",
        "Enter your street address",
        "Enter your city",
        "Enter your postal code",
        "two-letter country code",
    ):
        assert message in response.text
    assert 'value="not-an-email"' in response.text  # what was typed stays in the form
    business: Business = shop["business"]  # type: ignore[assignment]
    with db.session(business.id) as session:
        customer = session.get(Customer, shop["casey"].id)  # type: ignore[attr-defined]
        assert customer is not None and customer.phone == "" and not customer.sms_consent
        assert session.exec(select(AuditEvent).where(AuditEvent.action != SIGNED_IN)).all() == []
    assert queued_since(db, shop, before) == []


def test_a_profile_change_is_saved_audited_and_queued(
    casey: Portal, db: Database, shop: dict[str, object]
) -> None:
    before = {item.id for item in queued_since(db, shop, set())}
    good = {
        "email": "Casey@Example.com",
        "phone": "+1 555 010 2200",
        "address_line1": "1 Elm St",
        "address_line2": "",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62704",
        "country": "us",
        "sms_consent": "yes",
    }
    response = casey.post("/profile", good)
    assert response.status_code == 200
    assert "Saved." in response.text
    business: Business = shop["business"]  # type: ignore[assignment]
    with db.session(business.id) as session:
        customer = session.get(Customer, shop["casey"].id)  # type: ignore[attr-defined]
        assert customer is not None
        assert (customer.email, customer.country, customer.phone) == (
            "casey@example.com",
            "US",
            "+1 555 010 2200",
        )
        assert (
            customer.sms_consent
            and "text message" in customer.sms_consent_text
            and customer.sms_consent_at
        )
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action != SIGNED_IN)).all()
        assert event.action == "customer.profile_updated" and event.detail["changes"]["city"] == [
            "",
            "Springfield",
        ]
    queued = sorted(
        (item.kind, item.payload.get("type", "")) for item in queued_since(db, shop, before)
    )
    assert queued == [("email", ""), ("event", "customer.updated")]
    assert "Nothing changed." in casey.post("/profile", good).text


def test_switched_off_sections_vanish_and_answer_404(
    casey: Portal, db: Database, shop: dict[str, object]
) -> None:
    business: Business = shop["business"]  # type: ignore[assignment]
    assert ">Estimates<" in casey.get("/home").text  # the nav drawn before the switch
    with db.unscoped("the test flips the business's portal switches") as session:
        row = session.get(Business, business.id)
        assert row is not None
        row.allow_estimates = row.allow_profile_updates = row.allow_invoices = False
    home = casey.get("/home")
    assert (
        ">Estimates<" not in home.text
        and ">Profile<" not in home.text
        and ">Invoices<" not in home.text
    )
    assert ">Payments<" in home.text
    for path in (
        "/estimates",
        f"/estimates/{shop['estimate']}",
        "/profile",
        "/invoices",
        "/invoices/INV-2",
    ):
        assert casey.get(path).status_code == 404, path
    assert casey.post("/profile", {"email": "x@y.zz"}).status_code == 404


def test_the_nav_speaks_the_language_asked_and_links_to_the_address_asked(casey: Portal) -> None:
    english = casey.get("/home")
    spanish = casey.get("/home", headers={"Frontdesk-Language": "es"})
    other = casey.get("/home", headers={"Host": "portal.example.test"})
    assert ">Invoices</a>" in english.text and ">Facturas</a>" in spanish.text
    assert ">Facturas</a>" not in casey.get("/home").text
    tabs = re.findall(
        r'hx-get="([^"]+)" hx-target="#fd-view"(?: aria-current="page")?>', other.text
    )
    assert tabs and all(tab.startswith("http://portal.example.test/portal/") for tab in tabs)


def test_payment_history_lists_payments_with_receipts(casey: Portal) -> None:
    history = casey.get("/payments")
    assert history.status_code == 200
    assert amounts(history.text) == [1500, 3000] or amounts(history.text) == [3000, 1500]
    receipts = re.findall(r'href="([^"]+/download/[^"]+)"', history.text)
    assert len(receipts) == 2
    receipt = httpx.get(receipts[0])
    assert receipt.headers["Content-Type"] == "application/pdf"
    assert receipt.headers["Content-Disposition"].startswith('attachment; filename="receipt-pay_')


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("invoice/INV-2", 'id="fd-invoice"'),
        ("estimates", 'id="fd-estimates"'),
        ("profile", 'id="fd-profile"'),
        ("invoice/INV-ROBIN", 'id="fd-home"'),
        ("nonsense", 'id="fd-home"'),
    ],
)
def test_deep_links_open_their_view(
    live_server: LiveServer, settings: Settings, shop: dict[str, object], view: str, expected: str
) -> None:
    business: Business = shop["business"]  # type: ignore[assignment]
    customer: Customer = shop["casey"]  # type: ignore[assignment]
    token = tokens.mint(
        settings.secret_key,
        Purpose.EMBED,
        business_id=business.id,
        customer_id=customer.id,
        link_version=customer.link_version,
    )
    shell = httpx.post(
        f"{live_server.url}/portal/{business.publishable_key}/session",
        data={"token": token, "view": view},
    )
    assert shell.status_code == 200
    assert expected in shell.text
    assert "hx-swap-oob" not in shell.text


def test_an_open_portal_follows_a_deep_link(casey: Portal) -> None:
    assert 'id="fd-invoice"' in casey.get("/go/invoice/INV-1").text
    assert casey.get("/go/invoice/INV-ROBIN").status_code == 404


def test_without_a_payment_account_the_portal_says_how_to_pay(casey: Portal) -> None:
    home = casey.get("/home")
    assert "Online payment is not available yet. To pay another way, contact" in home.text
    assert 'class="fd-contact"' in home.text and "mailto:" in home.text
    # The pay step (a deep link, an emailed link) says the same instead of a missing page.
    pay = casey.get("/pay")
    assert pay.status_code == 200 and "Online payment is not available yet" in pay.text


def test_the_pay_page_refuses_bad_links_and_cannot_be_framed(
    live_server: LiveServer, settings: Settings, shop: dict[str, object]
) -> None:
    customer: Customer = shop["casey"]  # type: ignore[assignment]
    assert httpx.get(f"{live_server.url}/pay/pay_x?t=nonsense").status_code == 404
    token = tokens.mint(
        settings.secret_key,
        Purpose.PAY_PAGE,
        business_id=customer.business_id,
        customer_id=customer.id,
        link_version=customer.link_version,
        p="pay_other",
    )
    assert httpx.get(f"{live_server.url}/pay/pay_x?t={token}").status_code == 404
