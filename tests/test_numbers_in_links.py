"""Invoice and estimate numbers are text a business chooses (INV/2026/001, A#1, 50%): every view
that links to one opens it, in the portal and in the dashboard."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlmodel import select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.models import Business, Estimate
from frontdesk.services import estimates
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.lines import LineInput
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_dashboard import Desk
from tests.test_portal_views import Portal

# A path separator, the characters that end a path or start a query, an encoded slash typed as
# text, a space and letters outside ASCII (an Arabic one for the PDF's file name).
NUMBERS = ["INV/2026/001", "A#1", "B?x=1&y", "C%2FD", "50% off", "Ü ف 7"]
ESTIMATE = "EST/2026/9"
TODAY = date.today()


@pytest.fixture
def shop(db: Database) -> tuple[NewBusiness, object]:
    made = make_business(db)
    # The pay step shows only with a processor account; none is called here.
    with db.unscoped("the test connects a processor account") as session:
        business = session.get(Business, made.business.id)
        assert business is not None
        business.processor_account, business.charges_enabled = "acct_numbers", True
        session.add(business)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, name="Casey")
        for number in NUMBERS:
            make_invoice(session, made.business, customer, amounts=(1000,), number=number)
        estimate = estimates.create(
            session,
            business=made.business,
            customer=customer,
            lines=[LineInput("Patio", 50000)],
            issue_date=TODAY,
            expires_on=TODAY + timedelta(days=30),
            send=True,
        )
        # Estimates are numbered by us; a business that imported its own uses its scheme.
        estimate.number = ESTIMATE
        session.add(estimate)
    return made, customer


@pytest.fixture
def casey(
    live_server: LiveServer, settings: Settings, shop: tuple[NewBusiness, object]
) -> Iterator[Portal]:
    made, customer = shop
    with Portal(live_server, settings, made.business, customer) as portal:  # type: ignore[arg-type]
        yield portal


def links(page: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'hx-(?:get|post)="([^"]+)"', page)]


def portal_path(url: str, key: str) -> str:
    return url.split(f"/portal/{key}", 1)[1]


def test_every_portal_link_to_a_number_opens_it(casey: Portal) -> None:
    pages = {path: casey.get(path) for path in ("/home", "/invoices", "/estimates")}
    assert all(page.status_code == 200 for page in pages.values())
    followed: dict[str, str] = {}
    for page in pages.values():
        for url in links(page.text):
            if "/invoices/" in url or "/estimates/" in url:
                response = casey.get(portal_path(url, casey.key))
                assert response.status_code == 200, (url, response.text[:300])
                followed[url] = response.text
    opened = " ".join(followed.values())
    for number in [*NUMBERS, ESTIMATE]:
        assert f"<h2>Invoice {html.escape(number)}" in opened or html.escape(number) in opened
    assert len(followed) == len(NUMBERS) + 1


@pytest.mark.parametrize("number", NUMBERS)
def test_an_invoice_opens_pays_and_downloads_under_its_own_number(
    casey: Portal, number: str
) -> None:
    listing = casey.get("/invoices").text
    hashes = re.findall(r'href="#invoice/([^"]+)"', listing)
    assert len(hashes) == len(NUMBERS)
    item = next(h for h in hashes if unquote(h) == number)
    # The deep link of an open portal, and the same link opening a new session.
    detail = casey.get(f"/go/invoice/{item}")
    assert detail.status_code == 200 and html.escape(number) in detail.text
    pay_hash = re.search(r'href="#pay/([^"]+)"', detail.text)
    pay_url = re.search(r'hx-get="([^"]*/pay\?invoice=[^"]+)"', detail.text)
    assert pay_hash and pay_url and unquote(pay_hash[1]) == number
    chosen = casey.get(portal_path(html.unescape(pay_url[1]), casey.key))
    assert chosen.status_code == 200
    assert f'name="invoice" value="{html.escape(number)}"' in chosen.text
    download = re.search(r'href="([^"]+/download/[^"]+)"', detail.text)
    assert download
    pdf = httpx.get(html.unescape(download[1]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and "/" not in disposition.split(";")[1]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{number}.pdf"


def test_a_deep_link_with_such_a_number_opens_a_new_session_there(
    casey: Portal, live_server: LiveServer, settings: Settings, shop: tuple[NewBusiness, object]
) -> None:
    made, customer = shop
    item = re.findall(r'href="#invoice/([^"]+)"', casey.get("/invoices").text)[0]
    arrival = tokens.mint(
        settings.secret_key,
        Purpose.EMBED,
        business_id=made.business.id,
        customer_id=customer.id,  # type: ignore[attr-defined]
        link_version=customer.link_version,  # type: ignore[attr-defined]
    )
    # The loader posts the host page's hash as it finds it: #invoice/INV%2F2026%2F001.
    opened = httpx.post(
        f"{live_server.url}/portal/{casey.key}/session",
        data={"token": arrival, "view": f"invoice/{item}"},
    )
    assert opened.status_code == 200
    assert f"Invoice {html.escape(unquote(item))}" in opened.text


def test_an_estimate_with_such_a_number_can_be_decided(casey: Portal, db: Database) -> None:
    detail = casey.get(f"/go/estimate/{ESTIMATE.replace('/', '%2F')}")
    assert detail.status_code == 200 and ESTIMATE in detail.text
    decide = next(u for u in links(detail.text) if u.endswith("/decision"))
    decided = casey.post(
        portal_path(decide, casey.key),
        data={"decision": "accept", "signer_name": "Casey", "accept_terms": "yes"},
    )
    assert decided.status_code == 200, decided.text[:300]
    with db.unscoped("the test reads the estimate") as session:
        estimate = session.exec(select(Estimate).where(Estimate.number == ESTIMATE)).one()
    assert estimate.status == "accepted"


def test_the_dashboard_opens_every_such_invoice(
    live_server: LiveServer, shop: tuple[NewBusiness, object]
) -> None:
    made, customer = shop
    desk = Desk(live_server.url, made.owner.email)
    try:
        page = desk.get(f"/customers/{customer.id}")  # type: ignore[attr-defined]
        assert page.status_code == 200
        invoice_links = re.findall(r'href="[^"]*(/dashboard/invoices/[^"?]+)"', page.text)
        assert len(set(invoice_links)) == len(NUMBERS)
        for path in set(invoice_links):
            invoice = desk.client.get(path.removeprefix("/dashboard"))
            assert invoice.status_code == 200
            pdf = desk.client.get(path.removeprefix("/dashboard") + "/pdf")
            assert pdf.status_code == 200 and pdf.headers["content-disposition"].startswith(
                "inline"
            )
        assert desk.get("/invoices").status_code == 200
        for number in NUMBERS:
            assert html.escape(number) in page.text
    finally:
        desk.close()


def test_the_api_takes_numbers_as_text_but_not_dots_alone(
    live_server: LiveServer, db: Database
) -> None:
    made = make_business(db)
    with httpx.Client(
        base_url=f"{live_server.url}/api/v1",
        headers={"Authorization": f"Bearer {made.secret_api_key}"},
    ) as api:
        customer = api.post("/customers", json={"name": "Bo", "email": "bo@example.com"}).json()

        def create(number: str) -> httpx.Response:
            return api.post(
                "/invoices",
                json={
                    "customer": customer["id"],
                    "number": number,
                    "due_date": (TODAY + timedelta(days=7)).isoformat(),
                    "lines": [{"description": "Mowing", "unit_amount": 2500}],
                },
            )

        made_one = create(" INV/2026/002 ")
        assert made_one.status_code == 201 and made_one.json()["number"] == "INV/2026/002"
        for bad in ("..", "x\ty"):
            refused = create(bad)
            assert refused.status_code == 422
            assert "Use text without control characters, and not only dots." in refused.text
        assert len(api.get("/invoices").json()["data"]) == 1
