"""Online payments in settings: the business's own Stripe account, set up through Stripe's
onboarding or linked from one it has, and what Stripe says of it. Stripe sends the owner back
to the GET routes below with the state token we gave it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page
from frontdesk.routes.dashboard.settings import SETTINGS_PAGE, settings_context
from frontdesk.services import connect
from frontdesk.services.errors import Invalid


def _back(request: Request) -> str:
    """Our address Stripe sends the owner back to (the routes below add their last part)."""
    return f"{request.app.state.settings.base_url}/dashboard/connect"


def _answer(who: Staff, request: Request, status: connect.Status) -> dict[str, Any]:
    # Good news on top; anything still to do is said in the card, with its button.
    return settings_context(who, request, notice=status.summary if status.charges_enabled else "")


async def dashboard_connect(request: Request) -> Response:
    """Set up a new account (Express or Standard) through Stripe's onboarding."""
    processor, keys = request.app.state.processor, request.app.state.settings.secret_key

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        url = connect.start(
            who.session,
            business=who.business,
            kind=str(form.get("kind", "")),
            processor=processor,
            secret_keys=keys,
            back=_back(request),
            actor=who.actor,
        )
        return {"leave": url}

    return await _post(request, act)


async def dashboard_connect_existing(request: Request) -> Response:
    """Link an account the business already has: the owner signs in to Stripe and lets us in."""
    processor, keys = request.app.state.processor, request.app.state.settings.secret_key

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        back = _back(request)
        return {
            "leave": connect.authorize_url(
                who.business, processor=processor, secret_keys=keys, back=back
            )
        }

    return await _post(request, act)


async def dashboard_connect_check(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        found = connect.check(
            who.session, business=who.business, processor=request.app.state.processor
        )
        return _answer(who, request, found)

    return await _post(request, act)


async def dashboard_connect_disconnect(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        connect.disconnect(
            who.session,
            business=who.business,
            processor=request.app.state.processor,
            actor=who.actor,
        )
        return settings_context(
            who,
            request,
            notice="Disconnected: customers cannot pay online until you connect again.",
        )

    return await _post(request, act)


async def _post(request: Request, act: Callable[[Staff, FormData], dict[str, Any]]) -> Response:
    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        errors = {"connect": invalid.message, **field_errors(invalid)}
        return settings_context(who, request, errors=errors)

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


def _arrival(
    request: Request, work: Callable[[Staff, str], connect.Status | str]
) -> Callable[[Staff], dict[str, Any]]:
    """Stripe sent the owner back here: do `work` with the state token; a refusal (a forged or
    stale link, another business's) changes nothing and says why on the settings page."""

    def build(who: Staff) -> dict[str, Any]:
        token = request.query_params.get("state", "")
        try:
            if not who.is_owner:
                raise Invalid("Only the business's owners can connect a Stripe account.")
            # Every refusal comes before anything changes.
            done = work(who, token)
        except Invalid as refused:
            return settings_context(who, request, errors={"connect": refused.message})
        if isinstance(done, str):
            return {"leave": done}
        return _answer(who, request, done)

    return build


async def dashboard_connect_return(request: Request) -> Response:
    """Back from Stripe's onboarding, finished or not: what Stripe says of the account now."""
    processor, keys = request.app.state.processor, request.app.state.settings.secret_key

    def work(who: Staff, token: str) -> connect.Status | str:
        return connect.returned(
            who.session, business=who.business, token=token, processor=processor, secret_keys=keys
        )

    return await page(
        request, SETTINGS_PAGE, _arrival(request, work), title="Settings", section="settings"
    )


async def dashboard_connect_again(request: Request) -> Response:
    """Stripe's onboarding link ran out (or was used): a fresh one, straight back to Stripe."""
    processor, keys = request.app.state.processor, request.app.state.settings.secret_key

    def work(who: Staff, token: str) -> connect.Status | str:
        return connect.again(
            who.session,
            business=who.business,
            token=token,
            processor=processor,
            secret_keys=keys,
            back=_back(request),
            actor=who.actor,
        )

    return await page(
        request, SETTINGS_PAGE, _arrival(request, work), title="Settings", section="settings"
    )


async def dashboard_connect_linked(request: Request) -> Response:
    """Back from signing in to Stripe to link an existing account (or from saying no there)."""
    processor, keys = request.app.state.processor, request.app.state.settings.secret_key
    code = request.query_params.get("code", "")

    def work(who: Staff, token: str) -> connect.Status | str:
        return connect.linked(
            who.session,
            business=who.business,
            code=code,
            token=token,
            processor=processor,
            secret_keys=keys,
            actor=who.actor,
        )

    return await page(
        request, SETTINGS_PAGE, _arrival(request, work), title="Settings", section="settings"
    )


routes = [
    Route("/connect", dashboard_connect, methods=["POST"], name="dashboard_connect"),
    Route(
        "/connect/existing",
        dashboard_connect_existing,
        methods=["POST"],
        name="dashboard_connect_existing",
    ),
    Route(
        "/connect/check", dashboard_connect_check, methods=["POST"], name="dashboard_connect_check"
    ),
    Route(
        "/connect/disconnect",
        dashboard_connect_disconnect,
        methods=["POST"],
        name="dashboard_connect_disconnect",
    ),
    Route("/connect/return", dashboard_connect_return, name="dashboard_connect_return"),
    Route("/connect/again", dashboard_connect_again, name="dashboard_connect_again"),
    Route("/connect/linked", dashboard_connect_linked, name="dashboard_connect_linked"),
]
