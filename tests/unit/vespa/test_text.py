"""Vespa's text-character rule."""

from __future__ import annotations

from connectors.vespa.text import first_non_text, strip_non_text


def test_control_characters_other_than_whitespace_are_stripped() -> None:
    assert strip_non_text("a\x00b\x08c\x0bd\x0ce\x1ff\tg\nh\ri\x7fj") == "abcdef\tg\nh\ri\x7fj"


def test_noncharacters_and_lone_surrogates_are_stripped_and_real_text_kept() -> None:
    assert strip_non_text("x\ufdd0\ufffe\uffff\U0001fffe\U0010ffff\ud800y") == "xy"
    assert strip_non_text("Grüße 日本 🎉 \u0085") == "Grüße 日本 🎉 \u0085"


def test_the_first_refused_character_is_reported() -> None:
    assert first_non_text("ok\x01\x02") == "\x01"
    assert first_non_text("fine") is None
