"""The ceiling: a bare Starlette endpoint returning a fixed string, run by uvicorn the way
`frontdesk serve` runs (one process per core unless told, no access log).

    .venv/bin/python bench/bare_app.py PORT [WORKERS]
"""

import os
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def fixed(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/", fixed)])

if __name__ == "__main__":
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count() or 1
    uvicorn.run(
        "bare_app:app",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
