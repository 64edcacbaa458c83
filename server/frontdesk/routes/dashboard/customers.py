"""Customers: the list, a customer's page, their details, access, links, invitation and charging a
saved card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import money
from frontdesk.models import (
    Customer,
)
from frontdesk.routes.dashboard.frame import Staff, action, field_errors, page, page_number
from frontdesk.services import (
    audit,
    businesses,
    customers,
    estimates,
    inputs,
    invoices,
    notices,
    payments,
    portal,
)
from frontdesk.services.errors import Invalid

EDITABLE = (
    "name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "external_id",
)


CUSTOMER_PAGE = "fragments/dashboard/customer.html"


def _search(request: Request) -> Callable[[Staff], dict[str, Any]]:
    query, number = request.query_params.get("q", ""), page_number(request)

    def build(who: Staff) -> dict[str, Any]:
        rows, more = customers.search(who.session, business=who.business, query=query, page=number)
        return {
            "customers": rows,
            "balances": customers.balances(who.session, business=who.business, customers=rows),
            "last_paid": customers.last_payments(who.session, [row.id for row in rows]),
            "query": query,
            "page_number": number,
            "more": more,
        }

    return build


async def dashboard_customers(request: Request) -> Response:
    return await page(
        request,
        "fragments/dashboard/customers.html",
        _search(request),
        title="Customers",
        section="customers",
    )


async def dashboard_customer_table(request: Request) -> Response:
    """Typing in the search box swaps only the table."""
    return await page(
        request,
        "fragments/dashboard/customer_table.html",
        _search(request),
        title="Customers",
        section="customers",
    )


def customer_context(who: Staff, customer: Customer, **extra: Any) -> dict[str, Any]:
    session, business = who.session, who.business
    saved = payments.saved_methods(session, business=business, customer=customer)
    context: dict[str, Any] = {
        "customer": customer,
        "title": customer.name,
        "section": "customers",
        "balance": customers.balance(session, business=business, customer=customer),
        "invoices": invoices.for_customer(session, customer=customer),
        "estimates": estimates.for_customer(session, customer=customer),
        "estimate_status": lambda e: estimates.status(e, businesses.today(business)),
        "payments": payments.history(session, business=business, customer=customer, attempts=True),
        "methods": saved,
        "chargeable": [m for m in saved if m.consent_text],
        "events": audit.recent(session, about=customer.id, limit=30),
        "today": businesses.today(business),
        "link": "",
        "pay_link": "",
        "errors": {},
        "notice": "",
        "form": {},
    }
    context.update(extra)
    return context


def _customer(who: Staff, customer_id: str) -> Customer:
    return customers.get(who.session, business=who.business, customer_id=customer_id)


async def dashboard_customer(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        return customer_context(who, _customer(who, customer_id))

    return await page(request, CUSTOMER_PAGE, build, title="Customer", section="customers")


async def dashboard_customer_live(request: Request) -> Response:
    """The balance, invoices and payments of the customer page, polled so a payment made in the
    portal shows up without a reload."""
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        return customer_context(who, _customer(who, customer_id))

    return await page(
        request,
        "fragments/dashboard/customer_money.html",
        build,
        title="Customer",
        section="customers",
    )


async def dashboard_customer_portal(request: Request) -> Response:
    """The customer's portal as they see it, read-only: nothing can be paid or changed."""
    customer_id = request.path_params["customer"]

    def build(who: Staff) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        links = request.app.state.links
        token = portal.view_only(who.session, who.business, customer, links, who.actor)
        return {"customer": customer, "title": f"{customer.name}'s portal", "token": token}

    return await page(
        request,
        "fragments/dashboard/customer_portal.html",
        build,
        title="Portal",
        section="customers",
    )


def _form_fields(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in EDITABLE}
    values["country"] = values["country"].upper()
    values["external_id"] = values["external_id"] or None
    return values


async def dashboard_customer_new(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return {"errors": {}, "form": {}}

    return await page(
        request,
        "fragments/dashboard/customer_new.html",
        build,
        title="New customer",
        section="customers",
    )


async def dashboard_customer_create(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        values = _form_fields(form)
        customer = customers.create(
            who.session,
            business=who.business,
            name=values.pop("name"),
            email=values.pop("email"),
            external_id=values.pop("external_id"),
            actor=who.actor,
            **values,
        )
        return {"redirect": request.url_for("dashboard_customer", customer=customer.id)}

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return {"errors": field_errors(invalid), "form": _form_fields(form)}

    return await action(
        request, "fragments/dashboard/customer_new.html", act, rebuild, section="customers"
    )


async def dashboard_customer_update(request: Request) -> Response:
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        changed = customers.update(
            who.session,
            business=who.business,
            customer=customer,
            changes=_form_fields(form),
            actor=who.actor,
        )
        return customer_context(who, customer, notice="Saved." if changed else "Nothing changed.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        return customer_context(
            who, customer, errors=field_errors(invalid), form=_form_fields(form)
        )

    return await action(request, CUSTOMER_PAGE, act, rebuild, section="customers")


async def dashboard_customer_access(request: Request) -> Response:
    """Turn portal access on or off; off ends every session and link of the customer."""
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        enable = form.get("enabled") == "yes"
        customers.update(
            who.session,
            business=who.business,
            customer=customer,
            changes={"portal_enabled": enable},
            actor=who.actor,
        )
        notice = "Portal access is on." if enable else "Portal access is off; sessions ended."
        return customer_context(who, customer, notice=notice)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return customer_context(who, _customer(who, customer_id), errors=field_errors(invalid))

    return await action(request, CUSTOMER_PAGE, act, rebuild, section="customers")


LINK_NOTICES = {
    "show": "Here are the links.",
    "regenerate": "New links made: the old ones and every open session stopped working.",
    "revoke": "Every link and open session of theirs stopped working.",
}


def _change_links(request: Request, who: Staff, customer_id: str, change: str) -> dict[str, Any]:
    customer, links = _customer(who, customer_id), request.app.state.links
    if change in ("regenerate", "revoke"):
        renewed = change == "regenerate"
        customers.revoke_links(
            who.session, business=who.business, customer=customer, actor=who.actor, renewed=renewed
        )
    if change == "revoke":
        return customer_context(who, customer, notice=LINK_NOTICES[change])
    if not customer.portal_enabled:
        raise Invalid("Turn portal access on first.")
    return customer_context(
        who,
        customer,
        notice=LINK_NOTICES.get(change, LINK_NOTICES["show"]),
        link=links.payment(who.business, customer),
        pay_link=links.payment(who.business, customer, pay_only=True),
    )


async def dashboard_customer_link(request: Request) -> Response:
    """Show the customer's permanent links (whole account, pay only); `regenerate` makes new ones
    and `revoke` ends every copy without making new ones."""
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        change = str(form.get("change", "show"))
        return _change_links(
            request, who, customer_id, change if change in LINK_NOTICES else "show"
        )

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return customer_context(who, _customer(who, customer_id), errors=field_errors(invalid))

    return await action(request, CUSTOMER_PAGE, act, rebuild, section="customers")


async def dashboard_customer_invite(request: Request) -> Response:
    """Email the customer an invitation to their portal (again, if they lost the first)."""
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        if not notices.invitation(
            who.session,
            business=who.business,
            customer=customer,
            links=request.app.state.links,
            actor=who.actor,
        ):
            raise Invalid("Turn portal access on first.")
        return customer_context(who, customer, notice=f"Invitation emailed to {customer.email}.")

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return customer_context(who, _customer(who, customer_id), errors=field_errors(invalid))

    return await action(request, CUSTOMER_PAGE, act, rebuild, section="customers")


def _charged(who: Staff, customer: Customer, charged: payments.OffSessionCharge) -> dict[str, Any]:
    """What the business is told of its charge. A failure is kept, not rolled back: the failed
    attempt, the customer's email and a lost card forgotten are all part of what happened."""
    payment = charged.payment
    shown = money.format_amount(payment.amount, who.business.currency, who.business.locale)
    if charged.needs_customer:
        return {
            "notice": f"The bank wants {customer.name} to confirm the {shown} charge; "
            "we emailed them a link. It shows here once they do."
        }
    if payment.failure_message:
        return {"errors": {"": f"The charge of {shown} failed: {payment.failure_message}"}}
    return {"notice": f"Charged {shown}."}


async def dashboard_customer_charge(request: Request) -> Response:
    """Charge a card the customer saved with consent, for chosen invoices or an amount."""
    customer_id = request.path_params["customer"]

    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer = _customer(who, customer_id)
        charged = payments.charge_for_business(
            who.session,
            business=who.business,
            customer=customer,
            method_id=str(form.get("method", "")),
            numbers=[str(n) for n in form.getlist("invoice")] or None,
            amount=inputs.amount(str(form.get("amount", "")), who.business.currency),
            description=str(form.get("description", "")),
            actor=who.actor,
            processor=request.app.state.processor,
            links=request.app.state.links,
            method_field="method",
        )
        return customer_context(who, customer, **_charged(who, customer, charged))

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        return customer_context(who, _customer(who, customer_id), errors=field_errors(invalid))

    return await action(request, CUSTOMER_PAGE, act, rebuild, section="customers")


routes = [
    Route("/customers", dashboard_customers, name="dashboard_customers"),
    Route("/customers/table", dashboard_customer_table, name="dashboard_customer_table"),
    Route("/customers/new", dashboard_customer_new, name="dashboard_customer_new"),
    Route(
        "/customers", dashboard_customer_create, methods=["POST"], name="dashboard_customer_create"
    ),
    Route("/customers/{customer}", dashboard_customer, name="dashboard_customer"),
    Route("/customers/{customer}/live", dashboard_customer_live, name="dashboard_customer_live"),
    Route(
        "/customers/{customer}/portal", dashboard_customer_portal, name="dashboard_customer_portal"
    ),
    Route(
        "/customers/{customer}",
        dashboard_customer_update,
        methods=["POST"],
        name="dashboard_customer_update",
    ),
    Route(
        "/customers/{customer}/access",
        dashboard_customer_access,
        methods=["POST"],
        name="dashboard_customer_access",
    ),
    Route(
        "/customers/{customer}/link",
        dashboard_customer_link,
        methods=["POST"],
        name="dashboard_customer_link",
    ),
    Route(
        "/customers/{customer}/invite",
        dashboard_customer_invite,
        methods=["POST"],
        name="dashboard_customer_invite",
    ),
    Route(
        "/customers/{customer}/charges",
        dashboard_customer_charge,
        methods=["POST"],
        name="dashboard_customer_charge",
    ),
]
