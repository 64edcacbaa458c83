"""Throughput and latency of the portal's home fragment (drawn, and revalidated with its ETag:
a 304), invoice list and pay step at 1, 16 and 64 connections, interleaved in rounds with a bare
Starlette endpoint served the same way (the ceiling for any Starlette app on this machine). Each
cell runs the ceiling and every view back to back, so a view's ratio compares it with the ceiling
measured moments before it, whatever else the machine was doing; the figures are medians over the
rounds. Both servers run as `frontdesk serve` does by default: a process per core. The load comes
from wrk in its own process.

    .venv/bin/python bench/throughput.py [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from common import REPO, demo_stack, free_port_block, save, served, table, wait_for

CONNECTIONS = (1, 16, 64)
CEILING = "bare Starlette"
REVALIDATED = "home, revalidated (304)"
GOALS = {"ratio_home_at_64": 0.1, "ratio_revalidation_at_64": 1 / 3, "p99_ms_at_64": 50.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    # wrk counts a 304 as an answer, not an error: only 4xx and 5xx are "Non-2xx or 3xx".
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


@contextmanager
def bare(workers: int) -> Iterator[str]:
    port = free_port_block(1)
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bare_app.py"), str(port), str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _room_in_the_minute(seconds: int) -> None:
    """The home fragment's tag holds the minute (routes/portal/tags.py): wait until what is
    about to run (`seconds` of it) can start and end within one."""
    while 60 - time.time() % 60 < seconds + 2:
        time.sleep(0.5)


def _revalidation(url: str, headers: dict[str, str]) -> dict[str, str]:
    """The headers of a browser asking again for the home fragment it holds."""
    tag = httpx.get(url, headers=headers).headers.get("ETag")
    assert tag, "the home fragment carries an ETag"
    asked = {**headers, "If-None-Match": tag}
    assert httpx.get(url, headers=asked).status_code == 304
    return asked


def measure(seconds: int, rounds: int) -> tuple[dict[str, dict[int, list[dict[str, float]]]], int]:
    workers = os.cpu_count() or 1
    runs: dict[str, dict[int, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as data:
        with demo_stack(data) as stack:
            session, key, site = stack.session(), stack.key, stack.site
        with served(Path(data)) as (url, _), bare(workers) as ceiling:
            # What the widget sends from the business's page (CORS makes the Origin header).
            auth = {"Authorization": f"Bearer {session}", "HX-Request": "true", "Origin": site}
            home = f"{url}/portal/{key}/home"
            targets: dict[str, tuple[str, Callable[[], dict[str, str]]]] = {
                CEILING: (ceiling, dict),
                "home fragment": (home, lambda: auth),
                REVALIDATED: (home, lambda: _revalidation(home, auth)),
                "invoice list": (f"{url}/portal/{key}/invoices", lambda: auth),
                "pay step": (f"{url}/portal/{key}/pay", lambda: auth),
            }
            for target, headers in targets.values():
                wrk(target, 4, 1, headers())  # warm up every process
            for _ in range(rounds):
                for c in CONNECTIONS:
                    # Every cell of a round at one number of connections within one minute,
                    # the tag taken just before: the 304s are all 304s, and each view runs
                    # moments after the ceiling it is compared with.
                    _room_in_the_minute(len(targets) * (seconds + 1))
                    asked = {name: headers() for name, (_, headers) in targets.items()}
                    for name, (target, _) in targets.items():
                        cell = runs.setdefault(name, {}).setdefault(c, [])
                        cell.append(wrk(target, c, seconds, asked[name]))
                    assert httpx.get(home, headers=asked[REVALIDATED]).status_code == 304
    return runs, workers


def summarise(runs: dict[str, dict[int, list[dict[str, float]]]]) -> dict[str, dict[int, dict]]:
    """Per view and connections: the medians over rounds, and the median of each round's ratio."""
    out: dict[str, dict[int, dict]] = {}
    for name, by_connections in runs.items():
        for c, cells in by_connections.items():
            ceilings = runs[CEILING][c]
            ratios = [cell["rps"] / top["rps"] for cell, top in zip(cells, ceilings, strict=True)]
            out.setdefault(name, {})[c] = {
                "rps": statistics.median(cell["rps"] for cell in cells),
                "p50_ms": statistics.median(cell["p50_ms"] for cell in cells),
                "p99_ms": statistics.median(cell["p99_ms"] for cell in cells),
                "ratio": statistics.median(ratios),
                "errors": sum(cell["errors"] for cell in cells),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk); ./scripts/bench installs it as root")
    runs, workers = measure(args.seconds, args.rounds)
    results = summarise(runs)
    rows = []
    for name, by_connections in results.items():
        for c, f in by_connections.items():
            figures = [f"{f['rps']:.0f}", f"{f['p50_ms']:.1f}", f"{f['p99_ms']:.1f}"]
            rows.append([name, c, *figures, f"{f['ratio']:.3f}", int(f["errors"])])
    print(
        f"wrk, {args.rounds} rounds of {args.seconds} s per cell, interleaved; "
        f"{workers} worker processes per server (loopback); medians over the rounds:"
    )
    header = ["endpoint", "connections", "req/s", "p50 ms", "p99 ms", "of bare", "errors"]
    print(table(header, rows))
    home, again = results["home fragment"][64], results[REVALIDATED][64]
    print(
        f"\nat 64 connections: home {home['ratio']:.3f} of bare "
        f"(goal >= {GOALS['ratio_home_at_64']:.2f}), p99 {home['p99_ms']:.1f} ms "
        f"(goal < {GOALS['p99_ms_at_64']:.0f}); a 304 revalidation {again['ratio']:.3f} of bare "
        f"(goal >= {GOALS['ratio_revalidation_at_64']:.2f})"
    )
    path = save(
        "throughput",
        {
            "seconds": args.seconds,
            "rounds": args.rounds,
            "workers": workers,
            "goals": GOALS,
            "results": results,
            "runs": runs,
        },
    )
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
