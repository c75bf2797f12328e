"""The BMP fast path of the text-character rule refuses exactly what the one full class refused."""

from __future__ import annotations

import random
import re

from connectors.vespa.text import first_non_text, strip_non_text

#: The rule as one class, as it was before the fast path: the reference.
_PLANE_ENDS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
_REFERENCE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufddf" + re.escape(_PLANE_ENDS) + "]")

_ALPHABETS = [
    "abc XYZ 123\t\n\r",  # plain ASCII
    "\x00\x01\x08\x0b\x0c\x1f\x7f",  # control characters, refused and kept
    "éüßçñ\u0085\u00a0",  # Latin-1
    "日本語한국\u2028\ufdcf\ufdd0\ufddf\ufde0\ufffd\ufffe\uffff",  # BMP, noncharacters around U+FDD0
    "\ud800\udbff\udc00\udfff",  # lone surrogates
    "🎉😀\U00010000\U0001fffd\U0001fffe\U0001ffff\U0010fffd\U0010fffe\U0010ffff\U000efffe",  # astral
]


def _strings(count: int) -> list[str]:
    rng = random.Random(5)
    strings = []
    for _ in range(count):
        alphabet = "".join(rng.sample(_ALPHABETS, rng.randint(1, len(_ALPHABETS))))
        strings.append("".join(rng.choices(alphabet, k=rng.randint(0, 60))))
    return strings


def test_strip_non_text_matches_the_single_class_reference() -> None:
    for value in _strings(3000):
        assert strip_non_text(value) == _REFERENCE.sub("", value)


def test_first_non_text_matches_the_single_class_reference() -> None:
    for value in _strings(3000):
        found = _REFERENCE.search(value)
        assert first_non_text(value) == (found.group() if found else None)


def test_an_astral_plane_end_is_found_before_a_later_control_character() -> None:
    assert first_non_text("🎉 ok \U0002fffe then \x00") == "\U0002fffe"
    assert strip_non_text("a\U0002ffffb🎉\x00c") == "ab🎉c"


def test_is_text_matches_the_single_class_reference() -> None:
    from connectors.vespa.text import is_text

    strings = _strings(3000)
    answers = [is_text(value) for value in strings]
    assert answers == [_REFERENCE.search(value) is None for value in strings]
    assert 300 < sum(answers) < 2700  # both answers are exercised
