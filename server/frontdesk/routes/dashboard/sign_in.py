"""Staff signing in and out, and joining from an invitation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from frontdesk import htmx
from frontdesk.middleware import csrf
from frontdesk.models import (
    StaffUser,
)
from frontdesk.rendering import templates
from frontdesk.routes.dashboard.frame import SESSION_COOKIE, _client_ip
from frontdesk.services import (
    staff,
)
from frontdesk.services.errors import Invalid
from frontdesk.services.rate_limits import Limit, Limited
from frontdesk.tokens import InvalidToken


async def dashboard_sign_in_form(request: Request) -> Response:
    return htmx.render(
        request,
        page="pages/dashboard/sign_in.html",
        fragment="fragments/dashboard/sign_in_form.html",
        context={"error": "", "email": ""},
    )


DASHBOARD_SIGN_IN_EMAIL = Limit("dashboard-sign-in-email", burst=5, per_second=0.1)


DASHBOARD_SIGN_IN_IP = Limit("dashboard-sign-in-ip", burst=30, per_second=0.5)


@dataclass(frozen=True)
class SignInLimits:
    """Guessing passwords: five tries per address, then one every ten seconds; an office behind
    one address gets thirty at once."""

    by_email: Limit = DASHBOARD_SIGN_IN_EMAIL
    by_ip: Limit = DASHBOARD_SIGN_IN_IP


def _sign_in_again(request: Request, email: str, error: str, status: int) -> Response:
    return htmx.render(
        request,
        page="pages/dashboard/sign_in.html",
        fragment="fragments/dashboard/sign_in_form.html",
        context={"error": error, "email": email},
        status_code=status,
    )


async def dashboard_sign_in(request: Request) -> Response:
    await csrf.verify(request)
    form = await request.form()
    email, password = str(form.get("email", "")).strip().lower(), str(form.get("password", ""))
    limits: SignInLimits = request.app.state.sign_in_limits
    spends = ((limits.by_email, email), (limits.by_ip, _client_ip(request)))
    try:
        await run_in_threadpool(request.app.state.limiter.take, *spends)
    except Limited as limited:
        error = f"Too many attempts. Try again in {limited.retry_after} seconds."
        refused = _sign_in_again(request, email, error, 429)
        refused.headers["Retry-After"] = str(limited.retry_after)
        return refused

    def authenticate() -> StaffUser | None:
        with request.app.state.db.unscoped("sign-in looks staff up by email") as session:
            return staff.authenticate(session, email=email, password=password)

    user = await run_in_threadpool(authenticate)
    if user is None:
        return _sign_in_again(request, email, "That email and password do not match.", 401)
    response = RedirectResponse(request.url_for("dashboard_customers"), status_code=303)
    _start_session(response, request.app.state.settings, user)
    return response


async def dashboard_sign_out(request: Request) -> Response:
    await csrf.verify(request)
    response = RedirectResponse(request.url_for("dashboard_sign_in_form"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")
    return response


def _join_form(request: Request, token: str, error: str = "", status: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "pages/dashboard/join.html",
        {"token": token, "error": error},
        status_code=status,
    )


async def dashboard_join_form(request: Request) -> Response:
    token = request.query_params.get("t", "")
    keys = request.app.state.settings.secret_key
    try:
        await run_in_threadpool(staff.open_invitation, request.app.state.db, keys, token)
    except InvalidToken as exc:
        return _join_form(request, "", f"This invitation does not work: {exc}.", 400)
    return _join_form(request, token)


async def dashboard_join(request: Request) -> Response:
    """Accept an invitation: choose a name and password, and arrive signed in."""
    await csrf.verify(request)
    form = await request.form()
    token = str(form.get("token", ""))
    settings = request.app.state.settings

    def accept() -> StaffUser:
        return staff.accept(
            request.app.state.db,
            secret_keys=settings.secret_key,
            token=token,
            name=str(form.get("name", "")),
            password=str(form.get("password", "")),
        )

    try:
        user = await run_in_threadpool(accept)
    except InvalidToken as exc:
        return _join_form(request, "", f"This invitation does not work: {exc}.", 400)
    except Invalid as invalid:
        message = next(iter(invalid.fields.values()), invalid.message)
        return _join_form(request, token, message, 422)
    response = RedirectResponse(request.url_for("dashboard_customers"), status_code=303)
    _start_session(response, settings, user)
    return response


def _start_session(response: Response, settings: Any, user: StaffUser) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        staff.session_token(settings.secret_key, user),
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
        path="/dashboard",
    )


async def dashboard_home(request: Request) -> Response:
    return RedirectResponse(request.url_for("dashboard_customers"), status_code=303)


routes = [
    Route("/", dashboard_home, name="dashboard_home"),
    Route("/sign-in", dashboard_sign_in_form, name="dashboard_sign_in_form"),
    Route("/sign-in", dashboard_sign_in, methods=["POST"], name="dashboard_sign_in"),
    Route("/sign-out", dashboard_sign_out, methods=["POST"], name="dashboard_sign_out"),
    Route("/join", dashboard_join_form, name="dashboard_join_form"),
    Route("/join", dashboard_join, methods=["POST"], name="dashboard_join"),
]
