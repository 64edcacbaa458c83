"""The latest figures of every benchmark as one Markdown summary (what the README shows).

.venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from common import RESULTS, SAVING, UNSAVED


def load(name: str) -> dict[str, Any]:
    """This run's figure where it made one, else the committed one."""
    fresh = UNSAVED / f"{name}.json"
    path = fresh if not SAVING and fresh.exists() else RESULTS / f"{name}.json"
    return json.loads(path.read_text())


def on(data: dict[str, Any]) -> str:
    return str(data["machine"]["date"][:10])


def row(figure: str, measured: str, goal: str, data: dict[str, Any]) -> None:
    print(f"| {figure} | {measured} | {goal} | {on(data)} |")


def main() -> None:
    weight, ttp = load("weight"), load("time_to_portal")
    thr, scale, memory = load("throughput"), load("scale"), load("memory")
    dashboard = load("scale_dashboard")
    start, instructions = load("demo_start"), load("instructions")
    m = weight["machine"]
    print(f"On {m['platform']}, {m['cpus']} CPUs, Python {m['python']}.\n")
    print("| figure | measured | goal | on |")
    print("|---|---|---|---|")
    own = weight["own_js"]["gzip"]
    row("our own JavaScript (loader, minified, gzip)", f"{own:,} B", "< 4,096 B", weight)
    paint = weight["first_paint"]
    row(
        "everything before first paint (gzip)",
        f"{paint['gzip']:,} B ({paint['raw']:,} B raw)",
        "< 25,600 B",
        weight,
    )
    pay = weight["pay_step_before_stripe"]["gzip"]
    row("payment step before Stripe.js (gzip)", f"{pay:,} B", "", weight)
    for name, found in weight["competitors"].items():
        label = f"{name} {found['version']}: its loader files alone (gzip)"
        row(label, f"{found['gzip']:,} B", "", weight)
    for cache in ("cold", "warm"):
        f = ttp[f"{cache}_ms"]
        figures = f"{f['median']:.0f} / {f['p95']:.0f} ms"
        goal = f"median < {ttp.get('goal_median_ms', 100):.0f} ms"
        row(f"time to portal, {cache} cache, median / p95", figures, goal, ttp)
    for view, count in instructions["instructions"].items():
        aim = instructions["goals"].get(view)
        goal = f"≤ {aim / 1e6:.0f} M" if aim else ""
        row(
            f"instructions per request, {view} (Callgrind)",
            f"{count / 1e6:.1f} M",
            goal,
            instructions,
        )
    results = thr["results"]
    workers = f"{thr['workers']} processes each, medians of {thr['rounds']} interleaved rounds"
    for name in ("home fragment", "home, revalidated (304)", "invoice list", "pay step"):
        cells = [
            f"{c}: {f['rps']:,.0f} req/s ({f['ratio']:.3f} of bare), "
            f"p50 {f['p50_ms']:.0f} / p99 {f['p99_ms']:.0f} ms"
            for c, f in results[name].items()
        ]
        aims = thr["goals"]
        goal = {
            "home fragment": f"≥ {aims['ratio_home_at_64']:.2f} of bare, "
            f"p99 < {aims['p99_ms_at_64']:.0f} ms at 64",
            "home, revalidated (304)": f"≥ {aims['ratio_revalidation_at_64']:.2f} of bare at 64",
        }.get(name, "")
        row(f"{name}, by connections ({workers})", "; ".join(cells), goal, thr)
    top = results["bare Starlette"]
    ceiling = "; ".join(f"{c}: {f['rps']:,.0f} req/s" for c, f in top.items())
    row(f"bare Starlette, by connections ({workers})", ceiling, "", thr)
    for r in scale["results"]:
        home, listed = r["home"], r["invoice_list"]
        row(
            f"scale: {r['database']}, {r['businesses']:,} businesses, {r['invoices']:,} invoices",
            f"home p50 {home['median_ms']:.1f} ms ({home['statements']} SQL), "
            f"list p50 {listed['median_ms']:.1f} ms ({listed['statements']} SQL)",
            "flat",
            scale,
        )
    for r in dashboard["results"]:
        cells = ", ".join(
            f"{page} p50 {r[page]['median_ms']:.1f} ms ({r[page]['statements']} SQL)"
            for page in ("customer list", "customer search", "invoice list")
        )
        figure = f"dashboard at {dashboard['customers']:,} customers: {r['database']}"
        row(figure, cells, f"p50 < {dashboard['goal_p50_ms']} ms", dashboard)
    row(
        f"memory of one process: idle / after {memory['requests']:,} requests",
        f"{memory['idle_mib']:.0f} / {memory['after_mib']:.0f} MiB",
        "",
        memory,
    )
    for kind in ("new data", "restart"):
        banner = statistics.median(start[kind]["banner_s"])
        row(f"demo start ({kind}), median to banner", f"{banner:.1f} s", "< 10 s", start)


if __name__ == "__main__":
    main()
