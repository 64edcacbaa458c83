"""The integration API for the business's own servers, authenticated with a secret API key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk import tokens
from frontdesk.models import Business
from frontdesk.services import businesses, customers, portal
from frontdesk.services.errors import Forbidden, NotFound, Unauthenticated


def _business(request: Request) -> Business:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthenticated("Send your secret API key as `Authorization: Bearer sk_...`.")
    with request.app.state.db.unscoped("an API key names its business") as session:
        try:
            return businesses.by_api_key(session, key)
        except NotFound:
            raise Unauthenticated("This API key is not valid or has been revoked.") from None


async def api_portal_session_create(request: Request) -> Response:
    """A short-lived embed token for one customer, for the business's server to hand the snippet."""

    def create() -> dict[str, str]:
        settings = request.app.state.settings
        business = _business(request)
        with request.app.state.db.session(business.id) as session:
            customer = customers.get_by_reference(
                session, business=business, reference=request.path_params["customer"]
            )
            if not customer.portal_enabled:
                raise Forbidden("Portal access is turned off for this customer.")
        token = portal.customer_token(settings.secret_key, tokens.Purpose.EMBED, customer)
        lifetime = tokens.LIFETIME[tokens.Purpose.EMBED] or 0
        expires = datetime.now(UTC) + timedelta(seconds=lifetime)
        return {
            "object": "portal_session",
            "customer": customer.id,
            "token": token,
            "expires_at": expires.isoformat(timespec="seconds"),
        }

    return JSONResponse(await run_in_threadpool(create), status_code=201)


routes = [
    Route(
        "/customers/{customer}/portal-sessions",
        api_portal_session_create,
        methods=["POST"],
        name="api_portal_session_create",
    ),
]
