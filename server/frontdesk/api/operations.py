"""One API operation end to end: key, rate limit, body, validation, idempotency, transaction.

Handlers are plain functions of a `Call` returning a schema object; everything a client can rely
on for every endpoint (problem details, `Idempotency-Key`, 429 with Retry-After) lives here once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, or_
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from frontdesk.api import schemas
from frontdesk.api.fields import PATTERN_MESSAGES
from frontdesk.db import Database
from frontdesk.middleware.body_limit import uploads
from frontdesk.models import ApiKey, Business, IdempotencyRecord, Initiator, TenantScoped
from frontdesk.processors import Processor
from frontdesk.processors.paypal import PayPalProcessor
from frontdesk.services import audit, businesses, idempotency
from frontdesk.services.errors import Invalid, NotFound, Unauthenticated
from frontdesk.services.links import Links
from frontdesk.services.rate_limits import Limited
from frontdesk.settings import Settings

PROBLEM = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """RFC 9457 problem details; `errors` names each field a person must fix."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if fields:
        body["errors"] = [{"field": name, "detail": text} for name, text in fields.items()]
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


@dataclass(frozen=True)
class Call:
    """What a handler gets: its business's session, the validated body and query, path values."""

    session: Session
    business: Business
    settings: Settings
    params: dict[str, str]
    body: Any
    query: Any
    api_key_id: str
    processor: Processor
    links: Links
    # For the few reads that cross businesses on purpose (`db.unscoped(reason)`).
    db: Database
    # PayPal, when it is set up (refunds of payments made with it go back through it).
    paypal: PayPalProcessor | None = None

    @property
    def actor(self) -> audit.Actor:
        """The API key that called, as the services write it into the audit trail."""
        return audit.Actor(Initiator.API, self.api_key_id)


Handler = Callable[[Call], BaseModel]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    summary: str
    tag: str
    handler: Handler
    response: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    description: str = ""
    # The body is multipart/form-data: `body` validates its fields and its one file.
    upload: bool = False


def _field_errors(error: ValidationError, where: str) -> dict[str, str]:
    fields = {}
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or where
        pattern = (item.get("ctx") or {}).get("pattern", "")
        fields[name] = PATTERN_MESSAGES.get(pattern, item["msg"])
    return fields


def _unstorable(value: Any) -> bool:
    """Text no database column can hold: NUL characters, or lone UTF-16 surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def _validated(model: type[BaseModel] | None, data: Any, where: str) -> Any:
    if model is None:
        return None
    if _unstorable(data):
        raise Invalid(
            f"The request {where} holds characters that are not text.",
            {where: "Remove NUL characters and unpaired surrogates."},
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid(f"The request {where} needs fixing.", _field_errors(error, where)) from None


def _authenticate(request: Request) -> tuple[Business, ApiKey]:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("Send your secret API key as `Authorization: Bearer sk_...`.")
    with request.app.state.db.unscoped("an API key names its business") as session:
        try:
            return businesses.by_api_key(session, key.strip())
        except NotFound:
            raise Unauthenticated("This API key is not valid or has been revoked.") from None


def _json_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Invalid(
            "The request body is not valid JSON.", {"body": "Send a JSON object."}
        ) from None


async def _form_body(request: Request, model: type[BaseModel] | None) -> tuple[bytes, Any]:
    """A multipart body, validated, and what stands for it in the `Idempotency-Key` fingerprint:
    its fields and each file's name and hash (a retry's parts have a new boundary)."""
    form = await request.form(max_files=1, max_fields=50)
    data: dict[str, Any] = dict(form)
    printed: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.seek(0)
            digest = await run_in_threadpool(hashlib.sha256, content)  # 10 MB: not on the loop
            printed[name] = [value.filename, digest.hexdigest()]
        else:
            printed[name] = value
    return json.dumps(printed, sort_keys=True).encode(), _validated(model, data, "body")


def endpoint(operation: Operation) -> Callable[[Request], Any]:
    async def run(request: Request) -> Response:
        try:
            return await answer(request)
        finally:
            await request.close()  # an upload's files, spooled to disk when large

    async def answer(request: Request) -> Response:
        business, api_key = await run_in_threadpool(_authenticate, request)
        try:
            await run_in_threadpool(
                request.app.state.limiter.take, (request.app.state.api_limit, api_key.id)
            )
        except Limited as limited:
            return problem(
                429,
                "Too Many Requests",
                f"Too many requests with this key. Try again in {limited.retry_after} s.",
                headers={"Retry-After": str(limited.retry_after)},
            )
        if operation.upload:
            raw, body = await _form_body(request, operation.body)
        else:
            raw = await request.body()
            body = _validated(operation.body, _json_body(raw), "body") if operation.body else None
            if not operation.body and raw.strip() not in (b"", b"{}"):
                raise Invalid("This endpoint takes no request body.", {"body": "Send none."})
        query = _validated(operation.query, dict(request.query_params), "query")
        if _unstorable(dict(request.path_params)):
            raise NotFound("no such record")
        key = request.headers.get("idempotency-key") if operation.method == "POST" else None
        print_ = idempotency.fingerprint(operation.method, request.url.path, raw)

        def handle() -> tuple[int, dict[str, Any], bool]:
            db = request.app.state.db
            try:
                with db.session(business.id) as session:
                    claim: IdempotencyRecord | None = None
                    if key is not None:
                        found = idempotency.begin(
                            session, business=business, key=key, print_=print_
                        )
                        if isinstance(found, idempotency.Stored):
                            return found.status_code, found.body, True
                        claim = found
                    call = Call(
                        session=session,
                        business=business,
                        settings=request.app.state.settings,
                        params=dict(request.path_params),
                        body=body,
                        query=query,
                        api_key_id=api_key.id,
                        processor=request.app.state.processor,
                        links=request.app.state.links,
                        db=db,
                        paypal=request.app.state.paypal,
                    )
                    result = operation.handler(call).model_dump(mode="json")
                    if claim is not None:
                        idempotency.finish(claim, operation.status, result)
                    return operation.status, result, False
            except idempotency.InFlight:
                assert key is not None
                with db.session(business.id) as session:
                    stored = idempotency.replay(session, key=key, print_=print_)
                return stored.status_code, stored.body, True

        status, result, replayed = await run_in_threadpool(handle)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(result, status_code=status, headers=headers)

    return uploads(max_files=1)(run) if operation.upload else run


# --- cursor pagination ---------------------------------------------------------------------------

Row = TypeVar("Row", bound=TenantScoped)


def _cursor(row: Any) -> str:
    raw = json.dumps([row.created_at.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> tuple[datetime, str]:
    try:
        created, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), str(row_id)
    except (ValueError, TypeError, binascii.Error):
        raise Invalid(
            "This cursor is not one we gave out.",
            {"starting_after": "Pass the `next_cursor` of the previous page."},
        ) from None


def page(
    session: Session, statement: Any, model: type[Row], query: schemas.ListQuery
) -> tuple[list[Row], bool, str | None]:
    """Newest first, `limit` rows after the cursor: stable while rows are added."""
    created, row_id = col(model.created_at), col(model.id)  # type: ignore[attr-defined]
    if query.starting_after:
        at, after_id = _position(query.starting_after)
        statement = statement.where(or_(created < at, and_(created == at, row_id < after_id)))
    rows = list(
        session.exec(statement.order_by(created.desc(), row_id.desc()).limit(query.limit + 1))
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, more, (_cursor(rows[-1]) if more and rows else None)
