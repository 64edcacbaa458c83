"""Booking without an account: the visitor's form inside the portal (from its sign-in screen),
and the hosted page the emailed link opens to confirm the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.models import Business
from frontdesk.rendering import templates
from frontdesk.routes.portal import frame, viewer
from frontdesk.services import businesses
from frontdesk.services.booking import Taken, public
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.services.rate_limits import Limited
from frontdesk.tokens import InvalidToken

FORM = "fragments/public_booking/form.html"
PAGE = "pages/public_booking/confirm.html"
# Our page only: no scripts at all, forms back to us, never framed.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _form(
    request: Request,
    business: Business,
    visit: public.Visit,
    *,
    day: str = "",
    invalid: Invalid | None = None,
    problem: str = "",
    status: int = 200,
) -> Response:
    with request.app.state.db.session(business.id) as session:
        shown = public.choices(
            session, business=business, visit=visit, day=day, now=request.app.state.clock()
        )
    context = {
        "business": business,
        "visit": visit,
        "shown": shown,
        "problem": problem or (invalid.message if invalid else ""),
        "errors": invalid.fields if invalid else {},
    }
    return templates.TemplateResponse(request, FORM, context, status_code=status)


async def portal_public_booking(request: Request) -> Response:
    """The form, at each step: a service, then a day, then a time and the visitor's details."""
    visit, day = public.Visit.of(request.query_params), request.query_params.get("day", "")

    def render() -> Response:
        return _form(request, frame.business_for(request), visit, day=day)

    return await run_in_threadpool(frame.guarded, request, render)


async def portal_public_booking_ask(request: Request) -> Response:
    """Email the visitor a link that sends their request; bad input keeps what they typed."""
    visit = public.Visit.of(await request.form())

    def send() -> Response:
        business = frame.business_for(request)
        try:
            with request.app.state.db.session(business.id) as session:
                public.ask(
                    session,
                    business=business,
                    visit=visit,
                    now=request.app.state.clock(),
                    links=request.app.state.links,
                    limiter=request.app.state.limiter,
                    ip=frame.client_ip(request),
                )
        except Invalid as invalid:
            return _form(request, business, visit, invalid=invalid, status=422)
        except Limited as limited:
            problem = gettext("Too many requests. Please try again in %(seconds)s seconds.") % {
                "seconds": limited.retry_after
            }
            refused = _form(request, business, visit, problem=problem, status=429)
            refused.headers["Retry-After"] = str(limited.retry_after)
            return refused
        sent = {"business": business, "sent_to": visit.email}
        return templates.TemplateResponse(request, "fragments/public_booking/sent.html", sent)

    return await run_in_threadpool(frame.guarded, request, send)


def _page(request: Request, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, PAGE, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    return response


def _link_problem(refused: InvalidToken) -> str:
    """Why the emailed link cannot be used, with the way on, as one sentence."""
    if str(refused) in {"this link is not valid", "this link or session is not valid"}:
        return gettext("This link is not valid. Please fill in the form again.")
    if str(refused) in {"this link has expired", "this link or session has expired"}:
        return gettext("This link has expired. Please fill in the form again.")
    return f"{str(refused).capitalize()}. Please fill in the form again."


Act = Callable[[Business, public.Request, dict[str, Any]], Response]


def _hosted(request: Request, act: Act) -> Response:
    """The business the link names and its request, or a page saying why not."""
    token = request.query_params.get("t", "")
    viewer.speak(request, None)  # what refuses before the business is known
    try:
        with request.app.state.db.unscoped("the hosted page is found by slug") as session:
            business = businesses.by_slug(session, request.path_params["slug"])
        viewer.speak(request, business)
        public.offered(business)
        found = public.read(request.app.state.settings.secret_key, business=business, token=token)
        context: dict[str, Any] = {"business": business, "token": token, "visit": found.visit}
        return act(business, found, context)
    except InvalidToken as exc:
        context = {"problem": _link_problem(exc)}
        return _page(request, {"business": None, **context}, status=400)
    except NotFound:
        problem = gettext("This page does not exist.")
        return _page(request, {"business": None, "problem": problem}, 404)
    except Invalid as invalid:  # the service was withdrawn since the link was sent
        return _page(request, {"business": None, "problem": invalid.message}, 422)


async def public_booking_page(request: Request) -> Response:
    """What the link asks for, and the button that sends it (a mail scanner's GET books nothing)."""

    def render() -> Response:
        def show(business: Business, found: public.Request, context: dict[str, Any]) -> Response:
            with request.app.state.db.session(business.id) as session:
                service, starts_at = public.summary(session, business=business, request=found)
            return _page(request, {**context, "service": service, "starts_at": starts_at})

        return _hosted(request, show)

    return await run_in_threadpool(render)


async def public_booking_confirm(request: Request) -> Response:
    """Book the request (pending until the business confirms); a taken time offers fresh ones."""
    starts_at = str((await request.form()).get("starts_at", ""))[:40]

    def run() -> Response:
        def book(business: Business, found: public.Request, context: dict[str, Any]) -> Response:
            try:
                with request.app.state.db.session(business.id) as session:
                    booked = public.confirm(
                        session,
                        business=business,
                        request=found,
                        now=request.app.state.clock(),
                        starts_at=starts_at,
                    )
            except Taken as taken:
                return _page(request, {**context, "taken": taken}, 409)
            except Invalid as invalid:
                return _page(request, {**context, "problem": invalid.message}, 422)
            return _page(request, {**context, "starts_at": booked.starts_at, "booked": True})

        return _hosted(request, book)

    return await run_in_threadpool(run)


routes = [
    Route("/book-visit", portal_public_booking, name="portal_public_booking"),
    Route(
        "/book-visit",
        portal_public_booking_ask,
        methods=["POST"],
        name="portal_public_booking_ask",
    ),
]

# Outside the portal's mount: the emailed link opens our own page, not the business's website.
hosted = [
    Route("/p/{slug}/book", public_booking_page, name="public_booking_page"),
    Route(
        "/p/{slug}/book", public_booking_confirm, methods=["POST"], name="public_booking_confirm"
    ),
]
