"""What every benchmark shares: a running demo stack, a signed-in portal session, percentiles,
the printed table and the JSON file of results."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
# The committed figures change only when asked (`./scripts/bench --save`); a plain run writes
# beside them, so trying a change never rewrites what the README quotes.
SAVING = os.environ.get("FRONTDESK_BENCH_SAVE") == "1"
UNSAVED = RESULTS / "unsaved"
FRONTDESK = str(Path(sys.executable).parent / "frontdesk")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port_block(size: int = 3) -> int:
    """A port P with P..P+size-1 free (the demo takes three)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port + size < 65535 and all(_free(port + i) for i in range(size)):
            return port
    raise RuntimeError("no free block of ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Stack:
    """`frontdesk demo` in its own process: the portal, the sample website, the Stripe sandbox."""

    portal: str
    site: str
    key: str
    pid: int
    data_dir: Path

    def session(self) -> str:
        """A portal session for the demo customer, as the widget gets one."""
        page = httpx.get(f"{self.site}/account").text
        token = re.search(r'token="([^"]+)"', page)
        assert token, "the sample website carries an embed token"
        answer = httpx.post(
            f"{self.portal}/portal/{self.key}/session",
            data={"token": token.group(1)},
            headers={"Origin": self.site, "HX-Request": "true"},
        )
        answer.raise_for_status()
        return answer.headers["Frontdesk-Session"]


@contextmanager
def demo_stack(data: str | None = None) -> Iterator[Stack]:
    """The demo on free ports; `data` keeps its database (and key) for a later `served` run."""
    port = free_port_block()
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as scratch:
        data = data or scratch
        env = dict(os.environ)
        process = subprocess.Popen(
            [FRONTDESK, "demo", "--port", str(port), "--data-dir", data],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            portal, site = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
            wait_for(f"{portal}/healthz")
            wait_for(f"{site}/account")
            key = re.search(r'business="(pk_[^"]+)"', httpx.get(f"{site}/account").text)
            assert key
            yield Stack(portal, site, key.group(1), process.pid, Path(data))
        finally:
            process.terminate()
            process.wait(timeout=20)


@contextmanager
def served(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """`frontdesk serve` as deployed (a process per core) on the demo's database and key."""
    port = free_port_block(1)
    database = next(data_dir.glob("*.db"))
    process = subprocess.Popen(
        [FRONTDESK, "serve", "--port", str(port)],
        env={
            **os.environ,
            "FRONTDESK_SECRET_KEY": (data_dir / "secret_key").read_text().strip(),
            "FRONTDESK_DATABASE_URL": f"sqlite:///{database}",
            "FRONTDESK_BASE_URL": f"http://127.0.0.1:{port}",
            **(env or {}),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/healthz")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def save(name: str, data: dict[str, Any]) -> Path:
    folder = RESULTS if SAVING else UNSAVED
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2) + "\n")
    return path
