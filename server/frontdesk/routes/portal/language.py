"""The customer's language, chosen in their profile: the whole portal is drawn again in it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.routes.portal import frame, profile, viewer
from frontdesk.services import language, portal
from frontdesk.services.errors import Invalid

SHELL = "fragments/portal/shell.html"


def _shell(
    request: Request, session: Session, business: Business, customer: Customer
) -> dict[str, Any]:
    viewer.speak(request, business, customer)  # the new choice, from here on
    return {
        "view_template": "fragments/profile/form.html",
        **portal.nav(session, business=business, customer=customer),
        **profile.form_context(session, business, customer),
    }


async def portal_language(request: Request) -> Response:
    ip = frame.client_ip(request)

    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        wanted = str(form.get("language", ""))
        saved = language.choose(
            session, business=business, customer=customer, language=wanted, ip=ip
        )
        return {**_shell(request, session, business, customer), "language_saved": saved}

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        return {**_shell(request, session, business, customer), "language_errors": invalid.fields}

    return await frame.action(request, SHELL, act, rebuild, section="profile")


routes = [Route("/profile/language", portal_language, methods=["POST"], name="portal_language")]
