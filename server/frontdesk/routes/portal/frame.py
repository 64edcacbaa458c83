"""Who is asking on a portal route, and rendering portal views and form actions for them.

Every portal route resolves the business from the publishable key in the path, re-checks the
page's origin against that business, and then the bearer session token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from anyio import to_thread
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from frontdesk import htmx, languages
from frontdesk.db import DatabaseUnavailable
from frontdesk.languages import N_, gettext
from frontdesk.middleware.portal_cors import BUSINESS
from frontdesk.models import Business, Customer
from frontdesk.processors import ProcessorError
from frontdesk.processors import Refused as ProcessorRefused
from frontdesk.rendering import templates
from frontdesk.routes.portal import nav, tags, viewer
from frontdesk.routes.portal.refusals import (
    DATABASE_AWAY,
    FAILED,
    NOT_FOUND,
    PROCESSOR_DOWN,
    PROCESSOR_REFUSED,
    PortalError,
    no_access,
    session_ended,
    too_many,
)
from frontdesk.services import businesses, customers, portal, versions
from frontdesk.services.errors import Forbidden, Invalid, NotFound
from frontdesk.services.links import Limits
from frontdesk.services.rate_limits import Limited
from frontdesk.tokens import InvalidToken

log = logging.getLogger("frontdesk.portal")


Build = tags.Build


Act = Callable[[Session, Business, Customer, FormData], dict[str, Any]]


Rebuild = Callable[[Session, Business, Customer, FormData, Invalid], dict[str, Any]]


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def business_for(request: Request, section: str | None = None) -> Business:
    """The business named by the path's key, if this page's origin may show it (and the section).
    The portal's CORS middleware has looked it up already, once for the whole request."""
    business: Business | None = request.scope[BUSINESS]
    # Refusals below are read in the visitor's language too.
    viewer.speak(request, business)
    if business is None:
        raise PortalError(404, N_("Portal not found"), N_("This account portal does not exist."))
    origin = request.headers.get("origin")
    if origin and not businesses.origin_allowed(business, origin, own_origin=own_origin(request)):
        raise PortalError(
            403,
            N_("Not available here"),
            N_("This account portal is not available on this website."),
        )
    if section and not portal.section_enabled(business, section):
        raise NOT_FOUND
    return business


def known_business(request: Request) -> Business:
    """The business the path's key names, for what any page may load (stylesheet, logo)."""
    business: Business | None = request.scope[BUSINESS]
    if business is None:
        raise NotFound("no such business")
    return business


def signed_in(request: Request, session: Session, business: Business) -> Customer:
    settings = request.app.state.settings
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise PortalError(401, N_("Please sign in"), N_("Sign in again to see your account."))
    try:
        signed = portal.from_session(
            session,
            business=business,
            token=token,
            secret_keys=settings.secret_key,
            max_age=settings.portal_session_seconds,
        )
    except customers.AccessDisabled:
        raise no_access(business) from None
    except InvalidToken as exc:
        raise PortalError(401, gettext("Your session has ended"), session_ended(exc)) from None
    request.state.limits, request.state.signed = signed.limits, signed
    viewer.speak(request, business, signed.customer)
    return signed.customer


def signed(request: Request) -> portal.Signed:
    """The session the request came with (after `signed_in`)."""
    found: portal.Signed = request.state.signed
    return found


def limits(request: Request) -> Limits:
    found: Limits = getattr(request.state, "limits", Limits())
    return found


def refuse_beyond_limits(
    request: Request, business: Business, section: str | None, *, changes: bool
) -> None:
    if changes and limits(request).read_only:
        raise PortalError(
            403,
            gettext("Viewing only"),
            gettext(
                "This is %(business)s's view of the customer's portal: nothing can be paid or "
                "changed from here."
            )
            % {"business": business.name},
        )
    if limits(request).pay_only and section != "pay":
        raise PortalError(
            403,
            gettext("Payment link"),
            gettext(
                "This link is for paying %(business)s. Ask %(business)s for a link to your "
                "whole account."
            )
            % {"business": business.name},
        )


def notice(request: Request, refused: PortalError) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        "fragments/portal/notice.html",
        {"title": gettext(refused.title), "message": gettext(refused.message)},
        status_code=refused.status,
        headers={"Content-Language": languages.current()},
    )
    if refused.retry_after:
        response.headers["Retry-After"] = str(refused.retry_after)
    return response


def _shared(request: Request, business: Business, customer: Customer) -> dict[str, Any]:
    """What every portal fragment is rendered with: who, what the session may do, and helpers."""
    held = limits(request)
    viewer.speak(request, business, customer)
    sections = [] if held.pay_only else portal.sections(business)
    return {
        "business": business,
        "customer": customer,
        "demo": request.app.state.settings.environment == "demo",
        # Views rendered on their own update the nav out of band; the shell draws it itself.
        "oob_nav": False,
        "sections": sections,
        # A pay-only link shows the pay step alone: no tabs to the rest of the account.
        "tabs": () if held.pay_only else nav.tabs(request, business, sections),
        "deep_link": portal.DEEP_LINK,
        "read_only": held.read_only,
        "pay_only": held.pay_only,
        "pay_on": portal.payments_on(business),
        "today": businesses.today(business),
        "viewer_zone": viewer.zone(request, business),
        "download": lambda document: request.url_for(
            "portal_download",
            key=business.publishable_key,
            token=request.app.state.links.download(customer, document),
        ),
    }


def tell(request: Request, event: dict[str, Any] | None) -> None:
    """Tell the page that embeds the portal what the customer just did (services/host_events.py),
    with this request's answer."""
    if event is not None:
        request.state.host_events = [*getattr(request.state, "host_events", []), event]


def session_header(request: Request, customer: Customer) -> dict[str, str]:
    """The session token to answer with: a new session's first (a token just exchanged gets its
    id here), or a renewal once the presented one is past half its life; otherwise none, and
    the widget keeps the token it has."""
    current: portal.Signed | None = getattr(request.state, "signed", None)
    now, lifetime = request.app.state.clock(), request.app.state.settings.portal_session_seconds
    if current and not portal.renewal_due(current, now=now, lifetime=lifetime):
        return {}
    session_id = current.session_id if current else portal.new_session_id()
    token = request.app.state.links.session(customer, session_id, limits(request))
    return {"Frontdesk-Session": token}


def fragment(
    request: Request,
    business: Business,
    customer: Customer,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    shared = _shared(request, business, customer)
    response = templates.TemplateResponse(
        request, name, {**shared, **context}, status_code=status_code
    )
    response.headers.update(session_header(request, customer))
    response.headers["Content-Language"] = languages.current()
    # The business looking at the customer's portal from its dashboard is not the customer acting.
    told = getattr(request.state, "host_events", [])
    if told and not limits(request).read_only:
        # One name, read by the loader, which dispatches each event from the element itself.
        htmx.trigger(response, {"fd:events": told})
    return response


def guarded(request: Request, render: Callable[[], Response]) -> Response:
    """Run a portal render; refusals and surprises become fragments the widget can show.

    An unhandled error would otherwise reach the client from Starlette's outermost middleware,
    without CORS headers, and the portal would take it for an outage.
    """
    try:
        return render()
    except PortalError as refused:
        return notice(request, refused)
    except Limited as limited:
        return notice(request, too_many(limited))
    except DatabaseUnavailable:
        return notice(request, DATABASE_AWAY)  # the database logs its own going and coming
    except NotFound:
        return notice(request, NOT_FOUND)
    except Forbidden as refused:
        said = gettext("%(refusal)s Nothing changed.") % {"refusal": refused}
        return notice(request, PortalError(403, gettext("Not possible here"), said))
    except ProcessorError as error:
        # The processor is away or refused us (not the card: card errors are handled where a
        # payment is made). The transaction rolled back, so nothing changed; its own wording
        # is for our log, never for the customer.
        log.warning("payment processor error on %s: %s", request.url.path, error)
        return notice(
            request, PROCESSOR_REFUSED if isinstance(error, ProcessorRefused) else PROCESSOR_DOWN
        )
    except Exception:
        log.exception("portal request failed: %s", request.url.path)
        return notice(request, FAILED)


async def view(
    request: Request, template: str, build: Build, *, section: str | None = None
) -> Response:
    """A read-only portal view for the signed-in customer: 304, without drawing it, while the
    entity tag the request brings still holds (unless its build is `Live`). Drawn by the threads
    kept for views (settings.view_threads), in the order asked; a `Live` one, which waits on the
    payment processor, by the others."""

    def render() -> Response:
        business = business_for(request, section)
        with request.app.state.db.session(business.id) as session:
            customer = signed_in(request, session, business)
            refuse_beyond_limits(request, business, section, changes=False)
            tag = tags.entity_tag(request, business, customer, build, limits(request))
            if tags.kept(request, tag):  # a renewal that is due still reaches the widget
                headers = tags.revalidated(tag) | session_header(request, customer)
                return Response(status_code=304, headers=headers)
            built = build(session, business, customer)
            # The nav after the view: drawing it may mark what the nav counts (messages read).
            context = {**portal.nav(session, business=business, customer=customer), **built}
            if versions.moved(session, customer):
                # Drawing it changed it: untagged, so the next request draws it again, since
                # another change committed meanwhile may be in its new version and not in it.
                tag = ""
        response = fragment(request, business, customer, template, {"oob_nav": True, **context})
        response.headers.update(tags.revalidated(tag))
        return response

    drawing = None if isinstance(build, tags.Live) else request.app.state.drawing
    return await to_thread.run_sync(partial(guarded, request, render), limiter=drawing)


async def action(
    request: Request,
    template: str,
    act: Act,
    rebuild: Rebuild,
    *,
    section: str | None = None,
    retry: str | None = None,
) -> Response:
    """A form the customer submits. Bad input rolls back and re-renders with messages (422): the
    `retry` template when the answer to good input is another (the form again, not the result)."""
    async with request.form() as form:  # closes uploaded files (spooled to disk) after

        def run() -> Response:
            status, shown = 200, template
            business = business_for(request, section)
            try:
                with request.app.state.db.session(business.id) as session:
                    customer = signed_in(request, session, business)
                    refuse_beyond_limits(request, business, section, changes=True)
                    context = act(session, business, customer, form)
            except Invalid as invalid:
                request.state.host_events = []  # rolled back: nothing happened to tell of
                with request.app.state.db.session(business.id) as session:
                    customer = signed_in(request, session, business)
                    context = rebuild(session, business, customer, form, invalid)
                status, shown = 422, retry or template
            return fragment(request, business, customer, shown, context, status)

        return await run_in_threadpool(guarded, request, run)


def sign_in_context(
    *, problem: str = "", sent_to: str = "", signed_out: bool = False, typed: str = ""
) -> dict[str, Any]:
    """What the sign-in fragment shows: a problem, the address a link went to, "signed out", or
    the address as mistyped. The gallery draws it from here too."""
    return {"problem": problem, "sent_to": sent_to, "signed_out": signed_out, "typed": typed}


def sign_in_form(
    request: Request,
    business: Business,
    *,
    problem: str = "",
    sent_to: str = "",
    signed_out: bool = False,
    typed: str = "",
    status: int = 401,
) -> Response:
    shown = sign_in_context(problem=problem, sent_to=sent_to, signed_out=signed_out, typed=typed)
    return templates.TemplateResponse(
        request,
        "fragments/portal/sign_in.html",
        {"business": business, **shown},
        status_code=status,
        headers={"Content-Language": languages.current()},
    )
