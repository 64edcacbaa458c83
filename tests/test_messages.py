"""Messages between a customer and the business, through the live server: both directions, the
unread counts and read marks, the poll's 304, refusals that keep the input, one message per form,
isolation, the rate limit, the webhook and the email notice after N minutes (clock moved)."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message as EmailMessage

import httpx
import pytest
from PIL import Image
from sqlmodel import col, select

from frontdesk import tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.jobs import OutboxRunner
from frontdesk.models import (
    Attachment,
    AuditEvent,
    Business,
    Customer,
    Message,
    OutboxItem,
    utcnow,
)
from frontdesk.services import businesses
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from tests.conftest import LiveServer, csrf_field
from tests.factories import PASSWORD, make_business, make_customer
from tests.test_jobs import Inbox, start_smtp


@dataclass
class Side:
    """A business with a customer: the customer's portal session and the owner's dashboard."""

    business: Business
    customer: Customer
    portal: httpx.Client
    desk: httpx.Client
    csrf: str

    def send(self, body: str, nonce: str = "") -> httpx.Response:
        return self.portal.post("/messages", data={"body": body, "nonce": nonce})

    def reply(self, body: str, nonce: str = "") -> httpx.Response:
        return self.desk.post(
            f"/dashboard/messages/{self.customer.id}",
            data={"body": body, "nonce": nonce, "csrf_token": self.csrf},
        )

    def unread_in_portal(self) -> str:
        return self.portal.get("/messages/unread").text

    def inbox(self) -> str:
        return self.desk.get("/dashboard/messages").text


def open_side(
    server: LiveServer, db: Database, settings: Settings, name: str = "Casey Customer"
) -> Side:
    made = make_business(db, name="Greenleaf Gardening", contact_email="office@greenleaf.example")
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business, name=name)
    token = tokens.mint(
        settings.secret_key,
        tokens.Purpose.EMBED,
        business_id=made.business.id,
        customer_id=customer.id,
        link_version=1,
    )
    base = f"{server.url}/portal/{made.business.publishable_key}"
    opened = httpx.post(f"{base}/session", data={"token": token})
    bearer = {"Authorization": f"Bearer {opened.headers['Frontdesk-Session']}"}
    portal = httpx.Client(base_url=base, headers={**bearer, "HX-Request": "true"})
    desk = httpx.Client(base_url=server.url, headers={"HX-Request": "true"})
    csrf = csrf_field(desk.get("/dashboard/sign-in").text)
    desk.post(
        "/dashboard/sign-in",
        data={"email": made.owner.email, "password": PASSWORD, "csrf_token": csrf},
    )
    return Side(made.business, customer, portal, desk, csrf)


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    running = LiveServer(create_app(settings, db)).start()
    yield running
    running.stop()


@pytest.fixture
def side(server: LiveServer, db: Database, settings: Settings) -> Iterator[Side]:
    made = open_side(server, db, settings)
    yield made
    made.portal.close()
    made.desk.close()


def stored(db: Database, side: Side) -> list[Message]:
    with db.session(side.business.id) as session:
        return list(session.exec(select(Message).order_by(Message.created_at)).all())


def test_a_message_goes_each_way_with_unread_counts_and_read_marks(
    side: Side, db: Database
) -> None:
    sent = side.send("Can you come on Tuesday?\nAfter 2pm is best.")
    assert sent.status_code == 200
    assert "Can you come on Tuesday?\nAfter 2pm is best." in sent.text
    assert "<strong>You</strong>" in sent.text
    told = json.loads(sent.headers["HX-Trigger"])["fd:events"]
    assert [event["type"] for event in told] == ["message-sent"]

    # The office sees one unread conversation, opens it (read), and answers.
    assert 'aria-label="1 unread"' in side.desk.get("/dashboard/messages/unread").text
    assert "Can you come on Tuesday?" in side.inbox()
    opened = side.desk.get(f"/dashboard/messages/{side.customer.id}")
    assert "Can you come on Tuesday?" in opened.text
    assert "aria-label" not in side.desk.get("/dashboard/messages/unread").text
    assert (
        side.reply("Tuesday at 3 works. See https://greenleaf.example/visits.").status_code == 200
    )

    # The customer's tab counts it until they open the view, which reads it.
    assert 'aria-label="1 unread"' in side.unread_in_portal()
    view = side.portal.get("/messages")
    assert "<strong>Greenleaf Gardening</strong>" in view.text
    assert '<a href="https://greenleaf.example/visits"' in view.text  # the full stop stays out
    assert "aria-label" not in side.unread_in_portal()
    both = stored(db, side)
    assert [m.author_kind for m in both] == ["customer", "staff"]
    assert both[0].read_by_staff_at and both[1].read_by_customer_at
    with db.session(side.business.id) as session:
        query = select(OutboxItem).order_by(col(OutboxItem.created_at), col(OutboxItem.id))
        events = [i.payload for i in session.exec(query) if i.kind == "event"]
    created = [e for e in events if e["type"] == "message.created"]
    assert [e["data"]["author_kind"] for e in created] == ["customer", "staff"]
    # The host page's event is the webhook's twin.
    assert told[0]["id"] == created[0]["id"]


def test_empty_and_overlong_messages_are_refused_with_the_input_kept(
    side: Side, db: Database
) -> None:
    empty = side.send("   \n ")
    assert empty.status_code == 422
    assert "Write a message first." in empty.text
    long = "word " * 1001
    refused = side.send(long)
    assert refused.status_code == 422
    assert "Keep it to 5,000 characters" in refused.text
    assert long in refused.text  # kept in the textarea
    staff = side.reply("")
    assert staff.status_code == 422 and "Write a message first." in staff.text
    assert stored(db, side) == []


def test_a_double_submit_makes_one_message(side: Side, db: Database) -> None:
    first = side.send("Just once, please.", nonce="nonce-1")
    second = side.send("Just once, please.", nonce="nonce-1")
    assert first.status_code == second.status_code == 200
    assert "HX-Trigger" not in second.headers  # nothing new to tell the host page
    side.reply("And once from us.", nonce="desk-1")
    side.reply("And once from us.", nonce="desk-1")
    # Submits racing each other (a double click on a slow line) still make one.
    with ThreadPoolExecutor(4) as pool:
        raced = list(pool.map(lambda _: side.send("Twins", nonce="nonce-2"), range(4)))
    assert {answer.status_code for answer in raced} == {200}
    bodies = [m.body for m in stored(db, side)]
    assert bodies == ["Just once, please.", "And once from us.", "Twins"]
    # Each composer comes with a fresh nonce, so the next message is a new one.
    nonces = re.findall(r'name="nonce" value="([^"]+)"', first.text)
    assert nonces and nonces[0] != "nonce-1"


def test_another_customer_or_business_sees_nothing_and_cannot_post_into_the_thread(
    side: Side, server: LiveServer, db: Database, settings: Settings
) -> None:
    side.send("Only for Greenleaf: gate code 4512.")
    other = open_side(server, db, settings, name="Other Person")
    try:
        assert "4512" not in other.portal.get("/messages").text
        assert "4512" not in other.portal.get("/messages/thread").text
        # Another business's staff: the conversation is not found, and cannot be answered.
        path = f"/dashboard/messages/{side.customer.id}"
        assert other.desk.get(path).status_code == 404
        assert other.desk.get(f"{path}/thread").status_code == 404
        answer = other.desk.post(path, data={"body": "Hi", "nonce": "", "csrf_token": other.csrf})
        assert answer.status_code == 404
        assert "4512" not in other.inbox()
        # The other customer posts into their own conversation only.
        other.send("Mine")
    finally:
        other.portal.close()
        other.desk.close()
    assert [m.body for m in stored(db, side)] == ["Only for Greenleaf: gate code 4512."]


def test_the_poll_answers_304_until_something_changes(side: Side) -> None:
    first = side.portal.get("/messages/thread")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache, private"
    assert json.dumps(etag)[1:-1] in first.text  # the thread sends it back when it asks
    same = side.portal.get("/messages/thread", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    # A fresh session is not re-signed (tests/test_portal_sessions.py renews an older one).
    assert "Frontdesk-Session" not in same.headers
    side.reply("News from the office.")
    changed = side.portal.get("/messages/thread", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "News from the office." in changed.text
    assert changed.headers["ETag"] != etag
    # The office's side polls the same way.
    desk = side.desk.get(f"/dashboard/messages/{side.customer.id}/thread")
    again = side.desk.get(
        f"/dashboard/messages/{side.customer.id}/thread",
        headers={"If-None-Match": desk.headers["ETag"]},
    )
    assert again.status_code == 304
    side.send("Thanks!")
    news = side.desk.get(
        f"/dashboard/messages/{side.customer.id}/thread",
        headers={"If-None-Match": desk.headers["ETag"]},
    )
    assert news.status_code == 200 and "Thanks!" in news.text


def test_posting_is_limited_per_customer(side: Side, db: Database) -> None:
    for number in range(20):
        assert side.send(f"Message {number}").status_code == 200
    refused = side.send("One too many")
    assert refused.status_code == 422
    assert "You are sending messages too fast" in refused.text
    assert "One too many" in refused.text
    assert len(stored(db, side)) == 20


def test_the_messages_switch_hides_the_view(side: Side, db: Database) -> None:
    with db.unscoped("the test turns the switch off") as session:
        business = businesses.get(session, side.business.id)
        business.allow_messages = False
    assert side.portal.get("/messages").status_code == 404
    assert side.send("Hello?").status_code == 404
    assert stored(db, side) == []


def plain(mail: EmailMessage) -> str:
    """The email's plain-text part."""
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("the email has no plain-text part")


def drain(runner: OutboxRunner, minutes: float) -> None:
    """Run every item due `minutes` from now, including what running them queues."""
    at = utcnow() + timedelta(minutes=minutes)
    while runner.run_once(now=at):
        pass


@pytest.fixture
def mail(settings: Settings, db: Database) -> Iterator[tuple[OutboxRunner, Inbox]]:
    from tests.test_jobs import free_port

    port = free_port()
    controller, inbox = start_smtp(port)
    runner = OutboxRunner(db, settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"}))
    yield runner, inbox
    runner.processor.close()
    controller.stop()


def test_an_unread_message_is_emailed_once_after_five_minutes_until_read(
    side: Side, mail: tuple[OutboxRunner, Inbox], db: Database
) -> None:
    runner, inbox = mail
    side.reply("Your quote is ready.")
    side.reply("And the gate code is 4512.")
    drain(runner, 4)
    assert inbox.messages == []
    drain(runner, 6)
    [notice] = inbox.messages
    assert notice["To"] == side.customer.email
    text = plain(notice)
    assert "Your quote is ready." in text and "4512" in text
    assert "#frontdesk=" in text
    drain(runner, 30)
    assert len(inbox.messages) == 1  # one notice for the unread burst
    with db.session(side.business.id) as session:
        [noted] = session.exec(select(AuditEvent).where(AuditEvent.action == "message.notice_sent"))
    assert (noted.actor_type, noted.target_id, noted.detail) == (
        "system",
        side.customer.id,
        {"to": "customer", "messages": 2},
    )
    # Read, then a new message: a new notice.
    side.portal.get("/messages")
    side.reply("One more thing.")
    drain(runner, 6)
    assert len(inbox.messages) == 2
    assert "One more thing." in plain(inbox.messages[1])


def test_a_message_read_within_five_minutes_sends_no_email(
    side: Side, mail: tuple[OutboxRunner, Inbox]
) -> None:
    runner, inbox = mail
    side.reply("Seen in time.")
    side.portal.get("/messages")
    drain(runner, 6)
    assert inbox.messages == []


def test_a_customer_message_unread_by_staff_emails_the_business(
    side: Side, mail: tuple[OutboxRunner, Inbox]
) -> None:
    runner, inbox = mail
    side.send("Is anyone there?")
    drain(runner, 6)
    [notice] = inbox.messages
    assert notice["To"] == "office@greenleaf.example"
    text = plain(notice)
    assert "Is anyone there?" in text
    assert f"/dashboard/messages/{side.customer.id}" in text
    side.desk.get(f"/dashboard/messages/{side.customer.id}")
    side.send("Thanks for reading.")
    drain(runner, 6)
    assert len(inbox.messages) == 2


def test_the_api_lists_a_customers_messages_and_posts_one_as_the_business(
    side: Side, server: LiveServer, db: Database
) -> None:
    side.send("Hello from the portal.")
    made = make_business(db)  # another business's key sees nothing of this customer
    api = httpx.Client(base_url=f"{server.url}/api/v1")
    try:
        with db.session(side.business.id) as session:
            _, key = businesses.create_api_key(session, business=side.business, name="t")
        headers = {"Authorization": f"Bearer {key}"}
        path = f"/customers/{side.customer.id}/messages"
        posted = api.post(
            path, headers=headers, json={"body": "From your system.", "client_nonce": "n-1"}
        )
        assert posted.status_code == 201, posted.text
        assert posted.json()["author_kind"] == "staff"
        again = api.post(
            path, headers=headers, json={"body": "From your system.", "client_nonce": "n-1"}
        )
        assert again.json()["id"] == posted.json()["id"]
        blank = api.post(path, headers=headers, json={"body": "  "})
        assert blank.status_code == 422
        listed = api.get(path, headers=headers).json()
        assert [m["body"] for m in listed["data"]] == [
            "From your system.",
            "Hello from the portal.",
        ]
        other = {"Authorization": f"Bearer {made.secret_api_key}"}
        assert api.get(path, headers=other).status_code == 404
        assert api.post(path, headers=other, json={"body": "Intruder"}).status_code == 404
    finally:
        api.close()
    assert len(stored(db, side)) == 2


def test_a_deep_link_opens_the_thread_and_its_first_poll_reads_it(
    side: Side, server: LiveServer, settings: Settings
) -> None:
    side.reply("Open me from your email.")
    link = Links.from_settings(settings).payment(side.business, side.customer, view="messages")
    token = link.split("#frontdesk=", 1)[1]
    key = side.business.publishable_key
    opened = httpx.post(f"{server.url}/portal/{key}/session", data={"token": token})
    assert 'id="fd-messages"' in opened.text and "Open me from your email." in opened.text
    assert 'hx-trigger="load, every 10s"' in opened.text  # read at once by the thread's poll
    assert 'aria-label="1 unread"' in side.unread_in_portal()
    etag = re.search(r'data-etag="([^"]+)"', opened.text)
    assert etag
    first = side.portal.get("/messages/thread", headers={"If-None-Match": html.unescape(etag[1])})
    assert first.status_code == 200  # reading it changed the thread
    assert 'hx-trigger="every 10s"' in first.text
    assert "aria-label" not in side.unread_in_portal()


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(picture, "PNG")
    return picture.getvalue()


def test_files_go_with_a_message_and_only_to_its_customer_and_the_office(
    side: Side, server: LiveServer, db: Database, settings: Settings
) -> None:
    photo = ("files", ("hedge.png", png(), "image/png"))
    sent = side.portal.post("/messages", data={"body": "", "nonce": "f-1"}, files=[photo])
    assert sent.status_code == 200, sent.text
    [mine] = re.findall(r'href="([^"]*/files/[^"]+)"', sent.text)
    assert 'alt="hedge.png"' in sent.text
    assert httpx.get(mine).headers["content-type"] == "image/png"
    office = side.desk.get(f"/dashboard/messages/{side.customer.id}").text
    [theirs] = re.findall(r'href="([^"]*/files/[^"]+)"', office)
    assert httpx.get(theirs).status_code == 200

    # Four files are one too many: refused with the words kept, nothing stored.
    four = [("files", (f"p{n}.png", png(), "image/png")) for n in range(4)]
    refused = side.portal.post("/messages", data={"body": "Four photos"}, files=four)
    assert refused.status_code == 422
    assert "Up to 3 files can be attached" in refused.text and "Four photos" in refused.text
    assert len(stored(db, side)) == 1

    # Another customer's thread shows no file, and a link naming them for this file is refused.
    other = open_side(server, db, settings, name="Other Person")
    try:
        assert "/files/" not in other.portal.get("/messages/thread").text
    finally:
        other.portal.close()
        other.desk.close()
    with db.session(side.business.id) as session:
        [row] = session.exec(select(Attachment)).all()
    claims = {"b": side.business.id, "a": row.id, "k": "customer", "p": other.customer.id}
    claims.update({"v": 1, "x": int(utcnow().timestamp()) + 600})
    forged = tokens.sign(settings.secret_key, tokens.Purpose.ATTACHMENT, claims)
    assert httpx.get(f"{server.url}/files/{forged}").status_code == 404


def test_the_business_looking_at_the_portal_reads_nothing_and_cannot_write(
    side: Side, server: LiveServer, db: Database, settings: Settings
) -> None:
    side.reply("For the customer only.")
    token = Links.from_settings(settings).view_only(side.customer)
    key = side.business.publishable_key
    opened = httpx.post(f"{server.url}/portal/{key}/session", data={"token": token})
    looking = {"Authorization": f"Bearer {opened.headers['Frontdesk-Session']}"}
    view = httpx.get(f"{server.url}/portal/{key}/messages", headers=looking)
    assert "For the customer only." in view.text and "<textarea" not in view.text
    httpx.get(f"{server.url}/portal/{key}/messages/thread", headers=looking)
    refused = httpx.post(f"{server.url}/portal/{key}/messages", headers=looking, data={"body": "x"})
    assert refused.status_code == 403
    [message] = stored(db, side)
    assert message.read_by_customer_at is None
    assert 'aria-label="1 unread"' in side.unread_in_portal()
