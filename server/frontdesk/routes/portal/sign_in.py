"""Signing in without a password: an emailed link and a six-digit code."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.routes.portal import frame, refusals
from frontdesk.routes.portal.home import opening
from frontdesk.services import host_events, portal, sign_in
from frontdesk.services.rate_limits import Limit, Limited
from frontdesk.tokens import InvalidToken

PORTAL_SIGN_IN_EMAIL = Limit("portal-sign-in-email", burst=3, per_second=1 / 300)


HOME = "fragments/portal/home.html"
PORTAL_SIGN_IN_IP = Limit("portal-sign-in-ip", burst=20, per_second=0.2)


@dataclass(frozen=True)
class SignInLinkLimits:
    """Emailed sign-ins: three per address, then one every five minutes; twenty per client."""

    by_email: Limit = PORTAL_SIGN_IN_EMAIL
    by_ip: Limit = PORTAL_SIGN_IN_IP


async def portal_sign_in(request: Request) -> Response:
    def render() -> Response:
        return frame.sign_in_form(request, frame.business_for(request), status=200)

    return await run_in_threadpool(frame.guarded, request, render)


async def portal_sign_in_request(request: Request) -> Response:
    """Email a sign-in link and code. The answer is the same for any address."""
    form = await request.form()
    email = str(form.get("email", "")).strip()[:320]
    limits: SignInLinkLimits = request.app.state.sign_in_link_limits

    def send() -> Response:
        business = frame.business_for(request)
        if "@" not in email:
            problem = gettext("Enter your email address, like name@example.com.")
            return frame.sign_in_form(request, business, problem=problem, typed=email, status=422)
        spends = (
            (limits.by_email, f"{business.id}:{email.lower()}"),
            (limits.by_ip, frame.client_ip(request)),
        )
        try:
            request.app.state.limiter.take(*spends)
        except Limited as limited:
            problem = gettext("Too many requests. Try again in %(seconds)s seconds.") % {
                "seconds": limited.retry_after
            }
            refused = frame.sign_in_form(request, business, problem=problem, status=429)
            refused.headers["Retry-After"] = str(limited.retry_after)
            return refused
        with request.app.state.db.session(business.id) as session:
            sign_in.request(session, business=business, email=email, links=request.app.state.links)
        return frame.sign_in_form(request, business, sent_to=email, status=200)

    return await run_in_threadpool(frame.guarded, request, send)


async def portal_sign_in_code(request: Request) -> Response:
    """The code from the email, typed in: the portal opens, as a link would have opened it."""
    form = await request.form()
    email, code = str(form.get("email", ""))[:320], str(form.get("code", ""))[:12]

    def check() -> Response:
        settings = request.app.state.settings
        business = frame.business_for(request)
        # The attempt is counted in its own transaction, so a wrong code still uses up a try.
        with request.app.state.db.session(business.id) as session:
            try:
                customer = sign_in.check_code(
                    session,
                    business=business,
                    email=email,
                    code=code,
                    secret_keys=settings.secret_key,
                    ip=frame.client_ip(request),
                )
            except InvalidToken as exc:
                problem = refusals.token_problem(exc)
                customer = None
        if customer is None:
            return frame.sign_in_form(request, business, problem=problem, sent_to=email, status=422)
        with request.app.state.db.session(business.id) as session:
            context = {"view_template": HOME, **opening(request, session, business, customer)}
        frame.tell(request, host_events.signed_in(business, customer))
        return frame.fragment(request, business, customer, "fragments/portal/shell.html", context)

    return await run_in_threadpool(frame.guarded, request, check)


async def portal_sign_out(request: Request) -> Response:
    """ "Sign out" (or "not you?"): this session ends on the server, and the portal asks for an
    email address, as on a computer nobody has signed in on."""

    def end() -> Response:
        business, settings = frame.business_for(request), request.app.state.settings
        with request.app.state.db.session(business.id) as session:
            frame.signed_in(request, session, business)
            portal.sign_out(
                session,
                business=business,
                signed=frame.signed(request),
                now=request.app.state.clock(),
                lifetime=settings.portal_session_seconds,
                ip=frame.client_ip(request),
            )
        return frame.sign_in_form(request, business, signed_out=True, status=200)

    return await run_in_threadpool(frame.guarded, request, end)


routes = [
    Route(
        "/sign-in",
        portal_sign_in_request,
        methods=["POST"],
        name="portal_sign_in_request",
    ),
    Route("/sign-out", portal_sign_out, methods=["POST"], name="portal_sign_out"),
    Route(
        "/sign-in/code",
        portal_sign_in_code,
        methods=["POST"],
        name="portal_sign_in_code",
    ),
    Route("/sign-in", portal_sign_in, name="portal_sign_in"),
]
