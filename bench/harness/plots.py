"""One function per chart of ``bench/charts.py``: each takes the loaded results and returns a
matplotlib figure, or raises ``Missing`` naming what it needs (a chart is then skipped, not failed)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

Results = Mapping[str, dict[str, Any]]  # file stem ("publisher", "scale_shipments", ...) -> its JSON

SIZE = (8.0, 4.5)  # inches; at 100 dpi a chart is 800 x 450 px, a few tens of KB


class Missing(LookupError):
    """The results a chart is drawn from are not there (or lack the figures it needs)."""


def need(results: Results, name: str) -> dict[str, Any]:
    if name not in results:
        raise Missing(f"{name}.json")
    return results[name]


def matching(results: Results, prefix: str) -> dict[str, dict[str, Any]]:
    """Every result whose file is ``<prefix>.json`` or ``<prefix>*.json`` (h3's scale runs and friends)."""
    found = {stem: data for stem, data in sorted(results.items()) if stem.startswith(prefix)}
    if not found:
        raise Missing(f"{prefix}*.json")
    return found


def machine_note(*reports: dict[str, Any]) -> str:
    """What a chart's figures were measured on: CPUs, model, the load average around the run."""
    machine = next((r["machine"] for r in reports if isinstance(r.get("machine"), dict)), {})
    start = [r["machine"].get("load_average_at_start") for r in reports if isinstance(r.get("machine"), dict)]
    end = [r["machine"].get("load_average_at_end") for r in reports if isinstance(r.get("machine"), dict)]
    load = ", ".join(f"{s[0]:.1f} -> {e[0]:.1f}" if e else f"{s[0]:.1f} at start" for s, e in zip(start, end) if s)
    return (f"{machine.get('cpu_count', '?')} CPUs ({machine.get('cpu_model') or 'unknown model'}), "
            f"load average (1 min) {load or 'not recorded'}")


def new_figure(title: str, columns: int = 1, *reports: dict[str, Any]) -> tuple[Figure, list[Any]]:
    figure = Figure(figsize=SIZE, dpi=100, layout="constrained")
    axes = figure.subplots(1, columns, squeeze=False)[0].tolist()
    figure.suptitle(title, fontsize=11)
    if reports:
        figure.supxlabel(machine_note(*reports), fontsize=7, color="0.4", x=0.01, ha="left")
    return figure, axes


def bars(axis: Any, labels: list[str], values: list[float], *, unit: str, color: str = "tab:blue") -> None:
    drawn = axis.bar(labels, values, color=color)
    axis.bar_label(drawn, labels=[f"{v:,.0f}" for v in values], fontsize=8)
    axis.set_ylabel(unit)
    axis.margins(y=0.12)  # room for the value labels over the bars
    axis.tick_params(axis="x", labelsize=8)


def publisher(results: Results) -> Figure:
    report = need(results, "publisher")
    summary, variants = report["summary"], ["raw", "encode+produce", "publisher"]
    figure, (rate, cost) = new_figure(
        f"Publisher vs raw produce: {summary['ratio_median_paired']:.2f} x raw (goal 0.5)", 2, report)
    bars(rate, variants, [summary[v]["events_per_s"] for v in variants], unit="events/s (median of rounds)")
    bars(cost, variants, [summary[v]["cpu_us_per_event"] for v in variants], unit="CPU-µs per event", color="tab:orange")
    return figure


def _pacing_curve(report: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Units charged in the trailing 60 s over the quota, at each second of the run."""
    charges = sorted((float(t), float(units)) for t, units in report["charges"])
    if not charges:
        raise Missing("google_pacing.json charges")
    quota, first = float(report["parameters"]["units_per_minute"]), charges[0][0]
    seconds = range(int(charges[-1][0] - first) + 2)
    fractions = [sum(u for t, u in charges if s - 60 < t - first <= s) / quota for s in seconds]
    return list(map(float, seconds)), fractions


def backfill(results: Results) -> Figure:
    present = [name for name in ("backfill", "google_pacing") if name in results]
    if not present:
        raise Missing("backfill.json and google_pacing.json")
    figure, axes = new_figure("Backfill: rate against a bare crawl, and the Gmail quota used", len(present),
                              *(results[n] for n in present))
    for axis, name in zip(axes, present, strict=True):
        report = results[name]
        if name == "backfill":
            summary = report["summary"]
            bars(axis, ["bare crawl", "runner"], [summary["bare crawl"]["emails_per_s"], summary["runner"]["emails_per_s"]],
                 unit="emails/s (Microsoft, median)")
            axis.set_title(f"runner / bare crawl {summary['ratio_median_paired']:.2f} (goal 0.8)", fontsize=9)
        else:
            seconds, fractions = _pacing_curve(report)
            axis.plot(seconds, fractions, label="units in the last 60 s / quota")
            axis.axhline(1.0, color="tab:red", linestyle="--", linewidth=1, label="quota")
            axis.axhline(0.9, color="0.5", linestyle=":", linewidth=1, label="goal 0.9 (steady)")
            axis.set_xlabel("seconds since the first call")
            axis.set_ylim(0, 1.2)
            figures = report["figures"]
            axis.set_title(f"Gmail at {report['parameters']['units_per_minute']:,} units/min: steady "
                           f"{figures['steady_fraction']:.2f}, 429s {figures['rejected']}", fontsize=9)
            axis.legend(fontsize=7, loc="lower right")
    return figure


def processors(results: Results) -> Figure:
    report = need(results, "processors")
    names = [n for n, row in report["services"].items() if row.get("worker")]
    if not names:
        raise Missing("processors.json with a completed service")
    services = report["services"]
    figure, (axis,) = new_figure("Each service's items/s against a plain decode loop (the ceiling)", 1, report)
    positions, width = list(range(len(names))), 0.38
    for offset, key, color in ((-width / 2, "ceiling", "0.6"), (width / 2, "worker", "tab:blue")):
        values = [services[n][key]["items_per_s"] for n in names]
        drawn = axis.bar([p + offset for p in positions], values, width, label=key, color=color)
        axis.bar_label(drawn, labels=[f"{v:,.0f}" for v in values], fontsize=7)
    axis.set_xticks(positions, [f"{n}\n{services[n]['ratio_items_per_s']:.2f} x ceiling" for n in names], fontsize=8)
    axis.set_ylabel("items/s")
    axis.margins(y=0.12)
    axis.legend(fontsize=8)
    return figure


def _hdr_x(q: float) -> float:
    """Percentile position on a log scale of the tail (50 -> 0.3, 99 -> 2, 99.9 -> 3)."""
    return -math.log10(max(1 - q / 100, 1e-4))


def _curve(stats: dict[str, Any]) -> list[tuple[float, float]]:
    points = stats.get("percentiles") or [[q, stats.get(k)] for q, k in ((50, "p50"), (95, "p95"), (99, "p99"), (100, "max"))]
    return [(float(q), float(v)) for q, v in points if v is not None]


def _two_and_five(value: float, _: object) -> str:
    label = f"{value:g}"
    return label if label.lstrip("0.")[:1] in ("2", "5") else ""


def latency_axis(axis: Any, title: str, lines: dict[str, dict[str, Any]]) -> None:
    for label, stats in lines.items():
        points = _curve(stats)
        if points:
            axis.plot([_hdr_x(q) for q, _ in points], [v for _, v in points], marker=".", label=label)
    ticks = [50, 90, 99, 99.9, 100]
    axis.set_xticks([_hdr_x(q) for q in ticks], ["p50", "p90", "p99", "p99.9", "max"], fontsize=8)
    axis.set_yscale("log")
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    # Between the powers of ten only 2 and 5 are labelled: all eight crowd each other.
    axis.yaxis.set_minor_formatter(FuncFormatter(_two_and_five))
    axis.tick_params(axis="y", which="both", labelsize=7)
    axis.set_ylabel("ms")
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7)


def latency(results: Results) -> Figure:
    present = [name for name in ("notifier_latency", "bridge") if name in results]
    if not present:
        raise Missing("notifier_latency.json and bridge.json")
    figure, axes = new_figure("Latency distributions", len(present), *(results[n] for n in present))
    for axis, name in zip(axes, present, strict=True):
        report = results[name]
        if name == "notifier_latency":
            params = report["parameters"]
            latency_axis(axis, f"produce -> SSE frame, {params['rate_per_s']:.0f} events/s",
                         {"notifier": report["latency_ms"], "Kafka only (produce -> poll)": report["kafka_baseline_latency_ms"]})
        else:
            latency_axis(axis, f"provider change -> update event, {report['users']} users",
                         {"change -> event": report["latency"]["latency_ms"],
                          "webhook answered": report["latency"]["webhook_answer_ms"]})
    return figure


def rss(results: Results) -> Figure:
    rows = [(f"{stem}: {label}", float(mib)) for stem, data in sorted(results.items()) if stem != "run"
            for label, mib in (data.get("rss_peak_mib") or {}).items() if mib]
    if not rows:
        raise Missing("rss_peak_mib in any result")
    figure = Figure(figsize=(SIZE[0], max(SIZE[1], 0.28 * len(rows) + 1.2)), dpi=100, layout="constrained")
    axis = figure.subplots()
    figure.suptitle("Peak RSS per process (VmHWM / ru_maxrss)", fontsize=11)
    drawn = axis.barh([label for label, _ in rows], [mib for _, mib in rows], color="tab:purple")
    axis.bar_label(drawn, labels=[f"{mib:,.0f}" for _, mib in rows], fontsize=7)
    axis.invert_yaxis()
    axis.tick_params(axis="y", labelsize=7)
    axis.set_xlabel("MiB")
    return figure


#: Every chart: file name -> how it is drawn. The scale-out ones live in plots_scale.py.
CHARTS: dict[str, Callable[[Results], Figure]] = {
    "publisher.png": publisher, "backfill.png": backfill, "processors.png": processors,
    "latency.png": latency, "rss.png": rss,
}
