"""The sample business website the demo serves on another origin, embedding the portal.

It plays the business's own server too: on each visit to the account page it mints an embed token
for its signed-in customer, as a real business's server would through the API.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from frontdesk import tokens
from frontdesk.models import Business, Customer
from frontdesk.settings import Settings

HERE = Path(__file__).parent
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)


def create_app(settings: Settings, business: Business, customer: Customer) -> Starlette:
    def page(name: str, **context: object) -> HTMLResponse:
        html = _env.get_template(name).render(
            business=business, portal_host=settings.base_url, **context
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def home(request: Request) -> HTMLResponse:
        return page("home.html")

    async def account(request: Request) -> HTMLResponse:
        token = tokens.mint(
            settings.secret_key,
            tokens.Purpose.EMBED,
            business_id=business.id,
            customer_id=customer.id,
            link_version=customer.link_version,
        )
        return page("account.html", customer=customer, token=token)

    return Starlette(
        routes=[
            Route("/", home, name="home"),
            Route("/account", account, name="account"),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )
