"""HTML mail bodies to plain text, keeping link targets.

The stdlib ``html.parser`` is enough here: we need text in reading order with line breaks at
block boundaries, not a DOM or CSS selectors, and it tolerates the broken markup mail is full
of without adding a compiled dependency. Link targets are written after the link text, because
carriers often put the tracking number only in the ``href`` of a "Track your package" button.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_CELLS = frozenset({"td", "th"})
#: Invisible characters that marketing mail sprinkles between words (preheader padding).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f"), None)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._hrefs.append(href if href.lower().startswith(("http://", "https://")) else None)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")
        elif tag == "a" and self._hrefs:
            href = self._hrefs.pop()
            if href and not self._skip_depth:
                self.parts.append(f" ( {href} ) ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of ``html``: one line per block, cells side by side, links as ``( url )``."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    # Markup's blank lines are spacing, not structure: a label and its value one block apart
    # must stay on neighbouring lines.
    return re.sub(r"\n{2,}", "\n", normalize_whitespace("".join(collector.parts)))


def normalize_whitespace(text: str) -> str:
    """Spaces collapsed within lines, at most one blank line, invisible characters removed."""
    text = text.translate(_INVISIBLE).replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
