"""The scale-out charts of ``bench/charts.py``, from ``scale*.json``, ``cost*.json``,
``recovery*.json`` and ``notifier_scale*.json`` (the shapes are in bench/README.md, "Charts")."""

from __future__ import annotations

from typing import Any

from harness.plots import Missing, Results, bars, latency_axis, matching, new_figure
from matplotlib.figure import Figure


def scale(results: Results) -> Figure:
    """Items/s of 1 and 2 workers per service, the CPU cores they used over each bar."""
    reports = matching(results, "scale")
    services = {name: runs for report in reports.values() for name, runs in report["services"].items()}
    if not services:
        raise Missing("services in scale*.json")
    figure, (axis,) = new_figure("Scale-out: items/s by number of workers", 1, *reports.values())
    counts = sorted({count for runs in services.values() for count in runs}, key=int)
    width = 0.8 / len(counts)
    for index, count in enumerate(counts):
        xs = [n + (index - (len(counts) - 1) / 2) * width for n in range(len(services))]
        runs = [services[name].get(count) or {} for name in services]
        drawn = axis.bar(xs, [run.get("items_per_s", 0) for run in runs], width, label=f"{count} worker(s)")
        axis.bar_label(drawn, fontsize=7, labels=[
            f"{run.get('items_per_s', 0):,.0f}" + (f"\n{run['cpu_cores']:.1f} cores" if run.get("cpu_cores") is not None else "")
            for run in runs])
    axis.set_xticks(range(len(services)), list(services), fontsize=8)
    axis.set_ylabel("items/s")
    axis.margins(y=0.15)
    axis.legend(fontsize=8)
    return figure


def cost(results: Results) -> Figure:
    """Items/s and RSS against the number of events through a service (log scale)."""
    reports = matching(results, "cost")
    series = {label: points for report in reports.values() for label, points in report["series"].items()}
    if not series:
        raise Missing("series in cost*.json")
    figure, (rate, memory) = new_figure("Cost growth with the number of events", 2, *reports.values())
    for label, points in series.items():
        events = [p["events"] for p in points]
        rate.plot(events, [p["items_per_s"] for p in points], marker="o", label=label)
        if any(p.get("rss_mib") for p in points):
            memory.plot(events, [p.get("rss_mib") for p in points], marker="o", label=label)
    memory.axhline(500, color="tab:red", linestyle="--", linewidth=1, label="goal 500 MiB")
    for axis, unit in ((rate, "items/s"), (memory, "worker RSS, MiB")):
        axis.set_xscale("log")
        axis.set_xlabel("events")
        axis.set_ylabel(unit)
        axis.legend(fontsize=7)
    return figure


def recovery(results: Results) -> Figure:
    """Restart to ``Ready`` of a worker whose tables hold many keys, per case."""
    reports = matching(results, "recovery")
    cases: list[dict[str, Any]] = [case for report in reports.values() for case in report["cases"]]
    if not cases:
        raise Missing("cases in recovery*.json")
    figure, (axis,) = new_figure("Recovery: restart to Ready", 1, *reports.values())
    bars(axis, [f"{c['label']}\n{c.get('keys', 0):,} keys" for c in cases], [c["seconds"] for c in cases],
         unit="seconds", color="tab:green")
    goals = {c["goal_s"] for c in cases if c.get("goal_s")}
    for goal in goals:
        axis.axhline(goal, color="tab:red", linestyle="--", linewidth=1, label=f"goal {goal:g} s")
    if goals:
        axis.legend(fontsize=8)
    return figure


def notifier_scale(results: Results) -> Figure:
    """Produce -> frame latency of each notifier-at-scale run (clients, instances)."""
    reports = matching(results, "notifier_scale")
    runs = [run for report in reports.values() for run in report["runs"]]
    if not runs:
        raise Missing("runs in notifier_scale*.json")
    figure, (axis,) = new_figure("The notifier at scale: produce -> SSE frame", 1, *reports.values())
    latency_axis(axis, "many SSE clients", {run["label"]: run["latency_ms"] for run in runs})
    return figure


CHARTS = {"scale.png": scale, "cost.png": cost, "recovery.png": recovery, "notifier_scale.png": notifier_scale}
