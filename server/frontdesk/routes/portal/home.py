"""The portal's way in: opening a session, the shell, deep links and the home view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.processors import Processor
from frontdesk.routes.portal import estimates as estimate_routes
from frontdesk.routes.portal import frame
from frontdesk.routes.portal import invoices as invoice_routes
from frontdesk.routes.portal import pay as pay_routes
from frontdesk.routes.portal import payments as payment_routes
from frontdesk.routes.portal import profile as profile_routes
from frontdesk.services import businesses, customers, portal
from frontdesk.services.errors import NotFound
from frontdesk.settings import Settings
from frontdesk.tokens import InvalidToken


@dataclass(frozen=True)
class Place:
    """Where a deep link (#invoice/INV-1042, #estimates, ...) opens the portal."""

    template: str
    build: frame.Build
    section: str | None


def home_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    today = businesses.today(business)
    return {
        "home": portal.home(session, business=business, customer=customer, today=today),
        "current": "home",
    }


def _place(link: str, settings: Settings, processor: Processor) -> Place:
    name, _, argument = link.partition("/")
    if name == "invoice" and argument:
        return Place(
            "fragments/invoices/detail.html", invoice_routes.detail_context(argument), "invoices"
        )
    if name == "complete" and argument:
        return Place(
            "fragments/pay/charged.html",
            pay_routes.complete_context(argument, processor, settings),
            "pay",
        )
    if name == "pay" and argument:
        return Place(
            "fragments/pay/choose.html",
            lambda s, b, c: pay_routes.choose_context(s, b, c, [argument]),
            "pay",
        )
    if name == "estimate" and argument:
        return Place(
            "fragments/estimates/detail.html", estimate_routes.detail_context(argument), "estimates"
        )
    places = {
        "invoices": Place(
            "fragments/invoices/list.html", invoice_routes.list_context(None, 1), "invoices"
        ),
        "estimates": Place(
            "fragments/estimates/list.html", estimate_routes.list_context, "estimates"
        ),
        "payments": Place("fragments/payments/history.html", payment_routes.history_context, None),
        "profile": Place("fragments/profile/form.html", profile_routes.form_context, "profile"),
        "pay": Place("fragments/pay/choose.html", pay_routes.choose_context, "pay"),
    }
    return places.get(name, Place("fragments/portal/home.html", home_context, None))


async def portal_session(request: Request) -> Response:
    """Trades an arrival token for a session, and shows the shell open at the deep link's view."""
    form = await request.form()
    token = str(form.get("token", ""))
    place = _place(
        str(form.get("view", "")), request.app.state.settings, request.app.state.processor
    )

    def exchange() -> Response:
        settings = request.app.state.settings
        business = frame.business_for(request)
        with request.app.state.db.session(business.id) as session:
            try:
                arrival = portal.exchange(
                    session, business=business, token=token, secret_keys=settings.secret_key
                )
                customer = arrival.customer
                request.state.limits = arrival.limits
            except customers.AccessDisabled:
                raise frame.no_access(business) from None
            except InvalidToken as exc:
                # Expired, used or replaced: the way forward is a fresh link by email.
                return frame.sign_in_form(request, business, problem=f"{str(exc).capitalize()}.")
            wanted = (
                _place(arrival.destination, settings, request.app.state.processor)
                if arrival.destination
                else place
            )
            home = _place("", settings, request.app.state.processor)
            current = wanted if portal.section_enabled(business, wanted.section) else home
            if arrival.limits.pay_only and current.section != "pay":
                raise frame.Refused(
                    403,
                    "Payments are off",
                    f"{business.name} is not taking payments here right now.",
                )
            try:
                context = current.build(session, business, customer)
            except NotFound:
                current, context = home, home_context(session, business, customer)
        return frame.fragment(
            request,
            business,
            customer,
            "fragments/portal/shell.html",
            {"view_template": current.template, **context},
        )

    return await run_in_threadpool(frame.guarded, request, exchange)


async def portal_go(request: Request) -> Response:
    """The view a deep link names, for a portal that is already open (the hash changed)."""
    place = _place(
        request.path_params["place"], request.app.state.settings, request.app.state.processor
    )
    return await frame.view(request, place.template, place.build, section=place.section)


async def portal_home(request: Request) -> Response:
    return await frame.view(request, "fragments/portal/home.html", home_context)


routes = [
    Route("/session", portal_session, methods=["POST"], name="portal_session"),
    Route("/home", portal_home, name="portal_home"),
    Route("/go/{place:path}", portal_go, name="portal_go"),
]
