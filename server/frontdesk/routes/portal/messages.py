"""The customer's conversation with the business in the portal: the thread, its poll (304 while
nothing changed), the composer, and the Messages tab's unread count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.middleware.body_limit import uploads
from frontdesk.models import Business, Customer, Message
from frontdesk.routes.portal import frame
from frontdesk.services import attachments, host_events, messages
from frontdesk.services.attachments import Linked
from frontdesk.services.errors import Invalid

VIEW = "fragments/messages/view.html"
THREAD = "fragments/messages/thread.html"
SECTION = "messages"


def thread_shown(
    business: Business,
    shown: list[Message],
    files: dict[str, list[Linked]],
    files_at: datetime | None,
    *,
    read_on_load: bool = False,
) -> dict[str, Any]:
    """The thread drawn with `shown` and their `files` by message (the theme gallery's are
    samples); `files_at` is when the files' links were made, for the entity tag."""
    return {
        "messages": shown,
        "files": files,
        "pieces": messages.pieces,
        "etag": messages.etag(business, shown, files_at),
        "read_on_load": read_on_load,
        "current": SECTION,
    }


def _thread(
    request: Request, session: Session, business: Business, customer: Customer, *, read: bool
) -> dict[str, Any]:
    """The thread with its files' links, read by the customer now if `read` (and if it is the
    customer looking, not the business in its read-only look at their portal)."""
    now = request.app.state.clock()
    if read and not frame.limits(request).read_only:
        messages.read_by_customer(session, business=business, customer=customer, now=now)
    shown = messages.thread(session, business=business, customer=customer)
    files = messages.files(
        session,
        business=business,
        customer=customer,
        audience=attachments.Party.customer(customer.id),
        secret_keys=request.app.state.settings.secret_key,
        now=now,
    )
    return thread_shown(business, shown, files, now if files else None)


def composer() -> dict[str, Any]:
    """An empty composer, with the nonce its first message is made once by."""
    return {"body": "", "errors": {}, "nonce": messages.nonce()}


def view_context(request: Request) -> frame.Build:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        return {**_thread(request, session, business, customer, read=True), **composer()}

    return build


def deep_link_context(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
    """The view a deep link opens (#messages: the emailed notice's link): drawn as it stands; its
    thread's first poll, which knows who is looking and when, reads it and brings its files."""
    shown = messages.thread(session, business=business, customer=customer)
    return {**thread_shown(business, shown, {}, None, read_on_load=True), **composer()}


async def portal_messages(request: Request) -> Response:
    return await frame.view(request, VIEW, view_context(request), section=SECTION)


async def portal_messages_thread(request: Request) -> Response:
    """The open thread asking for news: 304, rendering nothing, while its entity tag holds."""

    def render() -> Response:
        business = frame.business_for(request, SECTION)
        with request.app.state.db.session(business.id) as session:
            customer = frame.signed_in(request, session, business)
            frame.refuse_beyond_limits(request, business, SECTION, changes=False)
            context = _thread(request, session, business, customer, read=True)
        fresh = {"ETag": context["etag"], "Cache-Control": "no-cache, private"}
        if request.headers.get("if-none-match") == context["etag"]:
            renewed = frame.session_header(request, customer)
            return Response(status_code=304, headers={**fresh, **renewed})
        response = frame.fragment(request, business, customer, THREAD, context)
        response.headers.update(fresh)
        return response

    return await run_in_threadpool(frame.guarded, request, render)


async def portal_messages_send(request: Request) -> Response:
    def act(
        session: Session, business: Business, customer: Customer, form: FormData
    ) -> dict[str, Any]:
        message, new = messages.post(
            session,
            business=business,
            customer=customer,
            author=messages.CUSTOMER,
            body=str(form.get("body", "")),
            client_nonce=str(form.get("nonce", "")),
            now=request.app.state.clock(),
            notice_after=messages.notice_after(request.app.state.settings),
            limiter=request.app.state.limiter,
            files=[f for f in form.getlist("files") if isinstance(f, UploadFile)],
            store=attachments.store_for(request.app.state.settings),
        )
        if new:
            frame.tell(request, host_events.message_sent(session, business, customer, message))
        return view_context(request)(session, business, customer)

    def rebuild(
        session: Session, business: Business, customer: Customer, form: FormData, invalid: Invalid
    ) -> dict[str, Any]:
        typed = {"body": str(form.get("body", "")), "nonce": str(form.get("nonce", ""))}
        shown = _thread(request, session, business, customer, read=False)
        return {**shown, **typed, "errors": invalid.fields}

    return await frame.action(request, VIEW, act, rebuild, section=SECTION)


async def portal_messages_unread(request: Request) -> Response:
    def build(session: Session, business: Business, customer: Customer) -> dict[str, Any]:
        count = messages.unread_by_customer(session, business=business, customer=customer)
        return {"unread": count}

    return await frame.view(request, "fragments/messages/unread.html", build, section=SECTION)


routes = [
    Route("/messages", portal_messages, name="portal_messages"),
    Route(
        "/messages",
        uploads(max_files=messages.MAX_FILES)(portal_messages_send),
        methods=["POST"],
        name="portal_messages_send",
    ),
    Route("/messages/thread", portal_messages_thread, name="portal_messages_thread"),
    Route("/messages/unread", portal_messages_unread, name="portal_messages_unread"),
]
