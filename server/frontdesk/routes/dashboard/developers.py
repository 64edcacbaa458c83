"""Developers: API keys, webhook endpoints and their deliveries, the email outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import (
    OutboxItem,
)
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, typed
from frontdesk.services import (
    businesses,
    webhooks,
)
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.settings import Settings

DEVELOPERS_PAGE = "fragments/dashboard/developers.html"


def developers_context(who: Staff, **extra: Any) -> dict[str, Any]:
    session = who.session
    endpoints = webhooks.endpoints(session)
    context: dict[str, Any] = {
        "title": "Developers",
        "section": "developers",
        "keys": businesses.api_keys(session),
        "endpoints": endpoints,
        "deliveries": {
            e.id: webhooks.deliveries(session, endpoint_id=e.id, limit=10) for e in endpoints
        },
        "event_types": webhooks.EVENT_TYPES,
        "emails": session.exec(
            select(OutboxItem)
            .where(col(OutboxItem.kind).in_(["email", "receipt"]))
            .order_by(col(OutboxItem.created_at).desc())
            .limit(20)
        ).all(),
        "new_key": "",
        "new_secret": "",
        "notice": "",
        "errors": {},
        "form": {},
    }
    context.update(extra)
    return context


async def dashboard_developers(request: Request) -> Response:
    return await page(
        request, DEVELOPERS_PAGE, developers_context, title="Developers", section="developers"
    )


def _create_key(who: Staff, form: FormData, settings: Settings) -> dict[str, Any]:
    name = str(form.get("name", ""))
    _, key = businesses.create_api_key(
        who.session, business=who.business, name=name, actor=who.actor
    )
    return developers_context(who, new_key=key, notice="Copy the key now: it is shown once.")


def _revoke_key(who: Staff, form: FormData, settings: Settings) -> dict[str, Any]:
    row = businesses.revoke_api_key(who.session, str(form.get("id", "")), who.actor)
    return developers_context(who, notice=f"Key {row.prefix}… is revoked.")


def _add_endpoint(who: Staff, form: FormData, settings: Settings) -> dict[str, Any]:
    _, secret = webhooks.create_endpoint(
        who.session,
        business=who.business,
        secret_keys=settings.secret_key,
        url=str(form.get("url", "")).strip(),
        events=[str(e) for e in form.getlist("events")],
        description=str(form.get("description", ""))[:200],
        allow_private=settings.webhooks_may_reach_private_hosts,
        actor=who.actor,
    )
    notice = "Copy the signing secret now: it is shown once."
    return developers_context(who, new_secret=secret, notice=notice)


def _delete_endpoint(who: Staff, form: FormData, settings: Settings) -> dict[str, Any]:
    webhooks.delete_endpoint(who.session, str(form.get("id", "")), who.actor)
    return developers_context(who, notice="Endpoint removed.")


def _redeliver(who: Staff, form: FormData, settings: Settings) -> dict[str, Any]:
    target = str(form.get("id", ""))
    webhooks.redeliver(who.session, business=who.business, delivery_id=target, actor=who.actor)
    return developers_context(who, notice="Queued to be sent again.")


CHANGES: dict[str, Callable[[Staff, FormData, Settings], dict[str, Any]]] = {
    "key": _create_key,
    "revoke": _revoke_key,
    "endpoint": _add_endpoint,
    "delete-endpoint": _delete_endpoint,
    "redeliver": _redeliver,
}


async def dashboard_developers_change(request: Request) -> Response:
    """Owners: create or revoke API keys, add or remove webhook endpoints, redeliver."""
    change = CHANGES.get(request.path_params["change"])
    settings = request.app.state.settings

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        if change is None:  # after the CSRF check, like every other refusal
            raise NotFound("no such change")
        return change(who, form, settings)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return developers_context(who, errors=field_errors(invalid), form=typed(form))

    return await action(
        request, DEVELOPERS_PAGE, act, rebuild, section="developers", owners_only=True
    )


routes = [
    Route("/developers", dashboard_developers, name="dashboard_developers"),
    Route(
        "/developers/{change}",
        dashboard_developers_change,
        methods=["POST"],
        name="dashboard_developers_change",
    ),
]
