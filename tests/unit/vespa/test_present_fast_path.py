"""The vespa mapping's one-check fast path for cleaning fields gives what cleaning each string gives."""

from __future__ import annotations

import random

from processors.vespa_loader.documents import MAX_TEXT_CHARS, _present, _present_slowly

_PIECES = ["plain words", "  padded  ", "", " ", "tab\tnew\nline\r", "\x00nul", "form\x0cfeed", "é ü", "日本",
           "\ud800", "\ufdd0", "🎉", "\U0001fffe", "x" * (MAX_TEXT_CHARS - 3)]


def _value(rng: random.Random) -> object:
    kind = rng.random()
    if kind < 0.45:
        return "".join(rng.choices(_PIECES, k=rng.randint(0, 3)))
    if kind < 0.75:
        return ["".join(rng.choices(_PIECES, k=rng.randint(0, 2))) for _ in range(rng.randint(0, 3))]
    return rng.choice([None, 0, 1, True, False, 1_700_000_000_000, [1, 2], ["a", 3]])


def test_the_fast_path_cleans_exactly_as_string_by_string_cleaning() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        fields = {f"f{i}": _value(rng) for i in range(rng.randint(0, 8))}
        assert _present(**fields) == _present_slowly(fields), fields
