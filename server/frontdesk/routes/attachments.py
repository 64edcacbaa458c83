"""Attached files, opened through the short-lived links the portal and the dashboard render
(services/attachments.py signs them for one customer or the business's staff)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.services import attachments, pdf_layout

EXPIRED = "This link has expired; open it again from the portal."


async def attachment_file(request: Request) -> Response:
    """One attached file, shown inline and unable to run anything in our origin."""

    def serve() -> attachments.Served:
        state = request.app.state
        now = state.clock()
        try:
            claims = attachments.link_claims(
                state.settings.secret_key, request.path_params["token"], now
            )
        except attachments.Expired:
            raise HTTPException(410, EXPIRED) from None
        with state.db.session(claims.business_id) as session:
            return attachments.opened(
                session, claims=claims, store=attachments.store_for(state.settings), now=now
            )

    served = await run_in_threadpool(serve)
    media_type = served.attachment.content_type
    # `?download`: saved rather than shown (a sandboxed PDF does not open in Chrome's viewer).
    kind = "attachment" if "download" in request.query_params else "inline"
    return Response(served.data, media_type=media_type, headers=_headers(served, kind))


def _headers(served: attachments.Served, kind: str) -> dict[str, str]:
    name = served.attachment.filename
    # The plain name for clients that cannot read RFC 6266's UTF-8 one.
    plain, utf8 = pdf_layout.plain_name(name), quote(name, safe="")
    return {
        "Content-Disposition": f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{utf8}",
        "X-Content-Type-Options": "nosniff",
        # Opened on its own (a PDF, an SVG someday), the file runs nothing and reaches nothing.
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": f"private, max-age={served.seconds_left}",
        # Shown as <img> inside the portal on the business's own website.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }


routes = [Route("/files/{token}", attachment_file, name="attachment_file")]
