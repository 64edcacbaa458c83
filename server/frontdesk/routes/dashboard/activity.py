"""The audit trail, filtered by kind and actor."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, page
from frontdesk.services import audit, customers


async def dashboard_activity(request: Request) -> Response:
    kind = request.query_params.get("action", "")[:80]
    actor = request.query_params.get("actor", "")
    actor = actor if actor in ("staff", "customer", "api", "system") else ""
    about = request.query_params.get("customer", "")[:40]

    def build(who: Staff) -> dict[str, Any]:
        # Another business's customer is not found (404), so no one's events leak.
        customer = (
            customers.get(who.session, business=who.business, customer_id=about) if about else None
        )
        return {
            "events": audit.recent(
                who.session,
                about=customer.id if customer else None,
                action=kind,
                actor_type=actor,
                limit=200,
            ),
            "action": kind,
            "actor": actor,
            "customer": customer,
        }

    return await page(
        request, "fragments/dashboard/activity.html", build, title="Activity", section="activity"
    )


routes = [
    Route("/activity", dashboard_activity, name="dashboard_activity"),
]
