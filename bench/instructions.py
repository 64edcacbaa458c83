"""Instructions per request for the portal's home fragment (drawn, and revalidated with its
ETag), invoice list and pay step: the app
driven in-process (straight through its ASGI interface, no sockets) under Callgrind, counting
only the measured requests, so the figure is the same whatever else the machine is doing.

    .venv/bin/python bench/instructions.py [--requests 10]

This process seeds a demo database at full speed, then starts a second one under
`valgrind --tool=callgrind --instr-atstart=no`, which builds the app and warms every view up
uninstrumented. For each view this side zeroes the counters, switches instrumentation on with
`callgrind_control -i on`, tells the measured process to serve N requests, and once it answers,
switches instrumentation off and dumps the counts. Callgrind's client requests would be exact
but are not reachable from Python; `--toggle-collect` on a function counts only the thread that
called it, and a request's work is spread over the event loop's thread and the threadpool's.
Instrumentation is global, and the measured process sits blocked in a read while it is switched
(vgdb reaches a process blocked in a system call), so the count holds the N requests plus the
return from one read and the start of the next: some thousands of instructions, under 0.1 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import REPO, save, table

from frontdesk import demo, migrations  # type: ignore[attr-defined]
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.services import portal
from frontdesk.services.links import Links
from frontdesk.settings import Settings, load

# What each view is asked with: its path, and whether it brings the ETag of the last answer.
VIEWS = {
    "home fragment": ("/home", False),
    "home, revalidated (304)": ("/home", True),
    "invoice list": ("/invoices", False),
    "pay step": ("/pay", False),
}
# A revalidation's goal is a share of bare Starlette's requests (bench/throughput.py), not a count.
GOALS = {"home fragment": 3e6, "invoice list": 4e6, "pay step": 4e6}
BASE_URL = "http://127.0.0.1:8000"
SITE = "http://127.0.0.1:8001"
WARM_UP = 3


def seed(data: Path) -> dict[str, str]:
    """The demo business in a fresh SQLite database, and a portal session for its customer."""
    secret = "bench-" + "k" * 40
    database_url = f"sqlite:///{data / 'bench.db'}"
    migrations.upgrade(database_url)
    db = Database(database_url)
    seeded = demo.ensure(db, sample_site_origin=SITE)
    links = Links.from_settings(_settings(data, secret, database_url))
    session = links.session(seeded.signed_in_customer, portal.new_session_id())
    db.dispose()
    return {
        "secret": secret,
        "database_url": database_url,
        "key": seeded.business.publishable_key,
        "session": session,
        "data": str(data),
    }


def _settings(data: Path, secret: str, database_url: str) -> Settings:
    return load(
        data_dir=data,
        secret_key=(secret,),
        database_url=database_url,
        base_url=BASE_URL,
        run_jobs=False,
    )


async def _get(app: Any, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """One GET through the app's ASGI interface, as a server would make it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    answered = asyncio.Event()
    sent: dict[str, Any] = {"status": 0, "body": b"", "etag": ""}

    async def receive() -> dict[str, Any]:
        if not sent.get("asked"):
            sent["asked"] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
            sent["etag"] = dict(message["headers"]).get(b"etag", b"").decode()
        else:
            sent["body"] += message.get("body", b"")
            if not message.get("more_body"):
                answered.set()

    await app(scope, receive, send)
    return sent["status"], sent


async def _serve(seeded: dict[str, str]) -> None:
    """The measured side: warm every view up, then serve N requests of a view per line read."""
    settings = _settings(Path(seeded["data"]), seeded["secret"], seeded["database_url"])
    app = create_app(settings)
    # An entity tag holds the minute: with the clock moving, a run that crossed one would count
    # revalidations drawn in full (some runs counted 304s at home's cost).
    moment = app.state.clock()
    app.state.clock = lambda: moment
    headers = {
        "Host": "127.0.0.1:8000",
        "Origin": SITE,
        "HX-Request": "true",
        "Authorization": f"Bearer {seeded['session']}",
    }
    prefix = f"/portal/{seeded['key']}"
    tags: dict[str, str] = {}
    async with app.router.lifespan_context(app):
        for path, revalidated in VIEWS.values():
            asked = headers | ({"If-None-Match": tags[path]} if revalidated else {})
            for _ in range(WARM_UP):
                status, answer = await _get(app, prefix + path, asked)
                if status != (304 if revalidated else 200):
                    sys.exit(f"{path} answered {status}: {answer['body'][:300]!r}")
                tags[path] = answer["etag"]
        print("ready", flush=True)
        for line in sys.stdin:
            path, count, revalidating = line.split()
            asked = headers | ({"If-None-Match": tags[path]} if revalidating == "1" else {})
            expected = 304 if revalidating == "1" else 200
            wrong: list[int] = []
            for _ in range(int(count)):
                status, _answer = await _get(app, prefix + path, asked)
                if status != expected:
                    wrong.append(status)
            # A count that holds answers of another kind is no figure of the view: refused.
            print(f"done {path} answered {wrong}" if wrong else "done", flush=True)


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def measure(seeded: dict[str, str], requests: int, out: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONHASHSEED": "0", "FRONTDESK_BENCH_SEEDED": json.dumps(seeded)}
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out",
            sys.executable,
            __file__,
            "--measured",
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin and process.stdout
    try:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the measured process did not start (run it without valgrind)")
        figures = {}
        for n, (view, (path, revalidated)) in enumerate(VIEWS.items(), start=1):
            _control(process.pid, "--zero")
            _control(process.pid, "--instr=on")
            process.stdin.write(f"{path} {requests} {int(revalidated)}\n")
            process.stdin.flush()
            said = process.stdout.readline().strip()
            if said != "done":
                raise RuntimeError(f"{view}: {said or 'the measured process ended'}")
            _control(process.pid, "--instr=off")
            _control(process.pid, f"--dump=view {n}")  # vgdb passes the hint on unquoted
            figures[view] = _total(out / f"callgrind.out.{n}") / requests
        return figures
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def _total(dump: Path) -> int:
    found = re.search(r"^totals: (\d+)", dump.read_text(), re.MULTILINE)
    assert found, f"no totals in {dump}"
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10, help="measured requests per view")
    parser.add_argument("--measured", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measured:
        asyncio.run(_serve(json.loads(os.environ["FRONTDESK_BENCH_SEEDED"])))
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as scratch:
        seeded = seed(Path(scratch))
        figures = measure(seeded, args.requests, Path(scratch))
    rows = [
        [view, f"{count / 1e6:.2f} M", *_against(count, GOALS.get(view))]
        for view, count in figures.items()
    ]
    print(f"instructions per request (Callgrind, {args.requests} requests per view, in-process):")
    print(table(["view", "instructions", "goal", "met"], rows))
    path = save(
        "instructions",
        {"requests": args.requests, "instructions": figures, "goals": GOALS},
    )
    print(f"\nsaved {path.relative_to(REPO)}")


def _against(count: float, goal: float | None) -> list[str]:
    """The goal's cell and whether it is met ("no (2.3 times)" says by how much it is not)."""
    if goal is None:
        return ["", ""]
    return [f"≤ {goal / 1e6:.0f} M", "yes" if count <= goal else f"no ({count / goal:.1f} times)"]


if __name__ == "__main__":
    main()
