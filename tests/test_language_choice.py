"""Which language a customer reads, in order: their saved choice, the page's (the snippet's
`lang`), their browser's, the business's default; and right to left where the language is."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlmodel import select

from frontdesk import languages, tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.models import AuditEvent, Business, Customer
from frontdesk.rendering import format_day
from frontdesk.services import businesses, customers
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_api import Api
from tests.test_dashboard import Desk
from tests.test_portal_views import Portal

SPANISH_BROWSER = "es-MX,es;q=0.9,en;q=0.4"


def shell_language(response: httpx.Response) -> tuple[str, str]:
    """The language and direction the whole portal is drawn in (the shell's)."""
    found = re.search(r'id="fd-shell"[^>]* lang="([^"]+)" dir="([^"]+)"', response.text)
    assert found, response.text[:500]
    assert response.headers["Content-Language"] == found.group(1)
    return found.group(1), found.group(2)


def spoken(response: httpx.Response) -> str:
    """The language a view came back in."""
    return response.headers["Content-Language"]


@pytest.mark.one_backend
def test_the_order_of_choosing() -> None:
    def chosen(saved: str = "", asked: str = "", accept: str = "", default: str = "en") -> str:
        return languages.choose(saved=saved, asked=asked, accept=accept, default=default)

    assert chosen() == "en"
    assert chosen(default="fr") == "fr"
    assert chosen(accept=SPANISH_BROWSER, default="fr") == "es"
    assert chosen(asked="fr-CA", accept=SPANISH_BROWSER) == "fr"
    assert chosen(saved="es", asked="fr", accept="fr") == "es"
    # What we do not speak is passed over, not shown in English.
    assert chosen(saved="de", asked="it", accept="de-DE,fr;q=0.5", default="es") == "fr"
    assert chosen(accept="fr;q=0.2, es;q=0.8") == "es"
    assert chosen(accept="es;q=0, fr;q=garbage", default="en") == "en"
    assert chosen(default="xx") == "en"


@pytest.mark.one_backend
def test_amounts_and_dates_follow_the_language_in_the_business_conventions() -> None:
    day = date(2026, 12, 1)
    assert format_day(day, "en_US") == "Dec 1, 2026"
    with languages.speaking("es"):
        assert format_day(day, "en_US") == "1 dic 2026"
        assert languages.formatting_locale("en_US") == "es_US"
        assert languages.formatting_locale("fr_FR") == "es"
    with languages.speaking("fr"):
        assert format_day(day, "en_US") == "1 déc. 2026"
    assert languages.current() == "en"  # the block's language ends with it


@pytest.fixture
def shop(db: Database) -> tuple[Business, Customer]:
    made = make_business(db)
    with db.session(made.business.id) as session:
        return made.business, make_customer(session, made.business, name="Ana")


@pytest.fixture
def ana(
    live_server: LiveServer, settings: Settings, shop: tuple[Business, Customer]
) -> Iterator[Portal]:
    with Portal(live_server, settings, *shop) as portal:
        yield portal


def open_shell(
    server: LiveServer,
    settings: Settings,
    shop: tuple[Business, Customer],
    headers: dict[str, str] | None = None,
    lang: str = "",
) -> httpx.Response:
    """The portal's first view, as the loader opens it (the snippet's lang in the body)."""
    business, customer = shop
    token = tokens.mint(
        settings.secret_key,
        tokens.Purpose.EMBED,
        business_id=business.id,
        customer_id=customer.id,
        link_version=customer.link_version,
    )
    return httpx.post(
        f"{server.url}/portal/{business.publishable_key}/session",
        data={"token": token, **({"lang": lang} if lang else {})},
        headers=headers or {},
    )


def test_the_browsers_language_then_the_snippets(
    live_server: LiveServer, settings: Settings, shop: tuple[Business, Customer], ana: Portal
) -> None:
    assert shell_language(open_shell(live_server, settings, shop)) == ("en", "ltr")
    browser = {"Accept-Language": SPANISH_BROWSER}
    spanish = open_shell(live_server, settings, shop, browser)
    assert shell_language(spanish) == ("es", "ltr")
    assert "Cerrar sesión" in spanish.text and "Sign out" not in spanish.text
    french = open_shell(live_server, settings, shop, browser, lang="fr")
    assert shell_language(french) == ("fr", "ltr")
    assert "Se déconnecter" in french.text
    # Later views: the browser's, unless the loader says the snippet's.
    assert spoken(ana.get("/home")) == "en"
    assert spoken(ana.get("/home", headers=browser)) == "es"
    assert spoken(ana.get("/home", headers={**browser, "Frontdesk-Language": "fr"})) == "fr"
    signed_out = httpx.get(
        f"{live_server.url}/portal/{shop[0].publishable_key}/sign-in", params={"lang": "fr"}
    )
    assert 'lang="fr"' in signed_out.text and signed_out.headers["Content-Language"] == "fr"


def test_a_saved_choice_comes_first_until_it_is_cleared(
    ana: Portal, db: Database, shop: tuple[Business, Customer]
) -> None:
    business, customer = shop
    saved = ana.post("/profile/language", {"language": "fr"})
    assert saved.status_code == 200
    assert shell_language(saved) == ("fr", "ltr")  # the whole portal, drawn again in it
    assert "Enregistré" in saved.text
    later = ana.get(
        "/home", headers={"Accept-Language": SPANISH_BROWSER, "Frontdesk-Language": "es"}
    )
    assert spoken(later) == "fr"
    with db.session(business.id) as session:
        assert customers.get(session, business=business, customer_id=customer.id).language == "fr"
        (event,) = session.exec(
            select(AuditEvent).where(AuditEvent.action == "customer.language_changed")
        ).all()
        assert event.actor_type == "customer" and event.detail == {"language": ["", "fr"]}
    cleared = ana.post("/profile/language", {"language": ""})
    assert shell_language(cleared) == ("en", "ltr")
    again = ana.get("/home", headers={"Accept-Language": SPANISH_BROWSER})
    assert spoken(again) == "es"


def test_a_language_we_do_not_speak_is_refused_and_changes_nothing(
    ana: Portal, db: Database, shop: tuple[Business, Customer]
) -> None:
    business, customer = shop
    refused = ana.post("/profile/language", {"language": "xx"})
    assert refused.status_code == 422
    assert "Choose one of the languages listed." in refused.text
    assert 'aria-invalid="true"' in refused.text
    with db.session(business.id) as session:
        assert customers.get(session, business=business, customer_id=customer.id).language == ""
        assert not session.exec(
            select(AuditEvent).where(AuditEvent.action == "customer.language_changed")
        ).all()


def test_the_business_default_and_each_customers_choice_on_the_dashboard(
    live_server: LiveServer, settings: Settings, db: Database
) -> None:
    made = make_business(db)
    with db.session(made.business.id) as session:
        ana = make_customer(session, made.business, name="Ana")
    desk = Desk(live_server.url, made.owner.email)
    saved = desk.post("/settings/portal", {"language": "es", "allow_profile_updates": "yes"})
    assert saved.status_code == 200 and "Saved" in saved.text
    refused = desk.post("/settings/portal", {"language": "xx"})
    assert refused.status_code == 422 and "Choose one of the languages listed." in refused.text
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert business.language == "es"
    with Portal(live_server, settings, business, ana) as portal:
        assert spoken(portal.get("/home")) == "es"
        # A browser in a language we do not speak gets the business's default, not English.
        german = portal.get("/home", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert spoken(german) == "es"
        assert portal.post("/profile/language", {"language": "fr"}).status_code == 200
    page = desk.get(f"/customers/{ana.id}")
    assert "Language: Français (their choice in the portal" in page.text
    desk.close()


def test_the_api_sets_and_shows_a_customers_language(live_server: LiveServer, db: Database) -> None:
    made = make_business(db)
    api = Api(live_server, made.secret_api_key)
    created = api.post(
        "/customers", {"name": "Luis", "email": "luis@example.com", "language": "es"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["language"] == "es"
    unknown = api.post("/customers", {"name": "Kai", "email": "kai@example.com", "language": "xx"})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "language" in unknown.text
    cleared = api.patch(f"/customers/{created.json()['id']}", {"language": ""})
    assert cleared.status_code == 200 and cleared.json()["language"] is None
    api.client.close()


@pytest.fixture
def pseudo_arabic(tmp_path: Path) -> Iterator[Path]:
    """An Arabic pseudo-catalogue: every Spanish message, with an Arabic letter in front, so a
    screen shows both that it is translated and which way it runs."""
    shipped = languages.SHIPPED / "es" / "LC_MESSAGES" / "messages.po"
    with shipped.open("rb") as po:
        spanish = read_po(po)
    catalogue = Catalog(locale="ar")
    for message in spanish:
        if message.id and message.string:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            marked = tuple(f"ع {text}" for text in strings)
            # Arabic has six plural forms: the last Spanish one stands in for those it lacks.
            forms = (*marked, *[marked[-1]] * (catalogue.num_plurals - len(marked)))
            catalogue.add(message.id, forms if isinstance(message.id, tuple) else marked[0])
    directory = tmp_path / "catalogues" / "ar" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    with (directory / "messages.mo").open("wb") as mo:
        write_mo(mo, catalogue)
    yield tmp_path / "catalogues"
    # Languages found are per process: this one leaves with its test.
    languages._extra.remove(tmp_path / "catalogues")
    languages.available.cache_clear()
    languages._catalogue.cache_clear()
    shutil.rmtree(tmp_path / "catalogues")


def test_a_right_to_left_language_turns_the_portal_around(
    settings: Settings, db: Database, shop: tuple[Business, Customer], pseudo_arabic: Path
) -> None:
    server = LiveServer(create_app(settings.model_copy(update={"catalogues": pseudo_arabic}), db))
    server.start()
    try:
        arabic = open_shell(server, settings, shop, {"Accept-Language": "ar-EG,ar;q=0.9"})
        assert shell_language(arabic) == ("ar", "rtl")
        assert "ع ¿No es usted? Cerrar sesión" in arabic.text
        assert shell_language(open_shell(server, settings, shop)) == ("en", "ltr")
    finally:
        server.stop()
