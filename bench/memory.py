"""Memory: resident memory of one `frontdesk serve` process idle, and after 10,000 requests to
the portal's home fragment, invoice list and pay step (wrk in its own process).

    .venv/bin/python bench/memory.py [--requests 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from common import REPO, demo_stack, save, served, table


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    total = parser.parse_args().requests
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as data:
        with demo_stack(data) as stack:
            session, key = stack.session(), stack.key
        with served(Path(data)) as (url, pid):
            headers = {"Authorization": f"Bearer {session}", "HX-Request": "true"}
            time.sleep(1)
            idle = rss_mib(pid)
            paths = [f"/portal/{key}/home", f"/portal/{key}/invoices", f"/portal/{key}/pay"]
            sent = 0
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                # Sixteen at a time from a thread pool would share our GIL; one client in turn
                # keeps the server the only thing measured.
                while sent < total:
                    assert client.get(paths[sent % 3]).status_code == 200
                    sent += 1
            time.sleep(1)
            after = rss_mib(pid)
    rows = [
        ["idle, after start", f"{idle:.1f}"],
        [f"after {sent:,} requests", f"{after:.1f}"],
        ["growth", f"{after - idle:+.1f}"],
    ]
    print("Resident memory of one server process (MiB):")
    print(table(["when", "RSS MiB"], rows))
    path = save("memory", {"idle_mib": idle, "after_mib": after, "requests": sent})
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
