"""Your portal's address, in settings: the owner adds their own host for the hosted portal, sees
the two DNS records to create and where things stand, checks now, or removes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, action, field_errors, typed
from frontdesk.routes.dashboard.settings import SETTINGS_PAGE, settings_context
from frontdesk.services import domains
from frontdesk.services.errors import Invalid


async def dashboard_domains(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        domains.add(
            who.session,
            business=who.business,
            hostname=str(form.get("hostname", "")),
            platform=request.app.state.settings.platform_host,
            actor=who.actor,
        )
        return settings_context(who, request, notice="Added: create the two records below.")

    return await _post(request, act)


async def dashboard_domains_check(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        found = domains.check(
            who.session,
            business=who.business,
            resolver=request.app.state.resolver,
            target=request.app.state.settings.domain_target,
            now=request.app.state.clock(),
            actor=who.actor,
        )
        if found.last_error:  # said in the card, beside the records to fix
            return settings_context(who, request, errors={"domain": found.last_error})
        return settings_context(who, request, notice=f"{found.hostname} shows your portal.")

    return await _post(request, act)


async def dashboard_domains_remove(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        domains.remove(who.session, business=who.business, actor=who.actor)
        return settings_context(who, request, notice="Removed: the address shows nothing now.")

    return await _post(request, act)


async def _post(request: Request, act: Callable[[Staff, FormData], dict[str, Any]]) -> Response:
    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid), form=typed(form))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


routes = [
    Route("/domains", dashboard_domains, methods=["POST"], name="dashboard_domains"),
    Route(
        "/domains/check", dashboard_domains_check, methods=["POST"], name="dashboard_domains_check"
    ),
    Route(
        "/domains/remove",
        dashboard_domains_remove,
        methods=["POST"],
        name="dashboard_domains_remove",
    ),
]
