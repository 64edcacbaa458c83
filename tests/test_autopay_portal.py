"""Automatic payments in the portal over real HTTP: the panel under the saved cards, the form with
the words for the chosen card, turning them on only with the box ticked and one's own card (the
input kept, nothing stored when refused), the host page told, and turning them off."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import select

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import AutopayEnrollment, Customer, PaymentMethod
from frontdesk.services import autopay, businesses
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_host_events import told
from tests.test_portal_views import Portal


@dataclass
class Shop:
    server: LiveServer
    settings: Settings
    db: Database
    made: NewBusiness
    casey: Customer
    cards: list[str]
    robins_card: str

    def portal(self) -> Portal:
        return Portal(self.server, self.settings, self.made.business, self.casey)

    def enrollments(self) -> list[AutopayEnrollment]:
        with self.db.session(self.made.business.id) as session:
            return list(session.exec(select(AutopayEnrollment)).all())


def card(db: Database, made: NewBusiness, customer: Customer, last4: str) -> str:
    with db.session(made.business.id) as session:
        method = PaymentMethod(
            business_id=made.business.id,
            customer_id=customer.id,
            processor_id=f"pm_test_{last4}_{customer.id[-6:]}",
            brand="visa",
            last4=last4,
            exp_month=4,
            exp_year=2031,
            consent_text="I authorise it",
        )
        session.add(method)
        session.flush()
        return method.id


@pytest.fixture
def shop(db: Database, settings: Settings) -> Iterator[Shop]:
    made = make_business(db, name="Greenleaf Gardens")
    with db.session(made.business.id) as session:
        casey = make_customer(session, made.business, name="Casey Jones")
        robin = make_customer(session, made.business, name="Robin")
    cards = [card(db, made, casey, "4242"), card(db, made, casey, "5556")]
    server = LiveServer(create_app(settings, db)).start()
    yield Shop(server, settings, db, made, casey, cards, card(db, made, robin, "1881"))
    server.stop()


def test_the_customer_turns_automatic_payments_on_with_the_words_for_their_card(
    shop: Shop,
) -> None:
    with shop.portal() as casey:
        listed = casey.get("/payments")
        assert "Automatic payments" in listed.text and "Set up automatic payments" in listed.text
        form = casey.get("/autopay", params={"change": "1"})
        assert "Greenleaf Gardens to charge my Visa ending 4242" in form.text
        other = casey.get("/autopay", params={"change": "1", "method": shop.cards[1]})
        assert "Visa ending 5556" in other.text and "ending 4242 automatically" not in other.text
        shown = other.text.split('name="shown" value="')[1].split('"')[0]
        answer = casey.post("/autopay", {"method": shop.cards[1], "consent": "yes", "shown": shown})
        assert answer.status_code == 200, answer.text
        assert "Automatic payments are on." in answer.text and "•••• 5556" in answer.text
        [event] = told(answer)
        assert event["type"] == "autopay-changed"
        assert event["object"] == {"kind": "autopay", "id": shop.cards[1], "status": "on"}
    [enrollment] = shop.enrollments()
    assert enrollment.payment_method_id == shop.cards[1]
    assert enrollment.consent_sha256 == shown and enrollment.consent_ip
    assert "python-httpx" in enrollment.consent_user_agent


def test_refused_without_the_box_or_with_someone_elses_card_and_nothing_is_stored(
    shop: Shop,
) -> None:
    with shop.portal() as casey:
        form = casey.get("/autopay", params={"change": "1"})
        shown = form.text.split('name="shown" value="')[1].split('"')[0]
        unticked = casey.post("/autopay", {"method": shop.cards[0], "shown": shown})
        assert unticked.status_code == 422
        assert "Tick the box to turn on automatic payments." in unticked.text
        assert f'value="{shop.cards[0]}" checked' in unticked.text  # the choice is kept
        assert told(unticked) == []
        foreign = casey.post(
            "/autopay", {"method": shop.robins_card, "consent": "yes", "shown": shown}
        )
        assert foreign.status_code == 422 and "Choose one of your saved cards." in foreign.text
        stale = casey.post(
            "/autopay", {"method": shop.cards[0], "consent": "yes", "shown": "0" * 64}
        )
        assert stale.status_code == 422 and "terms have changed" in stale.text
    assert shop.enrollments() == []


def test_turning_it_off_keeps_the_record_and_tells_the_host_page(shop: Shop) -> None:
    with shop.portal() as casey:
        form = casey.get("/autopay", params={"change": "1"})
        shown = form.text.split('name="shown" value="')[1].split('"')[0]
        casey.post("/autopay", {"method": shop.cards[0], "consent": "yes", "shown": shown})
        off = casey.post("/autopay/off", {})
        assert off.status_code == 200 and "Automatic payments are off." in off.text
        assert told(off)[0]["object"]["status"] == "off"
        again = casey.post("/autopay/off", {})
        assert again.status_code == 404
    [ended] = shop.enrollments()
    assert ended.revoked_by == "customer" and ended.consent_text


def test_a_business_that_does_not_offer_it_shows_no_panel_and_refuses(shop: Shop) -> None:
    with shop.db.session(shop.made.business.id) as session:
        businesses.get(session, shop.made.business.id).autopay_enabled = False
    with shop.portal() as casey:
        assert "Automatic payments" not in casey.get("/payments").text
        method = shop.cards[0]
        with shop.db.session(shop.made.business.id) as session:
            found = session.get(PaymentMethod, method)
            assert found is not None
            shown = autopay.digest(autopay.consent_text(shop.made.business, found))
        refused = casey.post("/autopay", {"method": method, "consent": "yes", "shown": shown})
        assert refused.status_code == 403
    assert shop.enrollments() == []
