"""The one HTML-to-text converter the normalizers and the vespa-loader share."""

from __future__ import annotations

import pytest

from connectors.plain_text import html_to_text, looks_like_html, text_of


def test_markup_becomes_the_text_a_reader_sees() -> None:
    html = "<style>b {color: red}</style><b>Agenda</b><br>1. Budget<ul><li>one</li><li>two</li></ul><script>x()</script>"
    assert html_to_text(html) == "Agenda\n1. Budget\n\none\ntwo"
    assert html_to_text("  \n ") == ""


@pytest.mark.parametrize(("text", "is_html"), [
    ("<p>hi</p>", True), ("a<br/>b", True), ("<!-- note -->x", True), ("Agenda: a < b, <3", False), ("plain", False),
])
def test_markup_is_told_from_text_that_holds_a_less_than_sign(text: str, is_html: bool) -> None:
    assert looks_like_html(text) is is_html


def test_plain_text_is_kept_as_written() -> None:
    assert text_of("Bring:\n- snacks & <3") == "Bring:\n- snacks & <3"
    assert text_of("<p>Bring &amp; share</p>") == "Bring & share"
