"""The theme gallery: every portal view in each state a designer must see, with the theme being
edited, at phone and desktop width. Each state is the portal's own templates rendered with the
sample records of services/gallery.py, so the gallery cannot drift from the live portal, and
shows none of the business's customers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.models import Business, PaymentStatus
from frontdesk.routes.dashboard import (
    gallery_appointments,
    gallery_conversation,
    gallery_documents,
    gallery_payments,
    gallery_statements,
    gallery_subscriptions,
)
from frontdesk.routes.dashboard.frame import Staff, page, preview_page
from frontdesk.routes.portal import (
    documents,
    frame,
    messages,
    profile,
    refusals,
    service_requests,
    subscriptions,
    todos,
)
from frontdesk.routes.portal.invoices import FILTERS
from frontdesk.services import businesses, customers, estimates, gallery, payments, portal, themes
from frontdesk.services import profile as profiles
from frontdesk.services.errors import NotFound
from frontdesk.services.gallery import Samples
from frontdesk.services.invoices import InvoiceView

GALLERY = "fragments/dashboard/gallery.html"
SHELL = "fragments/portal/shell.html"

Build = Callable[[Business, Samples], dict[str, Any]]


@dataclass(frozen=True)
class State:
    """One thing the portal can show: its view (inside the shell, or alone where the portal shows
    it alone) and the context its route would render it with."""

    slug: str
    title: str
    template: str
    build: Build
    alone: bool = False
    long_name: bool = False
    # A business whose Stripe account cannot take charges yet: the portal says how to pay instead.
    paying: bool = True


def _home(balance: Callable[[Samples], customers.Balance], estimate: bool = False) -> Build:
    def build(business: Business, s: Samples) -> dict[str, Any]:
        awaiting = portal.EstimateCard.of(s.estimates[0]) if estimate else None
        # The home with an estimate to decide also has a document to sign.
        to_sign = 1 if estimate else 0
        home = portal.Home(balance(s), awaiting, s.charges, to_sign=to_sign)
        return {"home": home, "current": "home"}

    return build


def _invoices(shown: list[InvoiceView]) -> dict[str, Any]:
    return {
        "invoices": shown,
        "status": "",
        "filters": FILTERS,
        "page": 1,
        "more": False,
        "current": "invoices",
    }


def _choice(business: Business, s: Samples) -> dict[str, Any]:
    """The pay step on the whole balance, a tip ticked and a saved card, as routes/portal/pay.py
    renders it."""
    selection = s.selection()
    return {
        "payable": s.open,
        "ticked": [view.invoice.number for view in s.open],
        "errors": {},
        "default_method": s.methods[0],
        "save_consent": payments.consent_for(business),
        "selection": selection,
        "tip_bp": s.tip_bp,
        "tip": s.tip,
        "total": selection.amount + s.tip,
        "tips": business.tip_basis_points,
        "numbers": [],
        "amount_text": "",
        "problem": "",
        "partial_allowed": business.allow_partial_payments,
        "current": "pay",
    }


def _card_step(business: Business, s: Samples, status: PaymentStatus) -> dict[str, Any]:
    # No Stripe.js runs in the gallery: the card fields' slot shows what it shows until they load.
    payment = s.payment(status, gallery.DECLINE if status == PaymentStatus.FAILED else "")
    step = {"payment": payment, "client_secret": "", "publishable_key": "", "stripe_js": ""}
    return {**_choice(business, s), **step, "popup": ""}


def _estimate(business: Business, s: Samples) -> dict[str, Any]:
    return {
        "estimate": s.estimates[0],
        "lines": s.invoice_lines,
        "status": estimates.status(s.estimates[0], s.today),
        "terms": estimates.terms(business),
        "errors": {},
        "message": "",
        "form": {},
        "current": "estimates",
    }


def _profile_errors(business: Business, s: Samples) -> dict[str, Any]:
    values = {name: getattr(s.customer, name) for name in profiles.PROFILE_FIELDS}
    return {
        "values": {**values, "email": "jordan.rivera@", "postal_code": "", "sms_consent": True},
        "errors": {
            "email": "Enter an email address like name@example.com.",
            "postal_code": "Enter your postal code.",
        },
        "saved": False,
        "unchanged": False,
        "consent_text": profiles.sms_consent_text(business),
        "current": "profile",
        **profile.language_context(),
    }


def _notice(business: Business, s: Samples) -> dict[str, Any]:
    refused = refusals.no_access(business)
    return {"title": refused.title, "message": refused.message}


STATES = [
    State("owing", "Owing", "fragments/portal/home.html", _home(Samples.owing, estimate=True)),
    State("in-credit", "In credit", "fragments/portal/home.html", _home(Samples.in_credit)),
    State("all-set", "All set", "fragments/portal/home.html", _home(Samples.settled)),
    State(
        "not-paying-online",
        "Owing, online payment not set up yet",
        "fragments/portal/home.html",
        _home(Samples.owing),
        paying=False,
    ),
    State(
        "long-name",
        "A long name",
        "fragments/portal/home.html",
        _home(Samples.owing),
        long_name=True,
    ),
    State(
        "invoices",
        "Invoices, every status",
        "fragments/invoices/list.html",
        lambda b, s: _invoices(s.every_invoice),
    ),
    State("empty", "An empty list", "fragments/invoices/list.html", lambda b, s: _invoices([])),
    State(
        "overdue",
        "An overdue invoice",
        "fragments/invoices/detail.html",
        lambda b, s: {
            "view": s.overdue,
            "lines": s.invoice_lines,
            "applied": s.applied,
            "current": "invoices",
        },
    ),
    State(
        "estimates",
        "Estimates",
        "fragments/estimates/list.html",
        lambda b, s: {
            "estimates": s.estimates,
            "status_of": estimates.status,
            "current": "estimates",
        },
    ),
    State("estimate", "An estimate to decide", "fragments/estimates/detail.html", _estimate),
    State("pay-tip", "The pay step, with a tip", "fragments/pay/choose.html", _choice),
    State(
        "card",
        "The card step",
        "fragments/pay/card.html",
        lambda b, s: _card_step(b, s, PaymentStatus.PENDING),
    ),
    State("confirm", "Paying with a saved card", "fragments/pay/confirm.html", _choice),
    State(
        "declined",
        "A declined card",
        "fragments/pay/charged.html",
        lambda b, s: _card_step(b, s, PaymentStatus.FAILED),
    ),
    State(
        "paid",
        "Payment received",
        "fragments/pay/result.html",
        lambda b, s: {"payment": s.payment(PaymentStatus.SUCCEEDED), "popup": "", "current": "pay"},
    ),
    State(
        "payments", "Payments and saved cards", gallery_payments.HISTORY, gallery_payments.history
    ),
    State(
        "autopay",
        "Turning on automatic payments",
        gallery_payments.HISTORY,
        gallery_payments.form,
    ),
    State("statements", "Monthly statements", gallery_statements.LIST, gallery_statements.months),
    State(
        "add-card",
        "Adding a card",
        "fragments/payments/add_card.html",
        lambda b, s: {
            "consent": payments.consent_for(b),
            "attempt": "sample",
            "errors": {},
            "setup_id": "",
            "current": "payments",
        },
    ),
    State("validation", "A validation error", "fragments/profile/form.html", _profile_errors),
    State(
        "requests",
        "Service requests, each status",
        service_requests.LIST,
        gallery_conversation.requests,
    ),
    State(
        "no-requests",
        "No service requests yet",
        service_requests.LIST,
        gallery_conversation.no_requests,
    ),
    State(
        "request-form",
        "Asking for service",
        service_requests.FORM,
        gallery_conversation.request_form,
    ),
    State(
        "request-problems",
        "A service request with errors, as typed",
        service_requests.FORM,
        gallery_conversation.request_problems,
    ),
    State(
        "request",
        "A service request with the business's replies",
        service_requests.DETAIL,
        gallery_conversation.request_replied,
    ),
    State(
        "request-declined",
        "A declined request",
        service_requests.DETAIL,
        gallery_conversation.request_declined,
    ),
    State(
        "todos", "To-dos: yours, the office's and done", todos.LIST, gallery_conversation.todo_board
    ),
    State("no-todos", "No to-dos", todos.LIST, gallery_conversation.no_todos),
    State("messages", "Messages from both sides", messages.VIEW, gallery_conversation.thread),
    State(
        "no-messages",
        "No messages yet, with the composer",
        messages.VIEW,
        gallery_conversation.no_thread,
    ),
    State(
        "documents", "Documents: to sign, signed, kept", documents.LIST, gallery_documents.archive
    ),
    State("no-documents", "No documents yet", documents.LIST, gallery_documents.no_documents),
    State(
        "document-to-sign",
        "A document to sign, the first time, with what is missing",
        documents.DETAIL,
        gallery_documents.to_sign,
    ),
    State("document-signed", "A signed document", documents.DETAIL, gallery_documents.signed),
    State(
        "plans",
        "Plans: running, paused, ending and cancelled",
        subscriptions.LIST,
        gallery_subscriptions.plans,
    ),
    State("no-plans", "No plans yet", subscriptions.LIST, gallery_subscriptions.no_plans),
    State(
        "plan-pause",
        "A pause to confirm, with what it skips",
        subscriptions.DETAIL,
        gallery_subscriptions.pause_to_confirm,
    ),
    State(
        "plan-cancelled", "A cancelled plan", subscriptions.DETAIL, gallery_subscriptions.cancelled
    ),
    State(
        "sign-in",
        "Signing in",
        "fragments/portal/sign_in.html",
        lambda b, s: frame.sign_in_context(sent_to=s.customer.email),
        alone=True,
    ),
    *(State(*row) for row in gallery_appointments.STATES),
    State("notice", "A refusal", "fragments/portal/notice.html", _notice, alone=True),
]
BY_SLUG = {state.slug: state for state in STATES}


def render(request: Request, business: Business, slug: str) -> str:
    """The portal's markup for one state, as its route renders it, for a sample customer of
    `business` (whose theme it wears)."""
    state = BY_SLUG.get(slug)
    if state is None:
        raise NotFound("no such state")
    shown = gallery.sample_business(business)
    shown.charges_enabled = state.paying
    samples = gallery.samples(shown, businesses.today(shown))
    customer = samples.long_named if state.long_name else samples.customer
    context = state.build(shown, samples)
    if not state.alone:
        context = {"view_template": state.template, **context}
    template = state.template if state.alone else SHELL
    rendered = frame.fragment(request, shown, customer, template, context)
    return bytes(rendered.body).decode()


WIDTHS = {"375": "Phone, 375 px", "1280": "Desktop, 1280 px (drawn at 3/4 size)"}
# Parameters that choose what to show; every other one is part of the theme being edited.
VIEW_PARAMS = ("state", "width", "customer")


def theme_params(params: QueryParams) -> list[tuple[str, str]]:
    """The theme being edited, as an address's parameters carry it."""
    return [(k, v) for k, v in params.multi_items() if k not in VIEW_PARAMS]


def gallery_context(params: QueryParams, gallery_url: str, frame_url: str) -> dict[str, Any]:
    """Every state's frame at the width asked for; the theme being edited (the address's other
    parameters) travels on to each frame."""
    width = params.get("width") if params.get("width") in WIDTHS else "375"
    theme = theme_params(params)
    return {
        "states": [(s, f"{frame_url}?{urlencode([*theme, ('state', s.slug)])}") for s in STATES],
        "width": width,
        "widths": {w: f"{gallery_url}?{urlencode([*theme, ('width', w)])}" for w in WIDTHS},
        "width_names": WIDTHS,
    }


async def dashboard_theme_gallery(request: Request) -> Response:
    """Every state with the theme being edited (the editor's fields, in the address), on samples."""
    params, host = request.query_params, request.url.hostname or ""

    def build(who: Staff) -> dict[str, Any]:
        themes.draft(who.business, params, portal_host=host)  # a draft that cannot publish says so
        gallery_url = str(request.url_for("dashboard_theme_gallery"))
        frame_url = str(request.url_for("dashboard_theme_gallery_frame"))
        return {**gallery_context(params, gallery_url, frame_url), "local": False, "problem": ""}

    return await page(request, GALLERY, build, title="Theme gallery", section="settings")


async def dashboard_theme_gallery_frame(request: Request) -> Response:
    params, host = request.query_params, request.url.hostname or ""

    def build(who: Staff) -> dict[str, Any]:
        shown = themes.draft(who.business, params, portal_host=host)
        css_url = f"{request.url_for('dashboard_theme_css')}?{urlencode(theme_params(params))}"
        return {"shell": render(request, shown, params.get("state", "")), "css_url": css_url}

    return await preview_page(request, build)


routes = [
    Route("/theme/gallery", dashboard_theme_gallery, name="dashboard_theme_gallery"),
    Route(
        "/theme/gallery/frame", dashboard_theme_gallery_frame, name="dashboard_theme_gallery_frame"
    ),
]
