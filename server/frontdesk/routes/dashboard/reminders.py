"""Payment reminders, in settings: the owner turns each kind on or off and sets its days."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.routes.dashboard.frame import Staff, action, field_errors, typed
from frontdesk.routes.dashboard.settings import SETTINGS_PAGE, settings_context
from frontdesk.services import reminders
from frontdesk.services.errors import Invalid


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
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        changed = reminders.update_settings(who.session, who.business, _wanted(form), who.actor)
        notice = "Saved: reminders follow this schedule now." if changed else "Nothing changed."
        return settings_context(who, request, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return settings_context(who, request, errors=field_errors(invalid), form=typed(form))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


routes = [
    Route(
        "/settings/reminders",
        dashboard_settings_reminders,
        methods=["POST"],
        name="dashboard_settings_reminders",
    ),
]
