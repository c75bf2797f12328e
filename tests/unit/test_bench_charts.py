"""bench/charts.py and bench/run_all.py (make bench): missing or half-written results are skipped
with a note, the documented JSON shapes give PNGs, a failing benchmark does not stop the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def bench(monkeypatch: pytest.MonkeyPatch):
    """The bench scripts importable as bench/ puts them on the path when run (``harness``, ``charts``)."""
    monkeypatch.syspath_prepend(str(BENCH))
    import charts
    import run_all

    return charts, run_all


MACHINE = {"cpu_count": 2, "cpu_model": "test CPU", "load_average_at_start": [1.0, 1.0, 1.0],
           "load_average_at_end": [2.0, 1.0, 1.0]}
PUBLISHER = {"machine": MACHINE, "summary": {
    "raw": {"events_per_s": 50000, "cpu_us_per_event": 15},
    "encode+produce": {"events_per_s": 12000, "cpu_us_per_event": 80},
    "publisher": {"events_per_s": 9000, "cpu_us_per_event": 110}, "ratio_median_paired": 0.18}}
LATENCY = {"count": 3, "p50": 5.0, "p95": 9.0, "p99": 12.0, "max": 20.0,
           "percentiles": [[50, 5.0], [90, 8.0], [99, 12.0], [100, 20.0]]}
#: The scale-out results in the shapes their benchmarks write (scale_out_bench.py, cost_growth_bench.py,
#: notifier_scale_bench.py), as bench/README.md ("Charts") documents them.
SCALE_OUT = {
    "scale_out": {"machine": MACHINE, "services": {"shipments": {
        "one": {"completed": True, "items_per_s": 2800.0, "cpu_percent": {"shipments-0": 42.0, "machine": 200.0},
                "machine_busy_cores": 2.0},
        "two": {"completed": True, "items_per_s": 4300.0, "cpu_percent": {"shipments-0": 39.0, "shipments-1": 41.0,
                                                                         "machine": 200.0}, "machine_busy_cores": 2.0}},
        # A variant that did not finish in its timeout, as the benchmark writes it.
        "vespa-loader": {"one": {"completed": True, "items_per_s": 6600.0, "cpu_percent": {"vespa-loader-0": 95.0}},
                         "two": {"completed": False, "items_per_s": None, "cpu_percent": {}, "window_s": None}}}},
    "cost_growth": {"machine": MACHINE, "service": "shipments", "sizes": [
        {"events": 10_000, "completed": True, "items_per_s": 4800.0, "us_per_event": 208.0, "cpu_us_per_event": 76.0,
         "rss_mb": 142.0},
        {"events": 100_000, "completed": True, "items_per_s": 1430.0, "us_per_event": 699.0, "cpu_us_per_event": 114.0,
         "rss_mb": 246.0}], "goals": {"rss_goal_mb": 500, "rss_pass": True}},
    "recovery": {"machine": MACHINE, "keys": 100_000, "kept_disk_s": 6.1, "fresh_disk_s": 20.8,
                 "restarts": {"kept": {"completed": True}, "fresh": {"completed": True}}},
    "notifier_scale": {"machine": MACHINE, "runs": [
        {"instances": n, "clients": 1100, "events": 4000, "missing": 0, "duplicate": 0, "misrouted": 0,
         "latency_ms": {"count": 4400, "p50": 8.0, "p95": 30.0, "p99": 60.0, "max": 200.0}} for n in (1, 2)]},
}


def test_no_results_draws_nothing_and_says_why_for_every_chart(bench, tmp_path: Path) -> None:
    charts, _ = bench
    written, notes = charts.draw({}, tmp_path)
    assert written == [] and list(tmp_path.iterdir()) == []
    assert len(notes) == len(charts.CHARTS)
    assert any(note.startswith("scale.png: skipped, no scale_out*.json") for note in notes)


def test_a_publisher_result_gives_its_png_and_only_that(bench, tmp_path: Path) -> None:
    charts, _ = bench
    written, notes = charts.draw({"publisher": PUBLISHER}, tmp_path, only=["publisher.png", "latency.png"])
    assert written == [tmp_path / "publisher.png"]
    assert (tmp_path / "publisher.png").read_bytes().startswith(PNG)
    assert notes == ["latency.png: skipped, no notifier_latency.json and bridge.json"]


def test_a_result_lacking_a_figure_is_skipped_not_fatal(bench, tmp_path: Path) -> None:
    charts, _ = bench
    broken = {"publisher": {"machine": MACHINE, "summary": {"raw": {}}}, "notifier_latency": {
        "machine": MACHINE, "parameters": {"rate_per_s": 500}, "latency_ms": LATENCY, "kafka_baseline_latency_ms": LATENCY}}
    written, notes = charts.draw(broken, tmp_path, only=["publisher.png", "latency.png"])
    assert written == [tmp_path / "latency.png"]
    assert len(notes) == 1 and notes[0].startswith("publisher.png: skipped, its results lack a figure (KeyError")


@pytest.mark.parametrize(("chart", "stem"), [("scale.png", "scale_out"), ("cost.png", "cost_growth"),
                                             ("recovery.png", "recovery"), ("notifier_scale.png", "notifier_scale")])
def test_each_scale_out_result_as_written_gives_its_chart(bench, tmp_path: Path, chart: str, stem: str) -> None:
    charts, _ = bench
    written, notes = charts.draw({stem: SCALE_OUT[stem]}, tmp_path, only=[chart])
    assert notes == [] and written == [tmp_path / chart]
    assert (tmp_path / chart).read_bytes().startswith(PNG)


def test_every_results_peak_rss_gives_the_rss_chart(bench, tmp_path: Path) -> None:
    charts, _ = bench
    written, notes = charts.draw({"recovery": SCALE_OUT["recovery"] | {"rss_peak_mib": {"benchmark process": 90.0}}},
                                 tmp_path, only=["rss.png"])
    assert notes == [] and written == [tmp_path / "rss.png"]


def test_the_scale_chart_counts_the_workers_cpu_not_the_machines(bench) -> None:
    from harness import plots_scale

    runs = SCALE_OUT["scale_out"]["services"]["shipments"]
    assert plots_scale._cores(runs["one"]) == pytest.approx(0.42)
    assert plots_scale._cores(runs["two"]) == pytest.approx(0.80)


def test_unreadable_json_is_left_out_with_a_note(bench, tmp_path: Path) -> None:
    charts, _ = bench
    (tmp_path / "publisher.json").write_text(json.dumps(PUBLISHER))
    (tmp_path / "bridge.json").write_text('{"half written')
    results, notes = charts.load_results(tmp_path)
    assert list(results) == ["publisher"]
    assert len(notes) == 1 and notes[0].startswith("bridge.json: unreadable")
    assert charts.main(["--results", str(tmp_path)]) == 0
    assert (tmp_path / "charts" / "publisher.png").exists()


def test_the_runner_reports_failed_timed_out_and_missing_benchmarks(bench, tmp_path: Path) -> None:
    _, run_all = bench
    scripts = {"fails": "print('partial'); raise SystemExit(3)", "sleeps": "import time; time.sleep(60)", "works": "print('ok')"}
    for name, code in scripts.items():
        (tmp_path / f"{name}.py").write_text(code)
    env = {"PATH": "/usr/bin:/bin"}
    def run(name: str, limit_s: float) -> dict:
        return run_all.run_one(run_all.Benchmark(name, str(tmp_path / f"{name}.py"), (), limit_s=limit_s), env, tmp_path / "logs")

    rows = {name: run(name, limit) for name, limit in (("fails", 30), ("sleeps", 1), ("works", 30))}
    assert rows["fails"]["status"] == "failed" and rows["fails"]["reason"] == "exit status 3"
    assert (tmp_path / "logs" / "fails.log").read_text() == "partial\n"
    assert rows["sleeps"]["status"] == "failed" and "limit" in rows["sleeps"]["reason"]
    assert rows["sleeps"]["seconds"] < 30
    assert rows["works"]["status"] == "ok"
    missing = run_all.run_one(run_all.Benchmark("gone", str(tmp_path / "gone.py"), ()), env, tmp_path / "logs")
    assert missing["status"] == "skipped"


def test_every_benchmark_of_make_bench_exists_and_names_are_unique(bench) -> None:
    _, run_all = bench
    names = [b.name for b in run_all.BENCHMARKS]
    assert len(names) == len(set(names))
    assert all((BENCH / b.script).is_file() for b in run_all.BENCHMARKS)
    with pytest.raises(SystemExit, match="unknown benchmark"):
        run_all.select("serde,nope")
    assert sys.modules["charts"].CHARTS  # imported through bench/, as make bench does


def test_every_result_gets_the_load_at_its_end_and_the_peak_rss_of_noted_children(bench) -> None:
    from harness import report

    holds_40_mb = "import sys, time; b = bytearray(40_000_000); sys.stdout.write('x\\n'); sys.stdout.flush(); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", holds_40_mb], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"x\n"  # its 40 MB are resident now
        report.note_child_peak_rss("test child", child.pid)
    finally:
        child.kill()
        child.wait()
    finished = report.finish("test", {"machine": {"load_average_at_start": [0.0, 0.0, 0.0]}})
    assert finished["benchmark"] == "test" and len(finished["machine"]["load_average_at_end"]) == 3
    assert finished["rss_peak_mib"]["test child"] >= 38
    assert finished["rss_peak_mib"]["benchmark process"] > 0
