"""The health endpoint load balancers and the CLI poll."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from frontdesk.db import DatabaseUnavailable


async def health(request: Request) -> JSONResponse:
    try:
        await run_in_threadpool(request.app.state.db.check)
    except DatabaseUnavailable:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


routes = [Route("/healthz", health, name="health")]
