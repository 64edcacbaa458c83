"""The customer's own details in the portal: phone, billing address, SMS reminders."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, Customer
from frontdesk.routes.portal import frame
from frontdesk.services import host_events, language, profile
from frontdesk.services.errors import Invalid


def form_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    values = {field: getattr(customer, field) for field in profile.PROFILE_FIELDS}
    return {
        "values": {**values, "sms_consent": customer.sms_consent},
        "errors": {},
        "saved": False,
        "unchanged": False,
        "consent_text": profile.sms_consent_text(business),
        "current": "profile",
        **language_context(),
    }


def language_context() -> dict[str, Any]:
    """The profile's language card, before anything is chosen (routes/portal/language.py)."""
    return {"language_choices": language.choices(), "language_saved": False, "language_errors": {}}


def _submitted(form: FormData) -> profile.ProfileInput:
    text = {field: str(form.get(field, "")) for field in profile.PROFILE_FIELDS}
    return profile.ProfileInput(**text, sms_consent=form.get("sms_consent") == "yes")


async def portal_profile(request: Request) -> Response:
    return await frame.view(request, "fragments/profile/form.html", form_context, section="profile")


async def portal_profile_update(request: Request) -> Response:
    ip = frame.client_ip(request)

    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        changes = profile.update_profile(
            session, business=business, customer=customer, profile=_submitted(form), ip=ip
        )
        if changes:
            frame.tell(request, host_events.customer_updated(session, business, customer))
        return {
            **form_context(session, business, customer),
            "saved": bool(changes),
            "unchanged": not changes,
        }

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        submitted = _submitted(form)
        return {
            **form_context(session, business, customer),
            "values": submitted.__dict__,
            "errors": invalid.fields,
        }

    return await frame.action(
        request, "fragments/profile/form.html", act, rebuild, section="profile"
    )


routes = [
    Route("/profile", portal_profile, name="portal_profile"),
    Route(
        "/profile",
        portal_profile_update,
        methods=["POST"],
        name="portal_profile_update",
    ),
]
