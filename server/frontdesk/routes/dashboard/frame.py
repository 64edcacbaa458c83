"""What every dashboard handler shares: who is signed in, a page or an action for them, and
rendering page or fragment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from frontdesk import htmx
from frontdesk.middleware import csrf
from frontdesk.middleware.security_headers import DEFAULT_CSP
from frontdesk.models import (
    Business,
    Initiator,
    StaffRole,
    StaffUser,
)
from frontdesk.rendering import templates
from frontdesk.services import (
    audit,
    businesses,
    pdf_layout,
    staff,
)
from frontdesk.services.errors import Forbidden, Invalid
from frontdesk.services.payments import ledger
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

    @property
    def actor(self) -> audit.Actor:
        """This staff member, as the services write them into the audit trail."""
        return audit.Actor(Initiator.STAFF, self.user.id, self.ip)


Build = Callable[[Staff], dict[str, Any]]


Act = Callable[[Staff, FormData], dict[str, Any]]


Rebuild = Callable[[Staff, FormData, Invalid], dict[str, Any]]


class SignedOut(Exception):
    """No valid staff session: full pages redirect to sign-in, htmx requests are told to."""


def signed_in(request: Request, *, owners_only: bool = False) -> StaffUser:
    """Who holds this staff session (SignedOut if nobody); Forbidden for a manager where only
    owners may act."""
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
    if owners_only and user.role != StaffRole.OWNER:
        raise Forbidden("Only the business's owners can change this.")
    return user


def _to_sign_in(request: Request) -> Response:
    return htmx.redirect(request, str(request.url_for("dashboard_sign_in_form")))


def go(request: Request, url: str) -> Response:
    """After a form that made something: to its page."""
    return htmx.location(request, url)


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
        if "leave" in context:
            return htmx.redirect(request, str(context["leave"]))
        context.setdefault("title", title)
        context.setdefault("section", section)
        return _render(request, fragment, who, context)

    return await run_in_threadpool(run)


def _as(
    request: Request, user: StaffUser, work: Callable[[Staff], dict[str, Any]]
) -> tuple[Staff, dict[str, Any]]:
    """`work` done for this staff member in one transaction of their business."""
    with request.app.state.db.session(user.business_id) as session:
        business = businesses.get(session, user.business_id)
        who = Staff(user, business, session, _client_ip(request))
        return who, work(who)


@dataclass(frozen=True)
class Form:
    """A dashboard form post: the fragment it answers with, and what it does."""

    fragment: str
    act: Act
    rebuild: Rebuild
    section: str
    owners_only: bool


def _acted(request: Request, form: FormData, post: Form) -> Response:
    try:
        user = signed_in(request, owners_only=post.owners_only)
    except SignedOut:
        return _to_sign_in(request)
    try:
        who, context = _as(request, user, lambda who: post.act(who, form))
        status = 200
    except Invalid as refused:
        # Rolled back; the form comes back, in a transaction of its own, with what was typed.
        problem = refused
        who, context = _as(request, user, lambda who: post.rebuild(who, form, problem))
        status = 422
    if "redirect" in context:
        return go(request, str(context["redirect"]))
    if "leave" in context:  # for another site (the processor's pages)
        return htmx.redirect(request, str(context["leave"]))
    context.setdefault("section", post.section)
    context.setdefault("title", post.section.capitalize())
    return _render(request, post.fragment, who, context, status)


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
    post = Form(fragment, act, rebuild, section, owners_only)
    try:
        return await run_in_threadpool(_acted, request, form, post)
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


async def pdf(request: Request, build: Callable[[Staff], tuple[bytes, str]]) -> Response:
    """A PDF and its name, shown in the browser: the document as the customer gets it."""

    def work(who: Staff) -> Response:
        document, name = build(who)
        headers = {"Content-Disposition": pdf_layout.disposition(name, inline=True)}
        return Response(document, media_type="application/pdf", headers=headers)

    return await run_in_threadpool(_staff_run, request, work)


def field_errors(invalid: Invalid) -> dict[str, str]:
    return invalid.fields or {"": invalid.message}


def typed(form: FormData) -> dict[str, str]:
    """A refused form's values as typed, for the page that shows it again with its errors."""
    return {name: str(value) for name, value in form.multi_items() if name != "csrf_token"}


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
