"""Portal views carry an entity tag made from the customer's data version (and their business's,
the language, the date): a revalidation answers 304 without a body until something the view
shows has changed, in the same transaction as the change, and for that customer alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, update
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import Business, Customer, Initiator, Invoice, WorkingHours
from frontdesk.services import customers, messages, payments
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.test_portal_views import Portal

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


class Shop:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.business = make_business(db).business
        with db.session(self.business.id) as session:
            self.casey = make_customer(session, self.business, name="Casey")
            self.robin = make_customer(session, self.business, name="Robin")
            make_invoice(session, self.business, self.casey, amounts=(5000,), number="INV-1")

    def versions(self) -> tuple[int, int, int]:
        """Casey's, Robin's and the business's data versions, as committed."""
        with self.db.session(self.business.id) as session:
            casey = session.get(Customer, self.casey.id)
            robin = session.get(Customer, self.robin.id)
            business = session.get(Business, self.business.id)
            assert casey is not None and robin is not None and business is not None
            return casey.data_version, robin.data_version, business.data_version


@pytest.fixture
def shop(db: Database, live_server: LiveServer) -> Shop:
    assert live_server.app is not None
    live_server.app.state.clock = lambda: NOW
    return Shop(db)


@pytest.fixture
def casey(live_server: LiveServer, settings: Settings, shop: Shop) -> Iterator[Portal]:
    with Portal(live_server, settings, shop.business, shop.casey) as portal:
        yield portal


def again(portal: Portal, path: str, answer: httpx.Response) -> httpx.Response:
    """The same request, bringing back the tag it was answered with (as the browser does)."""
    return portal.client.get(path, headers={"If-None-Match": answer.headers["ETag"]})


def test_a_view_is_tagged_and_a_matching_revalidation_answers_304_without_a_body(
    casey: Portal,
) -> None:
    first = casey.get("/invoices")
    assert first.status_code == 200 and "INV-1" in first.text
    assert first.headers["ETag"].startswith('"')
    assert first.headers["Cache-Control"] == "no-cache, private"
    vary = {name.strip().lower() for name in first.headers["Vary"].split(",")}
    assert {"authorization", "frontdesk-language", "frontdesk-time-zone", "origin"} <= vary
    unchanged = again(casey, "/invoices", first)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["ETag"] == first.headers["ETag"]
    # Another view, or the same one with another query, is its own.
    assert casey.get("/home").headers["ETag"] != first.headers["ETag"]
    other = casey.client.get(
        "/invoices", params={"status": "paid"}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert other.status_code == 200


def test_a_new_invoice_for_the_customer_draws_the_view_again(
    casey: Portal, db: Database, shop: Shop
) -> None:
    first = casey.get("/invoices")
    with db.session(shop.business.id) as session:
        make_invoice(session, shop.business, shop.casey, amounts=(4200,), number="INV-2")
    fresh = again(casey, "/invoices", first)
    assert fresh.status_code == 200 and "INV-2" in fresh.text
    assert fresh.headers["ETag"] != first.headers["ETag"]
    assert again(casey, "/invoices", fresh).status_code == 304


def test_another_customers_changes_leave_the_tag_alone(
    casey: Portal, db: Database, shop: Shop
) -> None:
    first = casey.get("/invoices")
    before = shop.versions()
    with db.session(shop.business.id) as session:
        make_invoice(session, shop.business, shop.robin, amounts=(7777,), number="INV-ROBIN")
    after = shop.versions()
    assert after[0] == before[0] and after[1] > before[1] and after[2] == before[2]
    assert again(casey, "/invoices", first).status_code == 304


def test_a_payment_moves_the_version_in_its_own_transaction(
    casey: Portal, db: Database, shop: Shop
) -> None:
    first = casey.get("/payments")
    with db.session(shop.business.id) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-1")).one()
        payments.record_succeeded(
            session,
            business=shop.business,
            customer=shop.casey,
            allocations=[(invoice, 2000)],
            method="card",
            idempotency_key="p1",
            initiated_by=Initiator.CUSTOMER,
        )
    fresh = again(casey, "/payments", first)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != first.headers["ETag"]


def test_a_rolled_back_change_moves_nothing(db: Database, shop: Shop) -> None:
    before = shop.versions()
    with pytest.raises(RuntimeError), db.session(shop.business.id) as session:
        make_invoice(session, shop.business, shop.casey, amounts=(100,), number="INV-GONE")
        raise RuntimeError("rolled back")
    assert shop.versions() == before


def test_the_customers_profile_edit_draws_their_views_again(casey: Portal) -> None:
    first = casey.get("/profile")
    saved = casey.post(
        "/profile",
        {
            "email": "casey@example.com",
            "phone": "",
            "address_line1": "1 Elm St",
            "address_line2": "",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62704",
            "country": "US",
        },
    )
    assert saved.status_code == 200, saved.text
    fresh = again(casey, "/profile", first)
    assert fresh.status_code == 200 and "Springfield" in fresh.text


@pytest.mark.parametrize("change", ["theme", "name"])
def test_the_business_settings_and_theme_draw_every_customers_views_again(
    casey: Portal, db: Database, shop: Shop, change: str
) -> None:
    first, before = casey.get("/home"), shop.versions()
    with db.session(shop.business.id) as session:
        business = session.get(Business, shop.business.id)
        assert business is not None
        if change == "theme":
            business.theme_overrides = {"--fd-accent": "#123456"}
        else:
            business.name = "Casey's Plumbers Renamed"
        session.add(business)
    assert shop.versions()[2] == before[2] + 1
    fresh = again(casey, "/home", first)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != first.headers["ETag"]


def test_the_booking_setups_bulk_delete_moves_the_business(db: Database, shop: Shop) -> None:
    before = shop.versions()
    with db.session(shop.business.id) as session:
        session.execute(update(WorkingHours).values(start_local=WorkingHours.start_local))
    assert shop.versions() == before  # a row lock (a no-op write) moves nothing
    with db.session(shop.business.id) as session:
        session.execute(delete(WorkingHours))
    assert shop.versions()[2] == before[2] + 1


def test_a_core_write_that_moves_the_business_draws_its_views_again_at_once(
    casey: Portal, db: Database, shop: Shop
) -> None:
    """The portal keeps the business it found for a few seconds; a change that moves its version
    without touching its row (the booking setup's bulk delete) is seen from the next request in
    the process that made it, not once the kept business expires (the server's clock stands)."""
    home = casey.get("/home")
    with db.session(shop.business.id) as session:
        session.execute(delete(WorkingHours))
    fresh = again(casey, "/home", home)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != home.headers["ETag"]


def test_a_customer_lock_moves_nothing(db: Database, shop: Shop) -> None:
    before = shop.versions()
    with db.session(shop.business.id) as session:
        customers.lock(session, customer_id=shop.casey.id)
    assert shop.versions() == before


def test_a_message_to_the_customer_and_their_reading_it(
    casey: Portal, db: Database, shop: Shop, settings: Settings
) -> None:
    home = casey.get("/home")
    with db.session(shop.business.id) as session:
        messages.post(
            session,
            business=shop.business,
            customer=shop.casey,
            author=messages.Author(messages.AuthorKind.STAFF, "usr_x"),
            body="Your boiler part is in.",
            client_nonce="n1",
            now=NOW,
            notice_after=messages.notice_after(settings),
        )
    # The nav drawn with home counts the unread message.
    fresh_home = again(casey, "/home", home)
    assert fresh_home.status_code == 200
    assert fresh_home.headers["ETag"] != home.headers["ETag"]
    # Opening the thread reads it: its nav no longer counts it, and it comes untagged (a change
    # committed meanwhile could be in the version reading moved to, and not in what was drawn).
    opened = casey.get("/messages")
    assert opened.status_code == 200 and "Your boiler part is in." in opened.text
    assert "1 unread" not in opened.text and "ETag" not in opened.headers
    # Drawn again with nothing left to read, it is tagged, and a revalidation is 304.
    settled = casey.get("/messages")
    assert "Your boiler part is in." in settled.text and "1 unread" not in settled.text
    assert again(casey, "/messages", settled).status_code == 304
    # The open thread asks every few seconds: with nothing left to read, that changes nothing.
    before = shop.versions()
    assert casey.get("/messages/thread").status_code == 200
    assert shop.versions() == before
    # Reading it moved home's nav too.
    assert again(casey, "/home", fresh_home).status_code == 200


def test_the_language_and_the_date_are_in_the_tag(casey: Portal, live_server: LiveServer) -> None:
    english = casey.get("/invoices")
    french = casey.client.get(
        "/invoices",
        headers={"If-None-Match": english.headers["ETag"], "Frontdesk-Language": "fr"},
    )
    assert french.status_code == 200 and french.headers["Content-Language"] == "fr"
    assert french.headers["ETag"] != english.headers["ETag"]
    assert again(casey, "/invoices", english).status_code == 304
    assert live_server.app is not None
    live_server.app.state.clock = lambda: NOW + timedelta(days=1)
    assert again(casey, "/invoices", english).status_code == 200


def test_the_business_looking_read_only_has_its_own_tag(
    live_server: LiveServer, settings: Settings, shop: Shop, casey: Portal
) -> None:
    mine = casey.get("/invoices")
    with httpx.Client(base_url=casey.client.base_url) as looking:
        token = Links(settings.secret_key).view_only(shop.casey)
        opened = looking.post("/session", data={"token": token})
        assert opened.status_code == 200, opened.text
        looking.headers["Authorization"] = f"Bearer {opened.headers['Frontdesk-Session']}"
        theirs = looking.get("/invoices", headers={"If-None-Match": mine.headers["ETag"]})
    assert "Viewing" in theirs.text or theirs.status_code == 200
    assert theirs.status_code == 200 and theirs.headers["ETag"] != mine.headers["ETag"]
