"""Demo start: seconds from `./scripts/demo` to its banner and to the sample website answering, on a
new data directory (migrate and seed) and then restarted on the same one (the goal: under 10 s on
a warm machine, so trying the demo again is quick).

    .venv/bin/python bench/demo_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from common import REPO, free_port_block, median, save, table

GOAL_S = 10.0


def start_once(port: int, data_dir: Path, log: Path) -> tuple[float, float]:
    began = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(REPO / "scripts" / "demo"), "--port", str(port), "--data-dir", str(data_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        while "Ctrl+C stops" not in log.read_text():
            assert process.poll() is None, log.read_text()
            time.sleep(0.02)
        banner = time.perf_counter() - began
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port + 1}/account").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.02)
        return banner, time.perf_counter() - began
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows, data = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("new data", "restart"):
            banners, ready = [], []
            for run in range(args.runs):
                data_dir = Path(tmp) / (f"new-{run}" if kind == "new data" else "new-0")
                banner, answered = start_once(free_port_block(), data_dir, Path(tmp) / "demo.log")
                banners.append(banner)
                ready.append(answered)
            rows.append([kind, f"{median(banners):.2f}", f"{median(ready):.2f}", f"{GOAL_S:.0f}"])
            data[kind] = {"banner_s": banners, "site_answers_s": ready}
    print(table(["start", "banner (s, median)", "website answers (s)", "goal (s)"], rows))
    print(f"saved {save('demo_start', data)}")


if __name__ == "__main__":
    main()
