"""The scale-out charts of ``bench/charts.py``, from ``scale_out.json``, ``cost_growth.json``,
``recovery.json`` and ``notifier_scale.json`` as their benchmarks write them (several files of one
prefix are merged; the shapes are in bench/README.md, "Charts")."""

from __future__ import annotations

from typing import Any

from harness.plots import Missing, Results, bars, matching, new_figure
from matplotlib.figure import Figure

WORKERS = {"one": 1, "two": 2}  # scale_out.json's variants: the number of workers of a service
RSS_GOAL_MB = 500  # cost_growth_bench.py's goal: peak RSS at the largest size
RECOVERY_GOAL_S = 30  # cost_growth_bench.py's goal: restart to Ready with the RocksDB disk kept


def _cores(run: dict[str, Any]) -> float:
    """CPU cores the service's workers used: their cpu_percent summed, the machine's left out."""
    return sum(pct for process, pct in run.get("cpu_percent", {}).items() if process != "machine") / 100


def scale(results: Results) -> Figure:
    """Items/s of one and two workers per service, the CPU cores the workers used over each bar."""
    reports = matching(results, "scale_out")
    services = {name: runs for report in reports.values() for name, runs in report["services"].items()}
    if not services:
        raise Missing("services in scale_out*.json")
    figure, (axis,) = new_figure("Scale-out: items/s by number of workers", 1, *reports.values())
    width = 0.8 / len(WORKERS)
    for index, (variant, count) in enumerate(WORKERS.items()):
        xs = [n + (index - (len(WORKERS) - 1) / 2) * width for n in range(len(services))]
        runs = [services[name].get(variant) or {} for name in services]
        # A variant that did not finish has items_per_s null: no bar, "incomplete" where it would be.
        drawn = axis.bar(xs, [run.get("items_per_s") or 0 for run in runs], width, label=f"{count} worker(s)")
        axis.bar_label(drawn, fontsize=7, labels=[
            f"{run['items_per_s']:,.0f}\n{_cores(run):.2f} cores" if run.get("items_per_s") else "incomplete"
            for run in runs])
    axis.set_xticks(range(len(services)), list(services), fontsize=8)
    axis.set_ylabel("items/s (cores: the workers' CPU)")
    axis.margins(y=0.15)
    axis.legend(fontsize=8)
    return figure


def cost(results: Results) -> Figure:
    """Items/s and peak RSS against the number of events through a service (log scale)."""
    reports = matching(results, "cost_growth")
    series = {report.get("service", stem): report["sizes"] for stem, report in reports.items() if report.get("sizes")}
    if not series:
        raise Missing("sizes in cost_growth*.json")
    figure, (rate, memory) = new_figure("Cost growth with the number of events", 2, *reports.values())
    for label, sizes in series.items():
        events = [size["events"] for size in sizes]
        rate.plot(events, [size["items_per_s"] for size in sizes], marker="o", label=label)
        memory.plot(events, [size["rss_mb"] for size in sizes], marker="o", label=label)
    memory.axhline(RSS_GOAL_MB, color="tab:red", linestyle="--", linewidth=1, label=f"goal {RSS_GOAL_MB} MB")
    for axis, unit in ((rate, "items/s"), (memory, "worker peak RSS, MB")):
        axis.set_xscale("log")
        axis.set_xlabel("events")
        axis.set_ylabel(unit)
        axis.legend(fontsize=7)
    return figure


def recovery(results: Results) -> Figure:
    """Restart to ``Ready`` of a worker whose tables hold many keys: RocksDB kept, fresh disk."""
    reports = matching(results, "recovery")
    figure, (axis,) = new_figure("Recovery: restart to Ready", 1, *reports.values())
    labels, seconds = [], []
    for stem, report in reports.items():
        suffix = f"\n{report['keys']:,} keys" + (f" ({stem})" if len(reports) > 1 else "")
        labels += [f"RocksDB kept{suffix}", f"fresh disk{suffix}"]
        seconds += [report["kept_disk_s"], report["fresh_disk_s"]]
    bars(axis, labels, seconds, unit="seconds", color="tab:green")
    axis.axhline(RECOVERY_GOAL_S, color="tab:red", linestyle="--", linewidth=1, label=f"goal {RECOVERY_GOAL_S} s (kept)")
    axis.legend(fontsize=8)
    return figure


def notifier_scale(results: Results) -> Figure:
    """Produce -> frame p50/p95/p99 of each notifier-at-scale run, its missing and duplicate frames."""
    reports = matching(results, "notifier_scale")
    runs = [run for report in reports.values() for run in report["runs"]]
    if not runs:
        raise Missing("runs in notifier_scale*.json")
    figure, (axis,) = new_figure("The notifier at scale: produce -> SSE frame", 1, *reports.values())
    quantiles, width = ("p50", "p95", "p99"), 0.8 / 3
    for index, quantile in enumerate(quantiles):
        xs = [n + (index - 1) * width for n in range(len(runs))]
        drawn = axis.bar(xs, [run["latency_ms"][quantile] for run in runs], width, label=quantile)
        axis.bar_label(drawn, labels=[f"{run['latency_ms'][quantile]:,.0f}" for run in runs], fontsize=7)
    axis.set_xticks(range(len(runs)), [
        f"{run['instances']} notifier{'s' if run['instances'] > 1 else ''}, {run['clients']:,} clients\n"
        f"{run['events']:,} events: missing {run['missing']:,}, duplicate {run['duplicate']:,}" for run in runs],
        fontsize=7)
    axis.set_ylabel("ms")
    axis.margins(y=0.15)
    axis.legend(fontsize=8)
    return figure


CHARTS = {"scale.png": scale, "cost.png": cost, "recovery.png": recovery, "notifier_scale.png": notifier_scale}
