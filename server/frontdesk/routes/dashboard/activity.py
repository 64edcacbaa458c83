"""The audit trail, filtered by kind and actor."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, page
from frontdesk.services import (
    audit,
)


async def dashboard_activity(request: Request) -> Response:
    kind = request.query_params.get("action", "")[:80]
    actor = request.query_params.get("actor", "")
    actor = actor if actor in ("staff", "customer", "api", "system") else ""

    def build(who: Staff) -> dict[str, Any]:
        return {
            "events": audit.recent(who.session, action=kind, actor_type=actor, limit=200),
            "action": kind,
            "actor": actor,
        }

    return await page(
        request, "fragments/dashboard/activity.html", build, title="Activity", section="activity"
    )


routes = [
    Route("/activity", dashboard_activity, name="dashboard_activity"),
]
