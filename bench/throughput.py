"""Throughput and latency of the portal's home fragment, invoice list and pay step at 1, 16 and
64 connections, each beside a bare Starlette endpoint served the same way in the same run (the
ceiling for any Starlette app on this machine). The load comes from wrk in its own process.

    .venv/bin/python bench/throughput.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import REPO, demo_stack, free_port_block, save, served, table, wait_for

CONNECTIONS = (1, 16, 64)
GOALS = {"ratio_home": 1 / 3, "p99_ms_at_64": 50.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "errors": int(errors.group(1))
        if errors
        else 0 + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


@contextmanager
def bare() -> Iterator[str]:
    port = free_port_block(1)
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bare_app.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    seconds = parser.parse_args().seconds
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk); ./scripts/bench installs it as root")
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as data:
        with demo_stack(data) as stack:
            session, key, site = stack.session(), stack.key, stack.site
        results: dict[str, dict[int, dict[str, float]]] = {}
        with served(Path(data)) as (url, _), bare() as ceiling:
            # What the widget sends from the business's page (CORS makes the Origin header).
            auth = {"Authorization": f"Bearer {session}", "HX-Request": "true", "Origin": site}
            targets = {
                "home fragment": (f"{url}/portal/{key}/home", auth),
                "invoice list": (f"{url}/portal/{key}/invoices", auth),
                "pay step": (f"{url}/portal/{key}/pay", auth),
                "bare Starlette": (ceiling, {}),
            }
            for name, (target, headers) in targets.items():
                wrk(target, 4, 1, headers)  # warm up
                results[name] = {c: wrk(target, c, seconds, headers) for c in CONNECTIONS}
    rows = []
    for name, by_connections in results.items():
        for c, figures in by_connections.items():
            ratio = figures["rps"] / results["bare Starlette"][c]["rps"]
            rows.append(
                [
                    name,
                    c,
                    f"{figures['rps']:.0f}",
                    f"{figures['p50_ms']:.2f}",
                    f"{figures['p99_ms']:.2f}",
                    f"{ratio:.2f}",
                    int(figures["errors"]),
                ]
            )
    print(f"wrk, {seconds} s per cell, one server process each (loopback):")
    print(
        table(
            ["endpoint", "connections", "req/s", "p50 ms", "p99 ms", "of ceiling", "errors"], rows
        )
    )
    home64 = results["home fragment"][64]
    ratio = home64["rps"] / results["bare Starlette"][64]["rps"]
    print(
        f"\nhome fragment at 64 connections: {ratio:.2f} of the ceiling (goal >= 0.33), "
        f"p99 {home64['p99_ms']:.1f} ms (goal < {GOALS['p99_ms_at_64']:.0f})"
    )
    path = save("throughput", {"seconds": seconds, "goals": GOALS, "results": results})
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
