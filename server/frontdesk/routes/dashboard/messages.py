"""The business's inbox: every customer's conversation, unread first; one conversation to read
and answer; its poll (304 while nothing changed); and the nav's unread count."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.middleware.body_limit import uploads
from frontdesk.models import AuthorKind, Customer, Message
from frontdesk.routes.dashboard.frame import Staff, action, page
from frontdesk.services import attachments, messages
from frontdesk.services.errors import Invalid
from frontdesk.services.messages import inbox

INBOX = "fragments/messages/inbox.html"
CONVERSATION = "fragments/messages/conversation.html"
STAFF_THREAD = "fragments/messages/staff_thread.html"


class Unchanged(Exception):
    """The conversation the poll asked about is as its entity tag says: answer 304."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def _conversation(
    request: Request, who: Staff, customer: Customer, shown: list[Message]
) -> dict[str, Any]:
    now = request.app.state.clock()
    files = messages.files(
        who.session,
        business=who.business,
        customer=customer,
        audience=attachments.Party.staff(who.user.id),
        secret_keys=request.app.state.settings.secret_key,
        now=now,
    )
    return {
        "customer": customer,
        "messages": shown,
        "files": files,
        "pieces": messages.pieces,
        "etag": messages.etag(who.business, shown, now if files else None),
        "body": "",
        "nonce": messages.nonce(),
        "errors": {},
        "title": f"Messages with {customer.name}",
    }


def _opened(request: Request, who: Staff) -> dict[str, Any]:
    customer, shown = messages.open_for_staff(
        who.session,
        business=who.business,
        customer_id=request.path_params["customer"],
        now=request.app.state.clock(),
    )
    return _conversation(request, who, customer, shown)


async def dashboard_messages(request: Request) -> Response:
    query = request.query_params.get("q", "")[:200]

    def build(who: Staff) -> dict[str, Any]:
        found = inbox.conversations(who.session, business=who.business, query=query)
        return {"conversations": found, "query": query}

    return await page(request, INBOX, build, title="Inbox", section="messages")


async def dashboard_message_thread(request: Request) -> Response:
    return await page(
        request, CONVERSATION, lambda who: _opened(request, who), title="Inbox", section="messages"
    )


async def dashboard_message_poll(request: Request) -> Response:
    """The open conversation asking for news: 304 while its entity tag holds."""

    tag = {"etag": ""}

    def build(who: Staff) -> dict[str, Any]:
        context = _opened(request, who)
        if request.headers.get("if-none-match") == context["etag"]:
            raise Unchanged(context["etag"])
        tag["etag"] = context["etag"]
        return context

    try:
        response = await page(request, STAFF_THREAD, build, title="Inbox", section="messages")
    except Unchanged as unchanged:
        return Response(status_code=304, headers={"ETag": unchanged.etag})
    if tag["etag"]:  # signed out, it is the way to sign in instead
        response.headers.update({"ETag": tag["etag"], "Cache-Control": "no-cache, private"})
    return response


async def dashboard_message_reply(request: Request) -> Response:
    def act(who: Staff, form: FormData) -> dict[str, Any]:
        customer_id = request.path_params["customer"]
        customer, _ = messages.open_for_staff(
            who.session,
            business=who.business,
            customer_id=customer_id,
            now=request.app.state.clock(),
        )
        messages.post(
            who.session,
            business=who.business,
            customer=customer,
            author=messages.Author(AuthorKind.STAFF, who.user.id),
            body=str(form.get("body", "")),
            client_nonce=str(form.get("nonce", "")),
            now=request.app.state.clock(),
            notice_after=messages.notice_after(request.app.state.settings),
            files=[f for f in form.getlist("files") if isinstance(f, UploadFile)],
            store=attachments.store_for(request.app.state.settings),
        )
        return _opened(request, who)

    def rebuild(who: Staff, form: FormData, invalid: Invalid) -> dict[str, Any]:
        typed = {"body": str(form.get("body", "")), "nonce": str(form.get("nonce", ""))}
        return {**_opened(request, who), **typed, "errors": invalid.fields}

    return await action(request, CONVERSATION, act, rebuild, section="messages")


async def dashboard_messages_unread(request: Request) -> Response:
    def build(who: Staff) -> dict[str, Any]:
        return {"unread": messages.unread_by_staff(who.session, business=who.business)}

    return await page(
        request, "fragments/messages/inbox_unread.html", build, title="Inbox", section="messages"
    )


routes = [
    Route("/messages", dashboard_messages, name="dashboard_messages"),
    Route("/messages/unread", dashboard_messages_unread, name="dashboard_messages_unread"),
    Route("/messages/{customer}", dashboard_message_thread, name="dashboard_message_thread"),
    Route(
        "/messages/{customer}",
        uploads(max_files=messages.MAX_FILES)(dashboard_message_reply),
        methods=["POST"],
        name="dashboard_message_reply",
    ),
    Route("/messages/{customer}/thread", dashboard_message_poll, name="dashboard_message_poll"),
]
