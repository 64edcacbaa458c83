"""What the scripts say (the loader's card and PayPal steps, the secure pay page, the loader's
refused-origin line) comes from the server in the customer's language: the loader and
pay-page.js carry no English of their own for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk import languages
from frontdesk.db import Database
from frontdesk.rendering import templates
from frontdesk.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_business
from tests.test_paypal_portal import EVERYTHING, Shop, _shop

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def carried(html: str, element: str) -> dict[str, str]:
    """The data-* words on the first element whose attributes include `element`."""
    tag = re.search(rf"<[^>]*{re.escape(element)}[^>]*>", html)
    assert tag is not None, f"no {element} in the page"
    return dict(
        re.findall(r'data-(failed|unloaded|unstarted|declined|unreachable)="([^"]*)"', tag[0])
    )


@pytest.mark.one_backend
def test_the_card_fields_error_line_carries_the_loaders_words() -> None:
    line = templates.env.get_template("fragments/pay/card_error.html")
    with languages.speaking("es"):
        spanish = carried(line.render(), "data-fd-error")
    with languages.speaking(None):
        english = carried(line.render(), "data-fd-error")
    assert spanish == {
        "failed": "Este pago no se pudo realizar y no se cobró nada. "
        "Vuelva a su cuenta e inténtelo de nuevo.",
        "unloaded": "No se pudo cargar el formulario seguro de la tarjeta. Inténtelo de nuevo.",
    }
    assert english["unloaded"] == "The secure card form could not load. Please try again."


@pytest.fixture
def shop(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    yield from _shop(db, settings, tmp_path)


@pytest.fixture
def secure(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    yield from _shop(db, settings, tmp_path, secure_pay_page=True)


def test_the_paypal_step_carries_the_loaders_words_in_spanish(shop: Shop) -> None:
    shop.portal.client.headers.update(SPANISH)
    step = shop.portal.get("/pay")
    assert step.status_code == 200
    assert carried(step.text, "data-fd-error") == {
        "unstarted": "No se pudo iniciar PayPal. Inténtelo de nuevo.",
        "unloaded": "No se pudo cargar PayPal. Inténtelo de nuevo.",
    }


def test_the_secure_pay_page_carries_its_scripts_words_in_spanish(secure: Shop) -> None:
    secure.portal.client.headers.update(SPANISH)
    opened = secure.portal.client.post("/pay/paypal", data=EVERYTHING)
    link = re.search(r'data-fd-popup="([^"]+)"', opened.text)
    assert link is not None, opened.text
    page = httpx.get(link[1].replace("&amp;", "&"), headers=SPANISH)
    assert page.status_code == 200 and '<html lang="es"' in page.text
    assert carried(page.text, 'id="paypal-buttons"') == {
        "declined": "Este pago no se realizó. Inténtelo de nuevo.",
        "unreachable": "No pudimos comunicarnos con PayPal. Inténtelo de nuevo.",
        "unstarted": "No se pudo iniciar PayPal. Inténtelo de nuevo.",
        "unloaded": "No se pudo cargar PayPal. Inténtelo de nuevo.",
    }
    script = httpx.get(f"{secure.pay.app.url}/static/pay-page.js").text
    assert "try again" not in script.lower(), "pay-page.js says in English what the page carries"


def test_a_refused_origin_is_told_so_in_the_readers_language(
    db: Database, live_server: LiveServer
) -> None:
    business = make_business(db, allowed_origins=["https://shop.example"]).business
    check = f"{live_server.url}/portal/{business.publishable_key}/origin-check"
    elsewhere = {"Origin": "https://elsewhere.example"}
    refused = httpx.get(check, headers={**elsewhere, "Accept-Language": "fr-FR,fr;q=0.9"})
    assert refused.json() == {
        "allowed": False,
        "message": "Cet espace client n'est pas disponible sur ce site web.",
    }
    assert "Accept-Language" in refused.headers["Vary"]
    allowed = httpx.get(check, headers={"Origin": "https://shop.example", **SPANISH})
    assert allowed.json() == {"allowed": True}
