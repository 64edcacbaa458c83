"""Links from the route table's templates are exactly the links Starlette's `url_for` makes."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, PathConvertor, StringConvertor
from starlette.requests import Request

from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.settings import Settings
from frontdesk.urls import NamedRoutes

# Values that exercise each convertor's escaping: text a business chose, a key, a file path.
SAMPLES = {
    StringConvertor: "pk_test_Ab9 é%41",
    PathConvertor: "a/b c/é%2F",
    IntegerConvertor: 7,
}
TEXT = "INV/2026/001 #?%é"


@pytest.fixture
def app(settings: Settings, db: Database) -> Starlette:
    return create_app(settings, db)


def request_to(
    app: Starlette, *, scheme: str = "http", host: str = "127.0.0.1:8000", root_path: str = ""
) -> Request:
    return Request(
        {
            "type": "http",
            "app": app,
            "router": app.router,
            "method": "GET",
            "scheme": scheme,
            "server": ("127.0.0.1", 8000),
            "root_path": root_path,
            "path": f"{root_path}/portal/pk_x/home",
            "query_string": b"",
            "headers": [(b"host", host.encode())],
        }
    )


def sample_params(named: NamedRoutes, name: str) -> dict[str, Any]:
    template = named._templates[name]
    params = {}
    for level in template.levels:
        for param in level.params:
            params[param] = SAMPLES.get(type(level.convertors[param]), TEXT)
    return params


@pytest.mark.parametrize(
    "base",
    [
        {},
        {"scheme": "https", "host": "portal.example"},
        {"root_path": "/frontdesk", "host": "shop.example:8443"},
    ],
)
def test_every_named_route_links_as_starlette_links_it(
    app: Starlette, base: dict[str, str]
) -> None:
    named = NamedRoutes(app.router)
    request = request_to(app, **base)
    assert "portal_invoice" in named._templates, "the portal's routes are read from the table"
    for name in named._templates:
        params = sample_params(named, name)
        assert str(named.url_for(request, name, **params)) == str(
            request.url_for(name, **params)
        ), name


def test_what_the_templates_do_not_hold_is_left_to_starlette(app: Starlette) -> None:
    named = NamedRoutes(app.router)
    request = request_to(app)
    # A mount's own name, and a route asked for without its business key.
    assert "static" not in named._templates
    assert str(named.url_for(request, "static", path="pay-page.css")) == str(
        request.url_for("static", path="pay-page.css")
    )
    assert str(named.url_for(request, "portal_home")) == str(request.url_for("portal_home"))


def test_a_fragment_links_with_its_request_key_and_host(app: Starlette) -> None:
    named = NamedRoutes(app.router)
    first = named.url_for(request_to(app), "portal_invoices", key="pk_one")
    second = named.url_for(
        request_to(app, scheme="https", host="other.example"), "portal_invoices", key="pk_two"
    )
    assert str(first) == "http://127.0.0.1:8000/portal/pk_one/invoices"
    assert str(second) == "https://other.example/portal/pk_two/invoices"
