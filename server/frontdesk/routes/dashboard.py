"""The business dashboard: staff sign-in and the overview of customers and balances."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from frontdesk import htmx
from frontdesk.middleware import csrf
from frontdesk.models import Business, StaffUser
from frontdesk.services import businesses, customers, staff
from frontdesk.tokens import InvalidToken

SESSION_COOKIE = "fd_staff"


def _signed_in(request: Request) -> StaffUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with request.app.state.db.unscoped("finding who holds a staff session") as session:
        try:
            return staff.from_session_token(session, request.app.state.settings.secret_key, token)
        except InvalidToken:
            return None


async def dashboard_sign_in_form(request: Request) -> Response:
    return htmx.render(
        request,
        page="pages/dashboard/sign_in.html",
        fragment="fragments/dashboard/sign_in_form.html",
        context={"error": "", "email": ""},
    )


async def dashboard_sign_in(request: Request) -> Response:
    await csrf.verify(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))

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
    settings = request.app.state.settings
    response = RedirectResponse(request.url_for("dashboard_home"), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        staff.session_token(settings.secret_key, user),
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
        path="/dashboard",
    )
    return response


async def dashboard_sign_out(request: Request) -> Response:
    await csrf.verify(request)
    response = RedirectResponse(request.url_for("dashboard_sign_in_form"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")
    return response


def _overview(request: Request, user: StaffUser) -> dict[str, object]:
    db = request.app.state.db
    with db.session(user.business_id) as session:
        business: Business = businesses.get(session, user.business_id)
        page = customers.list_page(session, business=business)
        balances = customers.balances(session, business=business, customers=page)
    return {"user": user, "business": business, "customers": page, "balances": balances}


async def dashboard_home(request: Request) -> Response:
    user = await run_in_threadpool(_signed_in, request)
    if user is None:
        return RedirectResponse(request.url_for("dashboard_sign_in_form"), status_code=303)
    context = await run_in_threadpool(_overview, request, user)
    return htmx.render(
        request,
        page="pages/dashboard/home.html",
        fragment="fragments/dashboard/customer_table.html",
        context=context,
    )


routes = [
    Route("/", dashboard_home, name="dashboard_home"),
    Route("/sign-in", dashboard_sign_in_form, name="dashboard_sign_in_form"),
    Route("/sign-in", dashboard_sign_in, methods=["POST"], name="dashboard_sign_in"),
    Route("/sign-out", dashboard_sign_out, methods=["POST"], name="dashboard_sign_out"),
]
