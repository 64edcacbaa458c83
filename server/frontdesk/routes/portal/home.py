"""The portal's way in: opening a session, the shell, deep links and the home view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business, Customer
from frontdesk.routes.portal import appointments as appointment_routes
from frontdesk.routes.portal import documents as document_routes
from frontdesk.routes.portal import estimates as estimate_routes
from frontdesk.routes.portal import frame, refusals
from frontdesk.routes.portal import invoices as invoice_routes
from frontdesk.routes.portal import messages as message_routes
from frontdesk.routes.portal import pay as pay_routes
from frontdesk.routes.portal import payments as payment_routes
from frontdesk.routes.portal import profile as profile_routes
from frontdesk.routes.portal import service_requests as service_request_routes
from frontdesk.routes.portal import subscriptions as subscription_routes
from frontdesk.routes.portal import todos as todo_routes
from frontdesk.services import businesses, customers, host_events, portal
from frontdesk.services.errors import NotFound
from frontdesk.tokens import InvalidToken

SHELL = "fragments/portal/shell.html"


@dataclass(frozen=True)
class Place:
    """Where a deep link (#invoice/INV-1042, #estimates, ...) opens the portal."""

    template: str
    build: frame.Build
    section: str | None


def home_context(now: datetime) -> frame.Build:
    """Home as of `now`: what is due, and the next visit, on the business's calendar."""

    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        today = businesses.today(business, now)
        return {
            "home": portal.home(session, business=business, customer=customer, today=today),
            "current": "home",
        }

    return build


def home(request: Request) -> Place:
    return Place("fragments/portal/home.html", home_context(request.app.state.clock()), None)


# Deep links that name one thing (#invoice/INV-1042, #complete/pay_..., #pay/INV-1042).
ONE_OF: dict[str, Callable[[str, Request], Place]] = {
    "invoice": lambda number, _: Place(
        "fragments/invoices/detail.html", invoice_routes.detail_context(number), "invoices"
    ),
    "complete": lambda payment, request: Place(
        "fragments/pay/charged.html",
        pay_routes.complete_context(
            payment, request.app.state.processor, request.app.state.settings
        ),
        "pay",
    ),
    "pay": lambda number, _: Place(
        "fragments/pay/choose.html",
        lambda s, b, c: pay_routes.choose_context(s, b, c, [number]),
        "pay",
    ),
    "estimate": lambda number, _: Place(
        "fragments/estimates/detail.html", estimate_routes.detail_context(number), "estimates"
    ),
    "request": lambda number, request: Place(
        service_request_routes.DETAIL,
        service_request_routes.detail_context(request, number),
        service_request_routes.SECTION,
    ),
    "document": lambda document, request: Place(
        document_routes.DETAIL,
        document_routes.detail_context(request, document),
        document_routes.SECTION,
    ),
    "appointment": lambda appointment, request: Place(
        appointment_routes.DETAIL,
        appointment_routes.detail_context(appointment, request.app.state.clock()),
        appointment_routes.SECTION,
    ),
    "plan": lambda subscription, _: Place(
        subscription_routes.DETAIL,
        subscription_routes.detail_context(subscription),
        subscription_routes.SECTION,
    ),
}
# Deep links to a whole view (#invoices, #profile, ...), or to one drawn as of the app's clock;
# anything else opens home.
VIEWS: dict[str, Place | Callable[[Request], Place]] = {
    "invoices": Place(
        "fragments/invoices/list.html", invoice_routes.list_context(None, 1), "invoices"
    ),
    "estimates": Place("fragments/estimates/list.html", estimate_routes.list_context, "estimates"),
    "payments": Place("fragments/payments/history.html", payment_routes.history_context, None),
    "profile": Place("fragments/profile/form.html", profile_routes.form_context, "profile"),
    "service_requests": Place(
        service_request_routes.LIST, service_request_routes.list_context, "service_requests"
    ),
    "todos": Place(todo_routes.LIST, todo_routes.list_context, "todos"),
    "messages": Place(message_routes.VIEW, message_routes.deep_link_context, "messages"),
    "documents": Place(document_routes.LIST, document_routes.list_context, document_routes.SECTION),
    "subscriptions": Place(
        subscription_routes.LIST, subscription_routes.list_context, subscription_routes.SECTION
    ),
    "appointments": lambda request: Place(
        appointment_routes.LIST,
        appointment_routes.list_context(request.app.state.clock()),
        appointment_routes.SECTION,
    ),
    "pay": Place("fragments/pay/choose.html", pay_routes.choose_context, "pay"),
}


def _place(link: str, request: Request) -> Place:
    name, _, argument = link.partition("/")
    if argument and name in ONE_OF:
        return ONE_OF[name](argument, request)
    found = VIEWS.get(name, home)
    return found(request) if callable(found) else found


def _opened(
    request: Request, session: Session, business: Business, arrival: portal.Arrival, asked: Place
) -> tuple[Place, dict[str, Any]]:
    """Where a new session opens: where its token sends it, else the deep link, else home (a
    section the business has switched off, or a thing that is not the customer's, is home). The
    host page hears who signed in."""
    wanted = _place(arrival.destination, request) if arrival.destination else asked
    current = wanted if portal.section_enabled(business, wanted.section) else home(request)
    if arrival.limits.pay_only and current.section != "pay":
        raise refusals.PortalError(
            403,
            gettext("Payments are off"),
            gettext("%(business)s is not taking payments here right now.")
            % {"business": business.name},
        )
    frame.tell(request, host_events.signed_in(business, arrival.customer))
    try:
        context = current.build(session, business, arrival.customer)
    except NotFound:
        return home(request), opening(request, session, business, arrival.customer)
    return current, {**portal.nav(session, business=business, customer=arrival.customer), **context}


def opening(
    request: Request, session: Session, business: Business, customer: Customer
) -> dict[str, Any]:
    """Home as a new session opens on it, with what the nav counts (the shell draws the nav)."""
    return {
        **portal.nav(session, business=business, customer=customer),
        **home_context(request.app.state.clock())(session, business, customer),
    }


async def portal_session(request: Request) -> Response:
    """Trades an arrival token for a session, and shows the shell open at the deep link's view."""
    form = await request.form()
    # The loader sends the host page's hash as it is: its item is percent-encoded.
    token, asked = str(form.get("token", "")), _place(unquote(str(form.get("view", ""))), request)
    # The first view's zone and language: the loader sends no headers yet.
    request.state.time_zone, request.state.language = str(form.get("zone", "")), form.get("lang")

    def exchange() -> Response:
        business, keys = frame.business_for(request), request.app.state.settings.secret_key
        with request.app.state.db.session(business.id) as session:
            try:
                arrival = portal.exchange(
                    session,
                    business=business,
                    token=token,
                    secret_keys=keys,
                    ip=frame.client_ip(request),
                )
            except customers.AccessDisabled:
                raise refusals.no_access(business) from None
            except InvalidToken as exc:
                # Expired, used or replaced: the way forward is a fresh link by email.
                return frame.sign_in_form(request, business, problem=refusals.token_problem(exc))
            request.state.limits = arrival.limits
            current, context = _opened(request, session, business, arrival, asked)
        shell = {"view_template": current.template, **context}
        return frame.fragment(request, business, arrival.customer, SHELL, shell)

    return await run_in_threadpool(frame.guarded, request, exchange)


async def portal_go(request: Request) -> Response:
    """The view a deep link names, for a portal that is already open (the hash changed)."""
    place = _place(request.path_params["place"], request)
    return await frame.view(request, place.template, place.build, section=place.section)


async def portal_home(request: Request) -> Response:
    place = home(request)
    return await frame.view(request, place.template, place.build)


routes = [
    Route("/session", portal_session, methods=["POST"], name="portal_session"),
    Route("/home", portal_home, name="portal_home"),
    Route("/go/{place:path}", portal_go, name="portal_go"),
]
