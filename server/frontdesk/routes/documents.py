"""The public page where anyone checks a PDF against the documents signed here: no sign-in, and
an answer that holds only what the signed PDF's own certificate page shows."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.languages import gettext
from frontdesk.middleware.body_limit import uploads
from frontdesk.rendering import templates
from frontdesk.routes.portal import viewer
from frontdesk.services import documents
from frontdesk.services.errors import Invalid
from frontdesk.services.rate_limits import Limit, Limited

PAGE = "pages/documents/verify.html"
# Each check reads a whole file: a person checks a few, a script checking millions is refused.
CHECKS = Limit("documents_verify", burst=20, per_second=0.2)


def _page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    shown = {"verdict": None, "error": "", "sha256": "", **context}
    response = templates.TemplateResponse(request, PAGE, shown, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def documents_verify(request: Request) -> Response:
    viewer.speak(request, None)  # anyone's page: the language asked for (?lang=) or the browser's
    return _page(request, {})


async def documents_verify_check(request: Request) -> Response:
    """A PDF (or its SHA-256, typed) against every signed document."""
    viewer.speak(request, None)
    async with request.form() as form:
        upload, typed = form.get("file"), str(form.get("sha256", ""))
        data = await upload.read() if isinstance(upload, UploadFile) else b""
    ip = request.client.host if request.client else ""
    try:
        await run_in_threadpool(request.app.state.limiter.take, (CHECKS, ip))
        digest = documents.checked_hash(typed) if typed.strip() else documents.of_file(data)
    except Limited as limited:
        error = gettext("Too many checks from here. Try again in %(seconds)s seconds.") % {
            "seconds": limited.retry_after
        }
        return _page(request, {"error": error, "sha256": typed}, 429)
    except Invalid as invalid:
        return _page(request, {"error": invalid.message, "sha256": typed}, 422)

    def look() -> documents.Verdict:
        with request.app.state.db.unscoped("a signed PDF's hash names its business") as session:
            return documents.verdict(session, digest=digest)

    return _page(request, {"verdict": await run_in_threadpool(look)})


routes = [
    Route("/documents/verify", documents_verify, name="documents_verify"),
    Route(
        "/documents/verify",
        uploads(max_files=1)(documents_verify_check),
        methods=["POST"],
        name="documents_verify_check",
    ),
]
