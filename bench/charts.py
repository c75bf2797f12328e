"""PNG charts of the benchmark results: ``bench/results/*.json`` -> ``bench/results/charts/*.png``.

``.venv/bin/python bench/charts.py`` draws every chart whose results exist and skips the others
with a note (``--results DIR``, ``--out DIR``; ``--only latency.png,rss.png`` for some).
``make bench`` runs it at the end. Each chart and the JSON it reads is in bench/README.md
("Charts"); the drawing is in ``harness/plots.py`` and ``harness/plots_scale.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display; before anything imports pyplot

from harness import plots, plots_scale  # noqa: E402
from harness.report import RESULTS_DIR  # noqa: E402

CHARTS = plots.CHARTS | plots_scale.CHARTS


def load_results(directory: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every ``*.json`` of ``directory`` by file stem, and a note for each that is not valid JSON."""
    results, notes = {}, []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            notes.append(f"{path.name}: unreadable ({exc}), left out")
            continue
        if isinstance(data, dict):
            results[path.stem] = data
    return results, notes


def draw(results: dict[str, dict[str, Any]], out: Path, only: Sequence[str] = ()) -> tuple[list[Path], list[str]]:
    """Write each chart to ``out``; a chart whose results are missing or lack a figure is skipped
    with a note saying why (a half-finished benchmark must not cost the other charts)."""
    out.mkdir(parents=True, exist_ok=True)
    written, notes = [], []
    for name, chart in CHARTS.items():
        if only and name not in only:
            continue
        try:
            figure = chart(results)
        except plots.Missing as missing:
            notes.append(f"{name}: skipped, no {missing}")
            continue
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            notes.append(f"{name}: skipped, its results lack a figure ({type(exc).__name__}: {exc})")
            continue
        path = out / name
        figure.savefig(path)
        written.append(path)
    return written, notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON results are")
    parser.add_argument("--out", type=Path, default=None, help="where the PNGs go (default: <results>/charts)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(CHARTS)}")
    args = parser.parse_args(argv)
    results, notes = load_results(args.results)
    written, skipped = draw(results, args.out or args.results / "charts", [n for n in args.only.split(",") if n])
    for path in written:
        print(f"chart {path} ({path.stat().st_size // 1024} KB)")
    for note in notes + skipped:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
