"""The business dashboard's frame: staff sign-in and sign-out, and the helpers every dashboard
page and form goes through (who is signed in, their role, CSRF, page or fragment)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from frontdesk import htmx
from frontdesk.middleware import csrf
from frontdesk.middleware.security_headers import DEFAULT_CSP
from frontdesk.models import Business, StaffRole, StaffUser
from frontdesk.rendering import templates
from frontdesk.services import audit, businesses, staff
from frontdesk.services.errors import Forbidden, Invalid
from frontdesk.services.payments import ledger
from frontdesk.services.rate_limits import Limit, Limited
from frontdesk.tokens import InvalidToken

SESSION_COOKIE = "fd_staff"
PAGE = "pages/dashboard/base.html"


@dataclass(frozen=True)
class Staff:
    user: StaffUser
    business: Business
    session: Session
    ip: str

    @property
    def is_owner(self) -> bool:
        return self.user.role == StaffRole.OWNER

    def audit(self, action: str, target_type: str = "", target_id: str = "", **detail: Any) -> None:
        audit.record(
            self.session,
            business=self.business,
            actor_type="staff",
            actor_id=self.user.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
            ip=self.ip,
        )


Build = Callable[[Staff], dict[str, Any]]
Act = Callable[[Staff, FormData], dict[str, Any]]
Rebuild = Callable[[Staff, FormData, Invalid], dict[str, Any]]


class SignedOut(Exception):
    """No valid staff session: full pages redirect to sign-in, htmx requests are told to."""


def signed_in(request: Request) -> StaffUser:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignedOut
    with request.app.state.db.unscoped("finding who holds a staff session") as session:
        try:
            user: StaffUser = staff.from_session_token(
                session, request.app.state.settings.secret_key, token
            )
        except InvalidToken:
            raise SignedOut from None
    return user


def _to_sign_in(request: Request) -> Response:
    target = str(request.url_for("dashboard_sign_in_form"))
    if htmx.wants_fragment(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def go(request: Request, url: str) -> Response:
    """After a form that made something: to its page (htmx follows HX-Location)."""
    if htmx.wants_fragment(request):
        return Response(status_code=204, headers={"HX-Location": url})
    return RedirectResponse(url, status_code=303)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _render(
    request: Request, fragment: str, staff_: Staff, context: dict[str, Any], status: int = 200
) -> Response:
    return htmx.render(
        request,
        page=PAGE,
        fragment=fragment,
        context={
            "fragment": fragment,
            "user": staff_.user,
            "business": staff_.business,
            "is_owner": staff_.is_owner,
            "books": None,
            **context,
        },
        status_code=status,
    )


async def page(
    request: Request, fragment: str, build: Build, *, title: str, section: str
) -> Response:
    """A dashboard page (or, for htmx, just its fragment) for the signed-in staff member."""

    def run() -> Response:
        try:
            user = signed_in(request)
        except SignedOut:
            return _to_sign_in(request)
        with request.app.state.db.session(user.business_id) as session:
            business = businesses.get(session, user.business_id)
            who = Staff(user, business, session, _client_ip(request))
            context = build(who)
            # The owner hears about books that do not balance on every page until they do.
            context["books"] = ledger.last(session) if who.is_owner else None
        context.setdefault("title", title)
        context.setdefault("section", section)
        return _render(request, fragment, who, context)

    return await run_in_threadpool(run)


async def action(
    request: Request,
    fragment: str,
    act: Act,
    rebuild: Rebuild,
    *,
    section: str,
    owners_only: bool = False,
) -> Response:
    """A form post: CSRF checked, run in one transaction; bad input rolls back and the form comes
    back with its messages (422)."""
    await csrf.verify(request)
    form = await request.form()

    def run() -> Response:
        try:
            user = signed_in(request)
        except SignedOut:
            return _to_sign_in(request)
        if owners_only and user.role != StaffRole.OWNER:
            raise Forbidden("Only the business's owners can change this.")
        db = request.app.state.db
        status = 200
        try:
            with db.session(user.business_id) as session:
                business = businesses.get(session, user.business_id)
                who = Staff(user, business, session, _client_ip(request))
                context = act(who, form)
        except Invalid as invalid:
            with db.session(user.business_id) as session:
                business = businesses.get(session, user.business_id)
                who = Staff(user, business, session, _client_ip(request))
                context = rebuild(who, form, invalid)
            status = 422
        if "redirect" in context:
            return go(request, str(context["redirect"]))
        context.setdefault("section", section)
        context.setdefault("title", section.capitalize())
        return _render(request, fragment, who, context, status)

    try:
        return await run_in_threadpool(run)
    finally:
        await form.close()  # uploaded files are spooled to disk


def _staff_run(request: Request, work: Callable[[Staff], Response]) -> Response:
    try:
        user = signed_in(request)
    except SignedOut:
        return Response("Sign in again.", status_code=401)
    with request.app.state.db.session(user.business_id) as session:
        business = businesses.get(session, user.business_id)
        return work(Staff(user, business, session, _client_ip(request)))


async def preview_page(request: Request, build: Build) -> Response:
    """The theme editor's preview: a document of its own, shown in the editor's frame."""

    def work(who: Staff) -> Response:
        response = templates.TemplateResponse(
            request, "pages/dashboard/theme_preview.html", {"business": who.business, **build(who)}
        )
        # Framed by the editor (our own page); every other page of ours refuses frames.
        response.headers["Content-Security-Policy"] = DEFAULT_CSP.replace(
            "frame-ancestors 'none'", "frame-ancestors 'self'"
        )
        return response

    return await run_in_threadpool(_staff_run, request, work)


async def stylesheet(request: Request, build: Callable[[Staff], str]) -> Response:
    def work(who: Staff) -> Response:
        return Response(build(who), media_type="text/css")

    return await run_in_threadpool(_staff_run, request, work)


def field_errors(invalid: Invalid) -> dict[str, str]:
    return invalid.fields or {"": invalid.message}


# --- sign-in -------------------------------------------------------------------------------------


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


async def dashboard_sign_in(request: Request) -> Response:
    await csrf.verify(request)
    form = await request.form()
    email, password = str(form.get("email", "")).strip().lower(), str(form.get("password", ""))
    limits: SignInLimits = request.app.state.sign_in_limits
    try:
        await run_in_threadpool(
            request.app.state.limiter.take,
            (limits.by_email, email),
            (limits.by_ip, _client_ip(request)),
        )
    except Limited as limited:
        refused = htmx.render(
            request,
            page="pages/dashboard/sign_in.html",
            fragment="fragments/dashboard/sign_in_form.html",
            context={
                "error": f"Too many attempts. Try again in {limited.retry_after} seconds.",
                "email": email,
            },
            status_code=429,
        )
        refused.headers["Retry-After"] = str(limited.retry_after)
        return refused

    def authenticate() -> StaffUser | None:
        with request.app.state.db.unscoped("sign-in looks staff up by email") as session:
            return staff.authenticate(session, email=email, password=password)

    user = await run_in_threadpool(authenticate)
    if user is None:
        return htmx.render(
            request,
            page="pages/dashboard/sign_in.html",
            fragment="fragments/dashboard/sign_in_form.html",
            context={"error": "That email and password do not match.", "email": email},
            status_code=401,
        )
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
    try:
        staff.invitation(request.app.state.settings.secret_key, token)
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
        business_id, email, role = staff.invitation(settings.secret_key, token)
        with request.app.state.db.session(business_id) as session:
            business = businesses.get(session, business_id)
            user = staff.join(
                session,
                business=business,
                email=email,
                role=role,
                name=str(form.get("name", ""))[:200],
                password=str(form.get("password", "")),
            )
            audit.record(
                session,
                business=business,
                actor_type="staff",
                actor_id=user.id,
                action="staff.joined",
                target_type="staff",
                target_id=user.id,
            )
            return user

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
