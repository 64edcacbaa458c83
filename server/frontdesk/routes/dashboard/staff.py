"""Staff, on the settings page: inviting, withdrawing an invitation, changing a role, removing
someone. Owners only; the rules (the last owner stays) live in the staff service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import StaffRole
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, typed
from frontdesk.routes.dashboard.settings import SETTINGS_PAGE, settings_context
from frontdesk.services import staff
from frontdesk.services.errors import Invalid


def _role(form: FormData) -> StaffRole:
    return StaffRole.OWNER if form.get("role") == "owner" else StaffRole.MANAGER


async def _staff_action(request: Request, change: Callable[[Staff, FormData], str]) -> Response:
    """Run `change` (it returns what to say), then show the settings page again."""

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        return settings_context(who, request, notice=change(who, form))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        errors = field_errors(invalid) or {"staff": invalid.message}
        return settings_context(who, request, errors=errors, form=typed(form))

    return await action(request, SETTINGS_PAGE, act, rebuild, section="settings", owners_only=True)


async def dashboard_staff_invite(request: Request) -> Response:
    settings = request.app.state.settings

    def invite(who: Staff, form: FormData) -> str:
        staff.invite(
            who.session,
            business=who.business,
            secret_keys=settings.secret_key,
            base_url=settings.base_url,
            email=str(form.get("email", "")),
            role=_role(form),
            invited_by=who.user,
            actor=who.actor,
        )
        return "Invitation sent."

    return await _staff_action(request, invite)


async def dashboard_staff_role(request: Request) -> Response:
    member_id = request.path_params["member"]

    def change(who: Staff, form: FormData) -> str:
        member = staff.change_role(
            who.session,
            business=who.business,
            member_id=member_id,
            role=_role(form),
            actor=who.actor,
        )
        return f"{member.email} is now {'an owner' if member.role == 'owner' else 'a manager'}."

    return await _staff_action(request, change)


async def dashboard_staff_remove(request: Request) -> Response:
    member_id = request.path_params["member"]

    def remove(who: Staff, form: FormData) -> str:
        member = staff.remove(
            who.session, business=who.business, member_id=member_id, actor=who.actor
        )
        return f"{member.email} no longer has access."

    return await _staff_action(request, remove)


async def dashboard_staff_withdraw(request: Request) -> Response:
    invitation_id = request.path_params["invitation"]

    def withdraw(who: Staff, form: FormData) -> str:
        row = staff.withdraw_invitation(
            who.session, business=who.business, invitation_id=invitation_id, actor=who.actor
        )
        return f"The invitation to {row.email} is withdrawn: its link no longer works."

    return await _staff_action(request, withdraw)


routes = [
    Route("/staff", dashboard_staff_invite, methods=["POST"], name="dashboard_staff_invite"),
    Route(
        "/staff/{member}/role", dashboard_staff_role, methods=["POST"], name="dashboard_staff_role"
    ),
    Route(
        "/staff/{member}/remove",
        dashboard_staff_remove,
        methods=["POST"],
        name="dashboard_staff_remove",
    ),
    Route(
        "/staff/invitations/{invitation}/withdraw",
        dashboard_staff_withdraw,
        methods=["POST"],
        name="dashboard_staff_withdraw",
    ),
]
