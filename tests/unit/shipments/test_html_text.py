"""HTML bodies to text: visible words, block breaks, link targets."""

from __future__ import annotations

from processors.shipments.html_text import html_to_text


def test_scripts_styles_and_head_are_dropped() -> None:
    html = (
        "<html><head><title>T</title><style>p{x:1}</style></head><body><script>var a=1</script><p>Hi</p></body></html>"
    )
    assert html_to_text(html) == "Hi"


def test_blocks_become_lines_and_cells_stay_on_one_line() -> None:
    html = (
        "<p>Hello</p><table><tr><td>Tracking number</td><td>123</td></tr><tr><td>Ship to</td><td>Ada</td></tr></table>"
    )
    assert html_to_text(html).splitlines() == ["Hello", "Tracking number 123", "Ship to Ada"]


def test_link_targets_follow_the_link_text() -> None:
    html = '<a href="https://www.ups.com/track?tracknum=1Z">Track</a> <a href="mailto:a@b.c">mail</a>'
    assert html_to_text(html) == "Track ( https://www.ups.com/track?tracknum=1Z ) mail"


def test_entities_and_invisible_padding_are_normalized() -> None:
    assert html_to_text("<p>A&nbsp;&amp;\u200b\u200cB</p>") == "A &B"
