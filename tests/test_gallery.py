"""The theme gallery and the editor's preview over real HTTP: every state rendered by the portal's
own templates on sample records, in the theme being edited, for the signed-in business only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest
from jinja2 import meta

from frontdesk.db import Database
from frontdesk.rendering import TEMPLATES_DIR, templates
from frontdesk.routes.dashboard.gallery import BY_SLUG, SHELL, STATES
from frontdesk.services import businesses
from frontdesk.services.businesses import NewBusiness
from frontdesk.services.gallery import LONG_NAME
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer, make_invoice
from tests.security.state import state_of
from tests.test_dashboard import Desk

# What shows that each state is the one asked for: its view's root and its own words.
DISTINCT = {
    "owing": [
        'id="fd-home"',
        "Balance due",
        'class="fd-button"',
        "Estimate awaiting",
        "1 document to sign",
    ],
    "in-credit": ["Account credit:", "No open invoices."],
    "all-set": ["You're all set", "Nothing owed"],
    "not-paying-online": ["Online payment is not available yet", 'class="fd-contact"'],
    "long-name": [LONG_NAME, "Balance due"],
    "invoices": ["fd-badge-overdue", "fd-badge-partially_paid", "fd-badge-unpaid", "fd-badge-paid"],
    "empty": ['id="fd-invoices"', "No invoices here."],
    "overdue": ['id="fd-invoice"', "fd-badge-overdue", "Payment (card)", "Pay this invoice"],
    "estimates": ['id="fd-estimates"', "fd-badge-accepted", "fd-badge-rejected"],
    "estimate": ['id="fd-estimate"', "Approve and sign", "Decline estimate"],
    "pay-tip": ['id="fd-pay"', "Add a tip for the team?", "<dt>Tip</dt>", "Pay with Visa"],
    "card": ["Loading secure card fields", "includes a"],
    "confirm": ["Confirm your payment", "Charged to your Visa ending 4242"],
    "declined": ["Payment not completed", "Your card was declined. Nothing was charged."],
    "paid": ["Payment received", "Download the receipt"],
    "payments": [
        'id="fd-payments"',
        "Saved cards",
        "Partially refunded",
        "Refunded ",
        "Automatic payments",
        "Next: invoice INV-1044",
    ],
    "autopay": ['id="fd-autopay"', "Card to charge", "Turn on automatic payments"],
    "statements": ['id="fd-statements"', "Statement (PDF)", "owed", "in credit"],
    "add-card": ["Add a card", 'name="consent"'],
    "validation": ['aria-invalid="true"', "Please fix the highlighted fields.", "postal code"],
    "requests": [
        'id="fd-service-requests"',
        "REQ-1005",
        "fd-badge-new",
        "fd-badge-in_progress",
        "fd-badge-done",
        "fd-badge-declined",
        "fd-badge-cancelled",
    ],
    "no-requests": ['id="fd-service-requests"', "No requests yet.", "Request service"],
    "request-form": ['id="fd-service-request-form"', "My address: 18 Orchard Lane", "Send request"],
    "request-problems": [
        "Please fix the highlighted fields. Nothing was sent yet.",
        "Two fence panels came loose in the storm.",  # as typed
        'value="USA"',
        "Enter the street address.",
        "Preferred dates cannot be in the past.",
        "Choose your photos again",
    ],
    "documents": [
        'id="fd-documents"',
        "Lawn care agreement 2027",
        "Needs your signature",
        "fd-badge-signed",
    ],
    "no-documents": ['id="fd-documents"', "No documents yet"],
    "document-to-sign": [
        'id="fd-document"',
        "I agree to sign electronically.",
        "Type your full name to sign.",
        'aria-invalid="true"',
    ],
    "document-signed": ['id="fd-document"', "Download signed copy", "Signed by"],
    "plans": [
        'id="fd-subscriptions"',
        "Lawn care, April to October",
        "Monthly",
        "Yearly",
        "fd-badge-paused",
        "fd-badge-canceled",
        "Next invoice ",
        "Paused until ",
        "Ends on ",
        "No more invoices",
    ],
    "no-plans": ['id="fd-subscriptions"', "No plans yet."],
    "plan-pause": [
        'id="fd-subscription"',
        "Pause this plan?",
        "You won't be billed on ",
        "Billing resumes on ",
        'name="until" value="',
        "Confirm pause",
    ],
    "plan-cancelled": [
        'id="fd-subscription"',
        "fd-badge-canceled",
        "Cancelled on ",
        "nothing more will be billed",
    ],
    "request": [
        'id="fd-service-request"',
        "REQ-1004",
        "fd-badge-in_progress",
        "<strong>Scheduled</strong>: Booked for Tuesday morning",
        "Thanks, Jordan. We can fit this in.",
        "(morning)",
    ],
    "request-declined": [
        'id="fd-service-request"',
        "fd-badge-declined",
        "declined this request: Stump grinding needs a machine",
        "<strong>Declined</strong>: Stump grinding",
    ],
    "todos": [
        'id="fd-todos"',
        "Send photos of the side gate",
        "fd-badge-overdue",
        ">Invoice INV-1044</a>",
        'data-group="by-office"',
        "Done by you on",
        "Done automatically on",
        ">Edit</button>",  # the customer's own item
    ],
    "no-todos": ['id="fd-todos"', "Nothing to do right now.", "Add a to-do"],
    "messages": [
        'id="fd-messages"',
        "fd-message-own",
        'href="https://example.com/help/sprinkler-zones-and-controllers"',
        "the front steps?\nIt has dripped since Sunday.\n\nThanks,\nJordan",  # lines kept
        " · Seen",
    ],
    "no-messages": ['id="fd-messages"', "No messages yet. Write to", 'name="body"', 'name="nonce"'],
    "appointments": ['id="fd-appointments"', "Coming up", "Waiting for confirmation", "Canceled"],
    "appointment-book": ['id="fd-appointment-book"', "Lawn mowing (60 min)", 'aria-current="date"'],
    "appointment-held": ["Confirm your visit", "holding this time for you for 5 minutes"],
    "appointment-move": ['id="fd-appointment"', "Move to another time", "Move my visit"],
    "visitor-request": ['id="fd-public-booking"', "Ask ", "Enter an email address"],
    "visitor-sent": ["Check your email", "sam@example.com"],
    "sign-in": ['id="fd-sign-in"', "Code from the email"],
    "notice": ['id="fd-notice"', "No access"],
}
# The portal's markup is the only one to use its fd- classes: the dashboard's own fragments,
# kept in some of the same areas' folders (todos/dashboard.html, messages/inbox.html), do not.
PORTAL_CLASS = "fd-"


@pytest.fixture
def owner(live_server: LiveServer, db: Database) -> Iterator[tuple[Desk, NewBusiness]]:
    made = make_business(db)
    desk = Desk(live_server.url, made.owner.email)
    yield desk, made
    desk.close()


def frame_srcs(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<iframe src="([^"]+)"', html)]


def stylesheet(html: str) -> str:
    """The address of the stylesheet a frame's document links."""
    found = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert found, "the frame links its stylesheet"
    return unescape(found[1])


def test_every_state_is_listed_and_checked() -> None:
    assert [state.slug for state in STATES] == list(BY_SLUG)
    assert set(DISTINCT) == set(BY_SLUG)


def test_every_portal_fragment_is_in_some_state() -> None:
    """A new portal fragment (or one no state reaches any more) fails here until the gallery
    shows it: included ones count, through the shell and each other."""
    shown, todo = set(), [SHELL, *(state.template for state in STATES)]
    while todo:
        name = todo.pop()
        if name in shown:
            continue
        shown.add(name)
        source = templates.env.loader.get_source(templates.env, name)[0]  # type: ignore[union-attr]
        todo += [n for n in meta.find_referenced_templates(templates.env.parse(source)) if n]
    every = {
        str(path.relative_to(TEMPLATES_DIR))
        for path in (TEMPLATES_DIR / "fragments").rglob("*.html")
        if PORTAL_CLASS in path.read_text()
    }
    assert len(every) > 25  # the portal's fragments were found: a check on none proves nothing
    assert every - shown == set()


@pytest.mark.parametrize(
    "settings_of_the_business",
    [
        {"currency": "USD"},
        # Whatever the business has switched off, the samples show every step, in its money.
        {"currency": "JPY", "locale": "ja_JP", "tips_enabled": False, "allow_payments": False},
    ],
)
def test_the_gallery_shows_every_state_on_samples_and_touches_nothing(
    live_server: LiveServer, db: Database, settings_of_the_business: dict[str, object]
) -> None:
    made = make_business(db, **settings_of_the_business)
    with db.session(made.business.id) as session:
        real = make_customer(session, made.business, name="Secret Person")
        make_invoice(session, made.business, real)
    desk = Desk(live_server.url, made.owner.email)
    before = state_of(db)
    gallery = desk.get("/theme/gallery")
    assert gallery.status_code == 200
    srcs = frame_srcs(gallery.text)
    assert [re.search(r"state=([\w-]+)", src)[1] for src in srcs] == list(BY_SLUG)  # type: ignore[index]
    for slug, src in zip(BY_SLUG, srcs, strict=True):
        frame = desk.client.get(src)
        assert frame.status_code == 200, slug
        assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"]
        for words in DISTINCT[slug]:
            assert words in frame.text, (slug, words)
        assert "Secret Person" not in frame.text, slug
        assert made.business.name in frame.text, slug
    assert desk.get("/theme/gallery/frame", state="no-such-state").status_code == 404
    assert state_of(db) == before  # samples only: nothing was read into or written to the books
    desk.close()


def test_the_gallery_wears_the_draft_theme_at_either_width(
    owner: tuple[Desk, NewBusiness], db: Database
) -> None:
    desk, made = owner
    assert desk.post("/theme", {"theme": "dark", "accent": "#0b6e4f"}).status_code == 200
    published = desk.get("/theme/gallery")
    assert 'class="gallery gallery-375"' in published.text
    css = desk.client.get(stylesheet(desk.client.get(frame_srcs(published.text)[0]).text))
    assert "--fd-accent:var(--frontdesk-accent,#0b6e4f)" in css.text

    draft = desk.get("/theme/gallery", theme="citrus", accent="#aa3300", width="1280")
    assert 'class="gallery gallery-1280"' in draft.text
    src = frame_srcs(draft.text)[0]
    assert "theme=citrus" in src and "accent=%23aa3300" in src and "width" not in src
    css = desk.client.get(stylesheet(desk.client.get(src).text))
    assert "--fd-accent:var(--frontdesk-accent,#aa3300)" in css.text
    assert "--fd-radius:var(--frontdesk-radius,18px)" in css.text  # citrus's own radius
    # A draft that could not be published is refused, not shown.
    assert desk.get("/theme/gallery", custom_css="@import url(x)").status_code == 422
    with db.session(made.business.id) as session:
        business = businesses.get(session, made.business.id)
        assert business.theme_overrides == {"accent": "#0b6e4f"}  # looking published nothing


def test_the_gallery_is_only_the_signed_in_business_own(
    live_server: LiveServer, db: Database
) -> None:
    ours, theirs = make_business(db, name="Alpha Studio"), make_business(db, name="Bravo Works")
    owner = Desk(live_server.url, ours.owner.email)
    assert owner.post("/theme", {"theme": "citrus", "accent": "#abcdef"}).status_code == 200
    owner.close()
    stranger = Desk(live_server.url, theirs.owner.email)
    page = stranger.get("/theme/gallery")
    frame = stranger.client.get(frame_srcs(page.text)[0])
    css = stranger.get("/theme/preview.css")
    for answer in (page, frame, css):
        assert answer.status_code == 200
        assert "Alpha Studio" not in answer.text and "abcdef" not in answer.text
    assert "Bravo Works" in frame.text
    stranger.close()

    with httpx.Client(base_url=f"{live_server.url}/dashboard") as visitor:
        signed_out = visitor.get("/theme/gallery")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].endswith("/dashboard/sign-in")
        assert visitor.get("/theme/gallery/frame", params={"state": "owing"}).status_code == 401
        hx = visitor.get("/theme/gallery", headers={"HX-Request": "true"})
        assert hx.headers.get("HX-Redirect", "").endswith("/dashboard/sign-in")


def test_the_preview_shows_a_sample_customer_who_owes_even_with_no_customers(
    owner: tuple[Desk, NewBusiness],
) -> None:
    desk, _ = owner  # a new business: not one customer yet
    preview = desk.get("/theme/preview", theme="citrus")
    assert preview.status_code == 200
    assert "Balance due" in preview.text and "Pay $" in preview.text
    assert "fd-badge-overdue" in preview.text and 'part="button"' in preview.text
    step = desk.get("/theme/preview", theme="citrus", state="pay-tip")
    assert "Add a tip for the team?" in step.text and "fd-pay-total" in step.text
    editor = desk.get("/theme")
    assert 'type="color"' in editor.text and 'aria-label="Accent: colour picker"' in editor.text
    assert 'select name="state" form="theme-form"' in editor.text
