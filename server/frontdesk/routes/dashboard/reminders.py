"""Payment reminders, in settings: the owner turns each kind on or off and sets its days."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff
from frontdesk.routes.dashboard.settings import saved, settings_change
from frontdesk.services import reminders


def _wanted(form: FormData) -> reminders.ReminderSettings:
    return reminders.ReminderSettings(
        before=form.get("reminders_before") == "yes",
        before_days=str(form.get("reminders_before_days", "")),
        on_due=form.get("reminders_on_due") == "yes",
        after=form.get("reminders_after") == "yes",
        after_days=str(form.get("reminders_after_days", "")),
        by_text=form.get("reminders_by_text") == "yes",
    )


async def dashboard_settings_reminders(request: Request) -> Response:
    def change(who: Staff, form: FormData) -> dict[str, Any]:
        changed = reminders.update_settings(who.session, who.business, _wanted(form), who.actor)
        return saved(changed, "Saved: reminders follow this schedule now.")

    return await settings_change(request, change)


routes = [
    Route(
        "/settings/reminders",
        dashboard_settings_reminders,
        methods=["POST"],
        name="dashboard_settings_reminders",
    ),
]
