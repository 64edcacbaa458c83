"""Every dashboard form sent with a mistake: 422, the reason beside its field, what was typed still
in the form, and nothing changed."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest

from frontdesk.db import Database
from frontdesk.services.businesses import NewBusiness
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.security.state import state_of
from tests.test_dashboard import Desk


@pytest.fixture
def shop(db: Database, live_server: LiveServer) -> Iterator[tuple[Desk, dict[str, str]]]:
    made: NewBusiness = make_business(db)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, name="Robin Hill")
        invoice = make_invoice(session, made.business, customer, amounts=(5000,))
    desk = Desk(live_server.url, made.owner.email)
    yield desk, {"customer": customer.id, "invoice": invoice.id, "email": customer.email}
    desk.close()


# (path, the form as sent, the field at fault, what was typed into it)
MISTAKES = [
    ("/customers", {"name": "Sam", "email": "sam@@example"}, "email", "sam@@example"),
    (
        "/customers/{customer}",
        {"name": "Robin Hill", "email": "robin at example"},
        "email",
        "robin at example",
    ),
    (
        "/invoices",
        {
            "customer": "{customer}",
            "due_date": "2031-01-01",
            "description": "Mowing",
            "quantity": "1",
            "unit_price": "12.345",
            "tax_rate": "",
        },
        "unit_price",
        "12.345",
    ),
    (
        "/estimates",
        {
            "customer": "{customer}",
            "expires_on": "2031-01-01",
            "description": "Patio",
            "quantity": "two",
            "unit_price": "2500",
            "tax_rate": "",
        },
        "quantity",
        "two",
    ),
    ("/invoices/{invoice}/payment", {"amount": "50.001", "method": "cash"}, "amount", "50.001"),
    (
        "/settings/portal",
        {"which": "portal", "tips_enabled": "yes", "tip_percents": "ten, 20"},
        "tip_percents",
        "ten, 20",
    ),
    (
        "/settings/embed",
        {"allowed_origins": "not a site", "portal_page_url": ""},
        "allowed_origins",
        "not a site",
    ),
    ("/settings/check", {"site": "example"}, "site", "example"),
    ("/staff", {"email": "pat-at-example", "role": "manager"}, "email", "pat-at-example"),
    (
        "/developers/endpoint",
        {"url": "ftp://example.com/hooks", "description": "Books"},
        "url",
        "ftp://example.com/hooks",
    ),
]


@pytest.mark.parametrize(("path", "sent", "field", "typed"), MISTAKES)
def test_a_mistake_comes_back_in_its_form(
    shop: tuple[Desk, dict[str, str]],
    db: Database,
    path: str,
    sent: dict[str, str],
    field: str,
    typed: str,
) -> None:
    desk, ids = shop
    before = state_of(db)
    data = {name: value.format(**ids) for name, value in sent.items()}
    answer = desk.post(path.format(**ids), data)
    assert answer.status_code == 422, (path, answer.status_code, answer.text[:300])
    shown = html.escape(typed, quote=True)
    assert f'value="{shown}"' in answer.text or f">{shown}</textarea>" in answer.text, path
    assert 'aria-invalid="true"' in answer.text and 'class="form-error"' in answer.text, path
    assert state_of(db) == before, path
