"""The benchmarks' stand-ins keep the signatures of what they stand in for.

bench/bridge_bench.py's intake-only variant swaps the bridge's live side for ``_NoSyncs``. When
``LiveService.request`` gained its ``trace`` argument and the stand-in did not, every webhook of
that variant was answered 500 and the benchmark measured error pages; nothing but a benchmark run
would have shown it.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from producers.bridge.app import LiveService

BENCH = Path(__file__).resolve().parents[2] / "bench"


def shape(function: object) -> list[tuple[str, inspect._ParameterKind, bool]]:
    """Parameter names, kinds and whether each has a default (annotations may differ)."""
    return [(p.name, p.kind, p.default is not p.empty) for p in inspect.signature(function).parameters.values()]


def test_the_intake_only_stand_in_takes_what_the_bridge_passes_its_live_side(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    import bridge_bench

    assert shape(bridge_bench._NoSyncs.request) == shape(LiveService.request)
