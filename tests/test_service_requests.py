"""Service requests over real HTTP: the customer asks in the portal, the business works the queue
in the dashboard and through the API, and each side sees, hears and is kept to its own."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from PIL import Image
from sqlmodel import col, select

from frontdesk import tokens
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    Attachment,
    AuditEvent,
    Customer,
    Estimate,
    EstimateLine,
    OutboxItem,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestStatus,
)
from frontdesk.services.businesses import NewBusiness
from frontdesk.settings import Settings
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer
from tests.test_dashboard import Desk
from tests.test_host_events import told
from tests.test_jobs import Inbox, free_port, start_smtp
from tests.test_portal_views import Portal

# 02:00 UTC on the 11th is still the 10th in New York: "today" is the business's own date.
NOW = datetime(2031, 3, 11, 2, 0, tzinfo=UTC)
TODAY = date(2031, 3, 10)


@dataclass
class Shop:
    server: LiveServer
    settings: Settings
    db: Database
    made: NewBusiness
    casey: Customer
    robin: Customer

    def portal(self, customer: Customer) -> Portal:
        return Portal(self.server, self.settings, self.made.business, customer)

    def desk(self) -> Desk:
        return Desk(self.server.url, self.made.owner.email)

    def rows(self) -> list[ServiceRequest]:
        with self.db.session(self.made.business.id) as session:
            return list(session.exec(select(ServiceRequest)))

    def outbox(self, kind: str) -> list[OutboxItem]:
        with self.db.session(self.made.business.id) as session:
            return list(
                session.exec(
                    select(OutboxItem)
                    .where(OutboxItem.kind == kind)
                    .order_by(col(OutboxItem.created_at))
                )
            )

    def events(self, type: str) -> list[dict[str, object]]:
        return [item.payload for item in self.outbox("event") if item.payload["type"] == type]

    def actions(self) -> list[str]:
        with self.db.session(self.made.business.id) as session:
            return [event.action for event in session.exec(select(AuditEvent))]


@pytest.fixture
def shop(db: Database, settings: Settings) -> Iterator[Shop]:
    from frontdesk.app import create_app

    made = make_business(db, time_zone="America/New_York")
    with db.session(made.business.id) as session:
        casey = make_customer(
            session, made.business, name="Casey", address_line1="1 Elm St", city="Springfield"
        )
        robin = make_customer(session, made.business, name="Robin")
    app = create_app(settings, db)
    app.state.clock = lambda: NOW
    server = LiveServer(app).start()
    yield Shop(server, settings, db, made, casey, robin)
    server.stop()


def ask(portal: Portal, **fields: str | list[str]) -> httpx.Response:
    """The "Request service" form as the portal posts it (multipart, as htmx sends a form with a
    file input)."""
    data: dict[str, str | list[str]] = {
        "description": "The kitchen tap drips all night.",
        "address": "profile",
        "window_date": [TODAY.isoformat(), "2031-03-12"],
        "window_part": ["afternoon", "morning"],
    }
    data.update(fields)
    return portal.client.post("/requests", data=data, files={"photos": ("", b"")})


def test_a_customer_asks_for_work_and_the_business_hears_of_it(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        answer = ask(casey)
        assert answer.status_code == 200, answer.text
        assert "REQ-1001" in answer.text and "The kitchen tap drips all night." in answer.text
        assert "2031-03-10 (afternoon)" in answer.text and "1 Elm St" in answer.text
        [event] = told(answer)
        listed = casey.get("/requests")
        assert "REQ-1001" in listed.text and "New" in listed.text
    [row] = shop.rows()
    assert row.number == "REQ-1001" and row.status == "new" and row.customer_id == shop.casey.id
    assert row.preferred_windows == [
        {"date": "2031-03-10", "part": "afternoon"},
        {"date": "2031-03-12", "part": "morning"},
    ]
    assert (row.address_line1, row.city) == ("1 Elm St", "Springfield")
    assert row.created_at == NOW
    # The host page hears of it by the webhook's id; the business's system by the webhook.
    [webhook] = shop.events("service_request.created")
    assert event["type"] == "service-request-created" and event["id"] == webhook["id"]
    assert event["object"] == {
        "kind": "service_request",
        "id": row.id,
        "number": "REQ-1001",
        "status": "new",
    }
    assert webhook["data"] == {
        "service_request": row.id,
        "number": "REQ-1001",
        "customer": shop.casey.id,
        "status": "new",
        "change": "created",
    }
    [mail] = shop.outbox("email")
    assert mail.payload["to"] == shop.made.owner.email
    assert "The kitchen tap drips all night." in mail.payload["text"]
    assert "service_request.created" in shop.actions()


def test_another_address_is_taken_instead_of_the_profile(shop: Shop) -> None:
    with shop.portal(shop.robin) as robin:
        # Robin's profile has no address: "my address" cannot be used.
        refused = ask(robin)
        assert refused.status_code == 422 and "Your profile has no address yet" in refused.text
        taken = ask(robin, address="other", address_line1="9 Oak Ave", city="Shelbyville")
        assert taken.status_code == 200, taken.text
    [row] = shop.rows()
    assert (row.address_line1, row.city) == ("9 Oak Ave", "Shelbyville")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": "   "}, "Describe the work you need."),
        ({"window_date": ["2031-03-09"], "window_part": ["any"]}, "cannot be in the past"),
        (
            {
                "window_date": ["2031-03-12", "2031-03-13", "2031-03-14", "2031-03-15"],
                "window_part": ["any", "any", "any", "morning"],
            },
            "Choose at most 3 preferred times.",
        ),
        ({"description": "Leaks " + "x" * 4000}, "Use at most 4,000 characters"),
        ({"window_date": ["2031-03-12"], "window_part": ["midnight"]}, "Choose morning"),
    ],
)
def test_bad_input_is_refused_with_what_was_typed_and_nothing_stored(
    shop: Shop, fields: dict[str, str | list[str]], message: str
) -> None:
    with shop.portal(shop.casey) as casey:
        answer = ask(casey, **fields)
    assert answer.status_code == 422
    assert message in answer.text
    assert 'id="fd-service-request-form"' in answer.text
    typed = fields.get("description", "The kitchen tap drips all night.")
    assert f">{typed}</textarea>" in answer.text
    for day in fields.get("window_date", []):
        assert f'value="{day}"' in answer.text
    assert shop.rows() == [] and shop.outbox("email") == [] and shop.outbox("event") == []
    assert told(answer) == []


def test_another_customer_can_neither_see_nor_cancel_it_and_the_owner_cancels_while_new(
    shop: Shop,
) -> None:
    with shop.portal(shop.casey) as casey:
        assert ask(casey).status_code == 200
        with shop.portal(shop.robin) as robin:
            assert robin.get("/requests/REQ-1001").status_code == 404
            assert robin.post("/requests/REQ-1001/cancel", {}).status_code == 404
            assert "REQ-1001" not in robin.get("/requests").text
        assert shop.rows()[0].status == "new"
        cancelled = casey.post("/requests/REQ-1001/cancel", {})
        assert cancelled.status_code == 200 and "Cancelled" in cancelled.text
        again = casey.post("/requests/REQ-1001/cancel", {})
        assert again.status_code == 422 and "cancelled already" in again.text
    assert shop.rows()[0].status == "cancelled"
    assert [e["data"]["change"] for e in shop.events("service_request.updated")] == ["cancelled"]
    assert "service_request.cancelled" in shop.actions()


def test_the_customer_adds_a_word_the_business_sees_and_hears_of(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        assert ask(casey).status_code == 200
        empty = casey.post("/requests/REQ-1001/comments", {"text": "   "})
        assert empty.status_code == 422 and "Write a comment first." in empty.text
        long = casey.post("/requests/REQ-1001/comments", {"text": "x" * 4001})
        assert long.status_code == 422 and "x" * 4001 in long.text  # kept as typed
        with shop.portal(shop.robin) as robin:
            assert robin.post("/requests/REQ-1001/comments", {"text": "Hi"}).status_code == 404
        said = casey.post("/requests/REQ-1001/comments", {"text": "The gate code is 4412."})
        assert said.status_code == 200 and "The gate code is 4412." in said.text
        assert "You ·" in said.text
    with shop.db.session(shop.made.business.id) as session:
        [event] = session.exec(select(ServiceRequestEvent)).all()
        assert (event.author_kind, event.text) == ("customer", "The gate code is 4412.")
    [mail] = [m for m in shop.outbox("email") if "4412" in m.payload["text"]]
    assert mail.payload["subject"] == "Casey on service request REQ-1001"
    assert [e["data"]["change"] for e in shop.events("service_request.updated")] == ["comment"]
    desk = shop.desk()
    page = desk.get(f"/requests/{shop.rows()[0].id}")
    assert "The gate code is 4412." in page.text and "Casey ·" in page.text
    desk.close()
    # A finished request takes no more: the customer is pointed to Messages.
    with shop.db.session(shop.made.business.id) as session:
        row = session.exec(select(ServiceRequest)).one()
        row.status = ServiceRequestStatus.DONE
    with shop.portal(shop.casey) as casey:
        shown = casey.get("/requests/REQ-1001")
        assert "Send comment" not in shown.text
        late = casey.post("/requests/REQ-1001/comments", {"text": "One more thing"})
        assert late.status_code == 422 and "in Messages instead" in late.text
    with shop.db.session(shop.made.business.id) as session:
        assert len(session.exec(select(ServiceRequestEvent)).all()) == 1


@pytest.fixture
def inbox(shop: Shop) -> Iterator[tuple[Inbox, Settings]]:
    """A real SMTP server, and the settings that send the outbox's mail to it."""
    port = free_port()
    controller, received = start_smtp(port)
    yield received, shop.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    controller.stop()


def test_a_reply_from_the_business_reaches_the_customer_timeline_and_inbox(
    shop: Shop, inbox: tuple[Inbox, Settings]
) -> None:
    received, smtp_settings = inbox
    with shop.portal(shop.casey) as casey:
        assert ask(casey).status_code == 200
        [row] = shop.rows()
        desk = shop.desk()
        queue = desk.get("/requests")
        assert "REQ-1001" in queue.text and "Casey" in queue.text
        page = desk.get(f"/requests/{row.id}")
        assert "The kitchen tap drips all night." in page.text and "1 Elm St" in page.text
        empty = desk.post(f"/requests/{row.id}/comments", {"text": "  "})
        assert empty.status_code == 422 and "Write a reply." in empty.text
        replied = desk.post(f"/requests/{row.id}/comments", {"text": "We can come Tuesday."})
        assert replied.status_code == 200 and "We can come Tuesday." in replied.text
        desk.close()
        shown = casey.get("/requests/REQ-1001")
        assert "We can come Tuesday." in shown.text
    assert OutboxRunner(shop.db, smtp_settings).run_once() >= 2
    [mail] = [m for m in received.messages if m["To"] == shop.casey.email]
    [plain] = [part for part in mail.walk() if part.get_content_type() == "text/plain"]
    body = plain.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "We can come Tuesday." in body
    # The link signs the customer in at the request.
    assert re.search(r"#frontdesk=[\w.-]+", body)
    [event] = shop.events("service_request.updated")
    assert event["data"]["change"] == "comment"  # type: ignore[index]
    assert "service_request.commented" in shop.actions()


def test_the_business_moves_a_request_on_and_a_decline_says_why(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        assert ask(casey).status_code == 200
        [row] = shop.rows()
        desk = shop.desk()
        scheduled = desk.post(f"/requests/{row.id}/status", {"status": "scheduled"})
        assert scheduled.status_code == 200 and "Marked scheduled" in scheduled.text
        # Cancelling is the customer's, and only while new.
        assert casey.post("/requests/REQ-1001/cancel", {}).status_code == 422
        unexplained = desk.post(f"/requests/{row.id}/status", {"status": "declined"})
        assert unexplained.status_code == 422 and "Say why" in unexplained.text
        assert shop.rows()[0].status == "scheduled"
        declined = desk.post(
            f"/requests/{row.id}/status",
            {"status": "declined", "reason": "We do not work on Sundays."},
        )
        assert declined.status_code == 200
        final = desk.post(f"/requests/{row.id}/status", {"status": "done"})
        assert final.status_code == 422 and "can no longer change" in final.text
        desk.close()
        shown = casey.get("/requests/REQ-1001")
    assert "Declined" in shown.text and "We do not work on Sundays." in shown.text
    assert "Scheduled" in shown.text
    stored = shop.rows()[0]
    assert stored.status == "declined" and stored.decline_reason == "We do not work on Sundays."
    statuses = [e["data"]["status"] for e in shop.events("service_request.updated")]  # type: ignore[index]
    assert statuses == ["scheduled", "declined"]
    customer_mail = [m for m in shop.outbox("email") if m.payload["to"] == shop.casey.email]
    assert len(customer_mail) == 2
    assert "We do not work on Sundays." in customer_mail[-1].payload["text"]
    assert shop.actions().count("service_request.status_changed") == 2


def test_a_request_becomes_a_draft_estimate_and_each_names_the_other(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        assert ask(casey).status_code == 200
    [row] = shop.rows()
    desk = shop.desk()
    made = desk.post(f"/requests/{row.id}/estimate")
    assert made.status_code == 204, made.text
    estimate_page = made.headers["HX-Location"]
    with shop.db.session(shop.made.business.id) as session:
        [estimate] = session.exec(select(Estimate)).all()
        [line] = session.exec(select(EstimateLine)).all()
    assert estimate_page.endswith(f"/dashboard/estimates/{estimate.id}")
    assert estimate.status == "draft" and estimate.customer_id == shop.casey.id
    assert estimate.issue_date == TODAY and estimate.expires_on == TODAY + timedelta(days=30)
    assert line.description == "The kitchen tap drips all night." and line.unit_amount == 0
    assert shop.rows()[0].estimate_id == estimate.id
    back = desk.get(f"/estimates/{estimate.id}")
    assert f"/dashboard/requests/{row.id}" in back.text and "REQ-1001" in back.text
    forth = desk.get(f"/requests/{row.id}")
    assert f"/dashboard/estimates/{estimate.id}" in forth.text
    again = desk.post(f"/requests/{row.id}/estimate")
    assert again.status_code == 422 and "has an estimate already" in again.text
    desk.close()
    [event] = shop.events("service_request.updated")
    assert event["data"]["change"] == "estimate"  # type: ignore[index]


def test_the_api_lists_reads_replies_and_moves_requests_on(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        assert ask(casey).status_code == 200
    [row] = shop.rows()
    api = httpx.Client(
        base_url=f"{shop.server.url}/api/v1",
        headers={"Authorization": f"Bearer {shop.made.secret_api_key}"},
    )
    page = api.get("/service-requests", params={"status": "new"}).json()
    assert [item["number"] for item in page["data"]] == ["REQ-1001"]
    assert api.get("/service-requests", params={"status": "done"}).json()["data"] == []
    got = api.get(f"/service-requests/{row.id}").json()
    assert got["preferred_windows"][0] == {"date": "2031-03-10", "part": "afternoon"}
    replied = api.post(f"/service-requests/{row.id}/comments", json={"text": "On our way"})
    assert replied.status_code == 201
    assert replied.json()["timeline"][0]["text"] == "On our way"
    bad = api.post(f"/service-requests/{row.id}/status", json={"status": "declined"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"] == [{"field": "reason", "detail": "Say why: the customer sees it."}]
    wrong = api.post(f"/service-requests/{row.id}/status", json={"status": "lost"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "status"
    moved = api.post(f"/service-requests/{row.id}/status", json={"status": "in_progress"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    assert api.get("/service-requests/sr_nope").status_code == 404
    api.close()
    with shop.db.session(shop.made.business.id) as session:
        authors = [e.author_kind for e in session.exec(select(ServiceRequestEvent))]
    assert sorted(authors) == ["api", "api"]


def test_the_business_can_switch_requests_off(shop: Shop) -> None:
    desk = shop.desk()
    settings = desk.get("/settings")
    assert 'name="allow_service_requests"' in settings.text
    switches = {
        "which": "portal",
        "allow_payments": "yes",
        "allow_invoices": "yes",
        "allow_estimates": "yes",
        "tip_percents": "18, 20, 25",
        "contact_email": shop.made.owner.email,
    }
    assert desk.post("/settings/portal", switches).status_code == 200
    desk.close()
    with shop.portal(shop.casey) as casey:
        assert casey.get("/requests").status_code == 404
        assert ask(casey).status_code == 404
        home = casey.get("/home").text
    assert "/requests" not in home
    assert shop.rows() == []


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def file_links(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]*/files/[^"]+)"', html)


def test_photos_are_attached_and_open_for_the_customer_and_staff_only(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        photos = [
            ("photos", ("tap.png", png(), "image/png")),
            ("photos", ("sink.png", png("blue"), "image/png")),
        ]
        data = {"description": "Tap and sink", "address": "profile"}
        made = casey.client.post("/requests", data=data, files=photos)
        assert made.status_code == 200, made.text
        [first, _] = file_links(made.text)
        shown = casey.get("/requests/REQ-1001").text
        with shop.portal(shop.robin) as robin:
            assert robin.get("/requests/REQ-1001").status_code == 404
    mine = httpx.get(first)
    assert mine.status_code == 200 and mine.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(mine.content)).getpixel((0, 0)) == (255, 0, 0)
    assert 'alt="tap.png"' in shown and len(file_links(shown)) == 2
    desk = shop.desk()
    page = desk.get(f"/requests/{shop.rows()[0].id}").text
    desk.close()
    [staff_link, _] = file_links(page)
    assert httpx.get(staff_link).content == mine.content
    # A link naming Robin for Casey's photo opens nothing.
    with shop.db.session(shop.made.business.id) as session:
        [row, _] = session.exec(select(Attachment).order_by(col(Attachment.filename))).all()
    expires = int((NOW + timedelta(minutes=10)).timestamp())
    claims = {"b": row.business_id, "a": row.id, "k": "customer", "p": shop.robin.id}
    forged = tokens.sign(
        shop.settings.secret_key, Purpose.ATTACHMENT, {**claims, "v": 1, "x": expires}
    )
    assert httpx.get(f"{shop.server.url}/files/{forged}").status_code == 404


def test_a_bad_photo_refuses_the_whole_request(shop: Shop) -> None:
    with shop.portal(shop.casey) as casey:
        data = {"description": "Tap", "address": "profile"}
        six = [("photos", (f"p{i}.png", png(), "image/png")) for i in range(6)]
        too_many = casey.client.post("/requests", data=data, files=six)
        assert too_many.status_code == 422
        assert "Up to 5 files can be attached; this would make 6." in too_many.text
        fake = [("photos", ("tap.png", b"not an image at all", "image/png"))]
        refused = casey.client.post("/requests", data=data, files=fake)
        assert refused.status_code == 422 and "tap.png" in refused.text
        assert ">Tap</textarea>" in refused.text
        renamed = [("photos", ("tap.jpg", b"%PDF-1.4\n%%EOF\n", "image/jpeg"))]
        refused = casey.client.post("/requests", data=data, files=renamed)
        assert refused.status_code == 422 and "tap.jpg is not a JPEG" in refused.text
        # Past what the route takes at all: refused while it arrives, in words, by this route.
        huge = [("photos", ("holiday.jpg", b"\xff\xd8\xff" + b"\0" * (60 * 1024 * 1024)))]
        too_big = casey.client.post("/requests", data=data, files=huge)
        assert too_big.status_code == 413
        assert "Send up to 5 files of up to 10 MB each. Nothing was saved." in too_big.text
    assert shop.rows() == []
    with shop.db.session(shop.made.business.id) as session:
        assert session.exec(select(Attachment)).all() == []
