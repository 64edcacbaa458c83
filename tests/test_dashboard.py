"""The business dashboard over real HTTP: forms with CSRF, roles, isolation, charges, refunds."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import col, select
from starlette.routing import Mount, Route

from frontdesk import tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import (
    ApiKey,
    AuditEvent,
    Customer,
    Invoice,
    InvoiceEffect,
    InvoiceStatus,
    OutboxItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundCause,
    StaffRole,
    utcnow,
)
from frontdesk.routes.dashboard.sign_in import SignInLimits
from frontdesk.services import businesses, staff
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.rate_limits import Limit
from frontdesk.settings import Settings
from tests.conftest import LiveServer, csrf_field
from tests.factories import PASSWORD, make_business, make_customer, make_invoice
from tests.flow import Flow, assert_books_balance
from tests.test_portal_views import Portal


class Desk:
    """A signed-in browser session on the dashboard, posting forms as htmx does."""

    def __init__(self, url: str, email: str, password: str = PASSWORD) -> None:
        # Patient: beside the PostgreSQL load test a sign-in took over httpx's 5 s. These tests
        # are about answers; speed is the benchmarks'.
        self.client = httpx.Client(base_url=f"{url}/dashboard", timeout=30)
        form = self.client.get("/sign-in")
        self.csrf = csrf_field(form.text)
        self.signed = self.client.post(
            "/sign-in", data={"email": email, "password": password, "csrf_token": self.csrf}
        )

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(
        self, path: str, data: dict[str, str | list[str]] | None = None, csrf: bool = True
    ) -> httpx.Response:
        headers = {"HX-Request": "true", **({"X-CSRF-Token": self.csrf} if csrf else {})}
        return self.client.post(path, data=data or {}, headers=headers)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def owner_desk(live_server: LiveServer, db: Database) -> Iterator[tuple[Desk, NewBusiness]]:
    made = make_business(db)
    desk = Desk(live_server.url, made.owner.email)
    yield desk, made
    desk.close()


def add_manager(db: Database, made: NewBusiness) -> str:
    email = f"manager-{made.business.id[-6:]}@example.com"
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        staff.create(
            session,
            business=business,
            email=email,
            password=PASSWORD,
            role=StaffRole.MANAGER,
            name="Morgan Manager",
        )
    return email


def test_an_owner_creates_a_customer_and_a_draft_then_sends_it(
    owner_desk: tuple[Desk, NewBusiness], db: Database, settings: Settings
) -> None:
    desk, made = owner_desk
    bad = desk.post("/customers", {"name": "", "email": "nope"})
    assert bad.status_code == 422 and "Enter the customer" in bad.text
    created = desk.post("/customers", {"name": "Robin Hill", "email": "robin@example.com"})
    assert created.status_code == 204
    page = created.headers["HX-Location"]
    customer_id = page.rsplit("/", 1)[1]
    due = (date.today() + timedelta(days=10)).isoformat()
    draft = desk.post(
        "/invoices",
        {
            "customer": customer_id,
            "due_date": due,
            "description": ["Hedge trimming", "Green waste", ""],
            "quantity": ["2", "1", "1"],
            "unit_price": ["45.50", "20", ""],
            "tax_rate": ["8.25", "", ""],
        },
    )
    assert draft.status_code == 204, draft.text
    invoice_id = draft.headers["HX-Location"].rsplit("/", 1)[1]
    with db.session(made.business.id) as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        # 2 x 45.50 = 91.00, tax 8.25 % = 7.51 (half up); + 20.00
        assert (invoice.subtotal, invoice.tax_total, invoice.total) == (11100, 751, 11851)
        assert invoice.status == InvoiceStatus.DRAFT
    shown = desk.get(f"/invoices/{invoice_id}")
    assert "Send to Robin Hill" in shown.text
    sent = desk.post(f"/invoices/{invoice_id}/send")
    assert sent.status_code == 200 and "is sent" in sent.text
    customer_page = desk.get(f"/customers/{customer_id}")
    assert "$118.51</strong> owed" in customer_page.text
    with db.session(made.business.id) as session:
        [mail] = [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]
        number = session.get(Invoice, invoice_id).number  # type: ignore[union-attr]
    assert mail["to"] == "robin@example.com" and number in mail["subject"]
    token = re.search(r"#frontdesk=(\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    claims = tokens.read(settings.secret_key, tokens.Purpose.PAY_LINK, token)
    assert (claims.customer_id, claims.extra["d"]) == (customer_id, f"pay/{number}")
    assert desk.post(f"/invoices/{invoice_id}/send").status_code == 200  # again: no second mail
    with db.session(made.business.id) as session:
        assert len([i for i in session.exec(select(OutboxItem)) if i.kind == "email"]) == 1
    with db.session(made.business.id) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert {"customer.created", "invoice.created", "invoice.send"} <= set(actions)
    desk.close()


def test_offline_payments_settle_and_void_is_refused_after_money(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business)
        invoice = make_invoice(session, made.business, customer, amounts=(5000,))
    too_much = desk.post(f"/invoices/{invoice.id}/payment", {"amount": "50.01", "method": "cash"})
    assert too_much.status_code == 422 and "Enter up to $50.00" in too_much.text
    part = desk.post(
        f"/invoices/{invoice.id}/payment",
        {"amount": "20", "method": "cheque", "reference": "#1001"},
    )
    assert part.status_code == 200 and "Recorded $20.00" in part.text
    assert desk.post(f"/invoices/{invoice.id}/void").status_code == 422
    desk.post(f"/invoices/{invoice.id}/payment", {"amount": "30", "method": "cash"})
    with db.session(made.business.id) as session:
        assert session.get(Invoice, invoice.id).status == InvoiceStatus.PAID  # type: ignore[union-attr]
    desk.close()


def test_search_finds_customers_by_name_or_email(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        make_customer(session, made.business, name="Ada Lovelace", email="ada@example.com")
        make_customer(session, made.business, name="Bob 100% Real", email="bob@example.com")
    # What the search box asks as one types: only the table.
    found = desk.client.get(
        "/customers/table", params={"q": "LOVE"}, headers={"HX-Request": "true"}
    )
    assert "Ada Lovelace" in found.text and "Bob" not in found.text
    assert 'id="customers-page"' not in found.text  # only the table
    assert "Bob 100% Real" in desk.get("/customers", q="100%").text
    assert "Ada" not in desk.get("/customers", q="%").text
    desk.close()


def test_long_lists_page_on_with_what_they_were_asked(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        for n in range(27):
            customer = make_customer(session, made.business, name=f"Pat {n:02}", email=f"p{n}@x.io")
            make_invoice(session, made.business, customer)
    first = desk.get("/customers", q="pat")
    assert "Pat 00" in first.text and "Pat 25" not in first.text and ">Previous<" not in first.text
    following = re.search(r'<a href="([^"]+)">Next</a>', first.text)
    assert following is not None
    second = desk.client.get(html.unescape(following.group(1)))
    assert "Pat 25" in second.text and "Pat 26" in second.text and "Pat 00" not in second.text
    assert ">Next<" not in second.text and ">Previous<" in second.text
    # A filtered list keeps its filter on the next page.
    listed = desk.get("/invoices", status="open")
    following = re.search(r'<a href="([^"]+)">Next</a>', listed.text)
    assert following is not None and "status=open" in following.group(1)
    desk.close()


def test_a_manager_sees_settings_but_cannot_change_them_or_keys(
    live_server: LiveServer, db: Database
) -> None:
    made = make_business(db)
    desk = Desk(live_server.url, add_manager(db, made))
    assert desk.get("/settings").status_code == 200
    for path, data in [
        ("/settings/portal", {"allow_payments": "yes"}),
        ("/settings/embed", {"allowed_origins": "https://evil.example"}),
        ("/developers/key", {"name": "mine"}),
        ("/developers/endpoint", {"url": "https://hooks.example"}),
        ("/theme", {"theme": "dark"}),
        ("/staff", {"email": "friend@example.com"}),
    ]:
        response = desk.post(path, data)
        assert response.status_code == 403, path
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert business.allowed_origins == []
        assert len(session.exec(select(ApiKey)).all()) == 1  # the one made with the business
    desk.close()


def test_owners_change_portal_settings_and_the_portal_follows(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner_desk
    bad = desk.post("/settings/portal", {"tips_enabled": "yes", "tip_percents": "lots"})
    assert bad.status_code == 422
    saved = desk.post(
        "/settings/portal",
        {
            "allow_payments": "yes",
            "allow_invoices": "yes",
            "tips_enabled": "yes",
            "tip_percents": "15, 20",
            "allow_partial_payments": "yes",
            "partial_payment_minimum": "25",
        },
    )
    assert saved.status_code == 200 and "Saved" in saved.text
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert business.tip_basis_points == [1500, 2000]
        assert business.partial_payment_minimum == 2500
        assert not business.allow_estimates and not business.allow_profile_updates
    embed = desk.post(
        "/settings/embed",
        {
            "allowed_origins": "https://shop.example\nhttps://www.shop.example",
            "portal_page_url": "https://shop.example/account",
        },
    )
    assert embed.status_code == 200
    check = desk.post("/settings/check", {"site": "https://www.shop.example/pay"})
    assert "may show the portal" in check.text
    check = desk.post("/settings/check", {"site": "https://other.example/"})
    assert "is not allowed" in check.text
    desk.close()


def test_keys_are_shown_once_and_revoked(
    owner_desk: tuple[Desk, NewBusiness], db: Database, live_server: LiveServer
) -> None:
    desk, made = owner_desk
    made_key = desk.post("/developers/key", {"name": "Sync"})
    key = re.search(r'value="(sk_[^"]+)"', made_key.text).group(1)  # type: ignore[union-attr]
    assert key not in desk.get("/developers").text
    api = httpx.get(
        f"{live_server.url}/api/v1/customers", headers={"Authorization": f"Bearer {key}"}
    )
    assert api.status_code == 200
    with db.session(made.business.id) as session:
        row = session.exec(select(ApiKey).where(ApiKey.name == "Sync")).one()
        assert key not in row.key_hash
    desk.post("/developers/revoke", {"id": row.id})
    api = httpx.get(
        f"{live_server.url}/api/v1/customers", headers={"Authorization": f"Bearer {key}"}
    )
    assert api.status_code == 401
    desk.close()


def dashboard_routes() -> list[Route]:
    app = create_app(Settings(environment="test", secret_key=("x" * 40,), run_jobs=False))
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/dashboard")
    return [r for r in mount.routes if isinstance(r, Route)]


def test_every_dashboard_form_refuses_a_missing_csrf_token(
    owner_desk: tuple[Desk, NewBusiness],
) -> None:
    desk, _ = owner_desk
    posts = [r for r in dashboard_routes() if "POST" in (r.methods or set())]
    assert len(posts) >= 14
    for route in posts:
        path = re.sub(r"{(\w+)}", "x", route.path)
        response = desk.post(path, {"name": "x"}, csrf=False)
        assert response.status_code == 403, route.path
        assert "This form has expired" in response.text
    desk.close()


def test_every_dashboard_route_refuses_another_business_ids(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, _ = owner_desk
    theirs = make_business(db)
    with db.session(theirs.business.id) as session:
        customer = make_customer(session, theirs.business, name="Secret Person")
        invoice = make_invoice(session, theirs.business, customer)
        from tests.factories import make_payment

        payment = make_payment(session, theirs.business, customer, invoice, 1000)
    ids = {
        "customer": customer.id,
        "invoice": invoice.id,
        "payment": payment.id,
        "change": "send",
        "todo": "todo_x",
    }
    walked = 0
    for route in dashboard_routes():
        names = re.findall(r"{(\w+)}", route.path)
        if not set(names) & {"customer", "invoice", "payment"}:
            continue
        path = route.path.format(**{name: ids[name] for name in names})
        method = "POST" if "POST" in (route.methods or set()) else "GET"
        response = (
            desk.post(path, {"amount": "1", "method": "cash", "enabled": "no"})
            if method == "POST"
            else desk.get(path)
        )
        assert response.status_code == 404, (method, route.path)
        assert "Secret Person" not in response.text
        walked += 1
    assert walked >= 10
    with db.session(theirs.business.id) as session:
        assert session.get(Invoice, invoice.id).status == InvoiceStatus.OPEN  # type: ignore[union-attr]
        assert session.get(Customer, customer.id).portal_enabled  # type: ignore[union-attr]
    desk.close()


def test_sign_in_is_rate_limited_and_recovers(settings: Settings, db: Database) -> None:
    made = make_business(db)
    app = create_app(settings, db)
    app.state.sign_in_limits = SignInLimits(
        Limit("email", burst=3, per_second=0.5), Limit("ip", burst=50, per_second=10.0)
    )
    now = [utcnow()]
    app.state.clock = lambda: now[0]
    server = LiveServer(app).start()
    try:
        desks = [Desk(server.url, made.owner.email, "wrong password") for _ in range(4)]
        assert [d.signed.status_code for d in desks] == [401, 401, 401, 429]
        desks.append(Desk(server.url, made.owner.email))
        assert desks[-1].signed.status_code == 429  # even the right password waits
        now[0] += timedelta(seconds=2.1)  # the clock moves; the test never waits on it
        desks.append(Desk(server.url, made.owner.email))
        assert desks[-1].signed.status_code == 303
        for desk in desks:
            desk.close()
    finally:
        server.stop()


def test_the_dashboard_charges_a_saved_card_and_refunds_it(flow: Flow) -> None:
    with flow.db.session(flow.business.id) as session:
        business = businesses.get(session, flow.business.id)
        owner = session.exec(select(staff.StaffUser)).first()  # type: ignore[attr-defined]
        method = PaymentMethod(
            business_id=business.id,
            customer_id=flow.customer.id,
            processor_id="pm_card_visa",
            brand="visa",
            last4="4242",
            is_default=True,
            consent_text="I authorise it",
        )
        session.add(method)
    desk = Desk(flow.app.url, owner.email)
    page = desk.get(f"/customers/{flow.customer.id}")
    assert "Charge a saved card" in page.text and "Visa •••• 4242" in page.text
    charged = desk.post(
        f"/customers/{flow.customer.id}/charges",
        {"method": method.id, "invoice": ["INV-A"], "description": "Spring visit"},
    )
    assert charged.status_code == 200 and "Charged $40.00" in charged.text
    with flow.db.session(flow.business.id) as session:
        payment = session.exec(select(Payment)).one()
    assert (payment.status, payment.description) == (PaymentStatus.SUCCEEDED, "Spring visit")
    refunds = f"/payments/{payment.id}/refunds"
    too_much = desk.post(refunds, {"amount": "40.01", "effect": "credit"})
    assert too_much.status_code == 422 and 'value="40.01"' in too_much.text
    unsaid = desk.post(refunds, {"amount": "15"})
    assert unsaid.status_code == 422 and "Choose whether the customer still owes" in unsaid.text
    # The first step only shows what would happen; nothing moves before the confirmation.
    review = desk.post(refunds, {"amount": "15", "reason": "Late", "effect": "reopen"})
    assert review.status_code == 200 and "Refund $15.00 to Casey Customer?" in review.text
    assert "they owe it again (the invoice reopens)" in review.text
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.PAID
    confirmed = {"amount": "15", "reason": "Late", "effect": "reopen", "confirmed": "yes"}
    refunded = desk.post(refunds, confirmed)
    assert "Refunded $15.00" in refunded.text and "Partially refunded" in refunded.text
    # The customer owes the $15 again: the invoice is open for it.
    assert flow.invoice(flow.invoices[0].id).status == InvoiceStatus.OPEN
    rest = desk.post(refunds, {"effect": "credit", "confirmed": "yes"})
    assert "Refunded $25.00" in rest.text and ">Refunded<" in rest.text
    assert "Refund</h2>" not in rest.text  # nothing left to refund
    with flow.db.session(flow.business.id) as session:
        causes = {(r.cause, r.actor, r.invoice_effect) for r in session.exec(select(Refund))}
    assert causes == {
        (RefundCause.STAFF, owner.id, InvoiceEffect.REOPEN),
        (RefundCause.STAFF, owner.id, InvoiceEffect.CREDIT),
    }
    assert_books_balance(flow)
    desk.close()


def test_the_theme_is_checked_before_it_is_published(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner_desk
    for bad in (
        {"theme": "citrus", "custom_css": "@import url(https://evil.example/x.css);"},
        {"theme": "citrus", "custom_css": ".fd-frame { background: url(https://evil.example/p) }"},
        {"theme": "citrus", "accent": "red; } :host { display: none"},
        {"theme": "no-such-pack"},
    ):
        assert desk.post("/theme", bad).status_code == 422, bad
    preview = desk.get("/theme/preview.css", theme="dark", accent="#123456")
    assert "--fd-accent:var(--frontdesk-accent,#123456)" in preview.text
    assert desk.get("/theme/preview.css", custom_css="@import url(x)").status_code == 422
    saved = desk.post("/theme", {"theme": "dark", "radius": "2px"})
    assert saved.status_code == 200 and "Published" in saved.text
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert (business.theme, business.theme_overrides) == ("dark", {"radius": "2px"})
    desk.close()


def test_an_invited_manager_joins_once_and_cannot_change_settings(
    owner_desk: tuple[Desk, NewBusiness], db: Database, live_server: LiveServer
) -> None:
    desk, made = owner_desk
    assert desk.post("/staff", {"email": made.owner.email}).status_code == 422  # already in
    invited = desk.post("/staff", {"email": "Pat@Example.com", "role": "manager"})
    assert invited.status_code == 200 and "Invitation sent" in invited.text
    with db.session(made.business.id) as session:
        [mail] = [i for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    assert mail.payload["to"] == "pat@example.com"
    link = re.search(r"(http\S+/dashboard/join\?t=\S+)", mail.payload["text"]).group(1)  # type: ignore[union-attr]
    token = link.split("t=", 1)[1]
    with httpx.Client(base_url=f"{live_server.url}/dashboard") as browser:
        form = browser.get(f"/join?t={token}")
        assert form.status_code == 200
        csrf = csrf_field(form.text)
        short = browser.post(
            "/join", data={"token": token, "name": "Pat", "password": "short", "csrf_token": csrf}
        )
        assert short.status_code == 422 and "at least 10" in short.text
        joined = browser.post(
            "/join",
            data={
                "token": token,
                "name": "Pat",
                "password": "a long enough password",
                "csrf_token": csrf,
            },
        )
        assert joined.status_code == 303
        assert browser.get("/settings").status_code == 200
        again = browser.post(
            "/join",
            data={
                "token": token,
                "name": "Pat",
                "password": "a long enough password",
                "csrf_token": csrf,
            },
        )
        assert again.status_code == 400 and "already used" in again.text
        tampered = browser.get(f"/join?t={token[:-2]}xx")
        assert tampered.status_code == 400
    manager = Desk(live_server.url, "pat@example.com", "a long enough password")
    assert manager.post("/settings/portal", {"allow_payments": "yes"}).status_code == 403
    manager.close()
    desk.close()


def test_estimate_drafts_are_written_edited_and_sent(
    owner_desk: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business)
    assert desk.get("/estimates/new", customer=customer.id).status_code == 200
    expires = (date.today() + timedelta(days=30)).isoformat()
    bad = desk.post(
        "/estimates",
        {
            "customer": customer.id,
            "expires_on": "2000-01-01",
            "description": ["Patio"],
            "unit_price": ["4500"],
            "quantity": ["1"],
            "tax_rate": [""],
        },
    )
    assert bad.status_code == 422 and "expires before it is issued" in bad.text
    made_one = desk.post(
        "/estimates",
        {
            "customer": customer.id,
            "expires_on": expires,
            "description": ["Patio"],
            "unit_price": ["4500"],
            "quantity": ["1"],
            "tax_rate": [""],
        },
    )
    estimate_id = made_one.headers["HX-Location"].rsplit("/", 1)[1]
    edited = desk.post(
        f"/estimates/{estimate_id}",
        {
            "expires_on": expires,
            "description": ["Patio", "Steps"],
            "unit_price": ["4500", "800"],
            "quantity": ["1", "2"],
            "tax_rate": ["", ""],
        },
    )
    assert edited.status_code == 204
    sent = desk.post(f"/estimates/{estimate_id}/send")
    assert sent.status_code == 200 and "$6,100.00" in sent.text
    assert desk.post(f"/estimates/{estimate_id}", {"expires_on": expires}).status_code == 422
    with db.session(made.business.id) as session:
        [mail] = [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    assert "Estimate EST-" in mail["subject"] and "#frontdesk=" in mail["text"]


def test_a_customer_is_invited_by_hand_unless_their_access_is_off(
    owner_desk: tuple[Desk, NewBusiness], db: Database, settings: Settings
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business)
    invited = desk.post(f"/customers/{customer.id}/invite")
    assert invited.status_code == 200 and "Invitation emailed" in invited.text
    with db.session(made.business.id) as session:
        [mail] = [i.payload for i in session.exec(select(OutboxItem)) if i.kind == "email"]
    token = re.search(r"#frontdesk=(\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
    assert tokens.read(settings.secret_key, tokens.Purpose.PAY_LINK, token).extra["d"] == "home"
    desk.post(f"/customers/{customer.id}/access", {"enabled": "no"})
    assert desk.post(f"/customers/{customer.id}/invite").status_code == 422
    with db.session(made.business.id) as session:
        assert len([i for i in session.exec(select(OutboxItem)) if i.kind == "email"]) == 1


def test_a_change_by_the_business_tells_its_system_too(
    owner_desk: tuple[Desk, NewBusiness], live_server: LiveServer, db: Database
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, name="Robin Hill")
    fields = {"name": "Robin Hill", "email": customer.email, "phone": "+1 555 0100"}
    assert desk.post(f"/customers/{customer.id}", fields).status_code == 200
    with httpx.Client(
        base_url=f"{live_server.url}/api/v1",
        headers={"Authorization": f"Bearer {made.secret_api_key}"},
    ) as api:
        for _ in range(2):  # the second changes nothing, and says nothing
            changed = api.patch(f"/customers/{customer.id}", json={"name": "Robin Hill-Ng"})
            assert changed.status_code == 200
    with db.session(made.business.id) as session:
        told = [
            item.payload["data"]
            for item in session.exec(select(OutboxItem).order_by(col(OutboxItem.created_at)))
            if item.kind == "event" and item.payload["type"] == "customer.updated"
        ]
    assert [(e["changed"], e["by"]) for e in told] == [
        (["phone"], "business"),
        (["name"], "business"),
    ]


def test_the_customers_own_actions_are_in_their_activity(flow: Flow, db: Database) -> None:
    with Portal(flow.app, flow.settings, flow.business, flow.customer) as portal:
        profile = {
            "email": flow.customer.email,
            **{"phone": "", "address_line1": "1 Elm St", "address_line2": "", "region": "IL"},
            **{"city": "Springfield", "postal_code": "62704", "country": "US"},
        }
        assert portal.post("/profile", profile).status_code == 200
    payment, _ = flow.start(["INV-A"], save=True)
    flow.confirm(payment)
    flow.wait(lambda: flow.payment(payment.id).status == PaymentStatus.SUCCEEDED)
    with flow.db.session(flow.business.id) as session:
        owner = session.exec(select(staff.StaffUser)).first()  # type: ignore[attr-defined]
    desk = Desk(flow.app.url, owner.email)
    try:
        wanted = [
            "customer.signed_in",
            "customer.profile_updated",
            "payment.succeeded",
            "payment_method.saved",
        ]
        page = desk.get(f"/customers/{flow.customer.id}").text
        assert all(f"<strong>{action}</strong> by customer" in page for action in wanted), page
        assert "via: the business&#39;s website" in page and "amount: $40.00" in page
        theirs = desk.get("/activity", customer=flow.customer.id)
        assert all(f"<strong>{action}</strong>" in theirs.text for action in wanted)
        other = make_business(db)
        with db.session(other.business.id) as session:
            stranger = make_customer(session, other.business)
        assert desk.get("/activity", customer=stranger.id).status_code == 404
    finally:
        desk.close()
    assert_books_balance(flow)


def test_owners_manage_staff_and_the_last_owner_stays(
    owner_desk: tuple[Desk, NewBusiness], db: Database, live_server: LiveServer
) -> None:
    desk, made = owner_desk
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        pat = staff.create(
            session,
            business=business,
            email="pat@example.com",
            password=PASSWORD,
            role=StaffRole.MANAGER,
            name="Pat",
        )
    owner_id = made.owner.id
    # The only owner can neither step down nor be removed.
    alone = desk.post(f"/staff/{owner_id}/role", {"role": "manager"})
    assert alone.status_code == 422 and "Make someone else an owner" in alone.text
    assert desk.post(f"/staff/{owner_id}/remove").status_code == 422
    made_owner = desk.post(f"/staff/{pat.id}/role", {"role": "owner"})
    assert made_owner.status_code == 200 and "pat@example.com is now an owner." in made_owner.text
    # Pat's session works until Pat is removed; then it is refused at once.
    pats = Desk(live_server.url, "pat@example.com")
    assert pats.get("/settings").status_code == 200
    removed = desk.post(f"/staff/{pat.id}/remove")
    assert removed.status_code == 200 and "no longer has access" in removed.text
    assert "pat@example.com" not in removed.text.split("no longer has access")[1]
    assert pats.get("/settings").status_code != 200
    pats.close()
    # Invitations are listed until withdrawn; a withdrawn link no longer opens the join form.
    desk.post("/staff", {"email": "sky@example.com", "role": "manager"})
    listed = desk.get("/settings").text
    assert "Invited, not joined yet" in listed and "sky@example.com" in listed
    with db.session(made.business.id) as session:
        [mail] = [
            i for i in session.exec(select(OutboxItem)) if i.payload.get("to") == "sky@example.com"
        ]
        [invitation] = staff.pending_invitations(session)
    token = re.search(r"join\?t=(\S+)", mail.payload["text"]).group(1)  # type: ignore[union-attr]
    assert httpx.get(f"{live_server.url}/dashboard/join?t={token}").status_code == 200
    withdrawn = desk.post(f"/staff/invitations/{invitation.id}/withdraw")
    assert (
        withdrawn.status_code == 200
        and "sky@example.com" not in withdrawn.text.split("withdrawn")[1]
    )
    refused = httpx.get(f"{live_server.url}/dashboard/join?t={token}")
    assert refused.status_code == 400 and "withdrawn" in refused.text
    # A manager may do none of it; another business's staff are not found.
    with db.session(made.business.id) as session:
        staff.create(
            session,
            business=businesses.get(session, made.business.id),
            email="mo@example.com",
            password=PASSWORD,
            role=StaffRole.MANAGER,
            name="Mo",
        )
    mo = Desk(live_server.url, "mo@example.com")
    assert mo.post(f"/staff/{owner_id}/role", {"role": "manager"}).status_code == 403
    mo.close()
    other = make_business(db)
    assert desk.post(f"/staff/{other.owner.id}/remove").status_code == 404
    with db.session(made.business.id) as session:
        actions = {e.action for e in session.exec(select(AuditEvent))}
    assert {"staff.role_changed", "staff.removed", "staff.invitation_withdrawn"} <= actions
    desk.close()
