"""HTML mail bodies to plain text, keeping link targets.

The stdlib ``html.parser`` is enough here: we need text in reading order with line breaks at
block boundaries, not a DOM or CSS selectors, and it tolerates the broken markup mail is full
of without adding a compiled dependency. Link targets are written after the link text, because
carriers often put the tracking number only in the ``href`` of a "Track your package" button.
"""

from __future__ import annotations

import html as html_entities
import re
from html.parser import HTMLParser

from processors.shipments.number_scan import may_hold_numbers

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
#: A compiled class, not ``str.translate`` with a dict: translate looks every character up in
#: the dict (~15x slower on a 3 KB body), the regex scans in C and copies only on a hit.
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
#: Runs of spaces and tabs that are not already a single space (a lone space needs no rewrite,
#: and most runs in prose are exactly that, so matching them only to copy them back is waste).
_SPACE_RUN = re.compile(r"(?: [ \t\f\v]|[\t\f\v])[ \t\f\v]*")
_BLANK_LINES = re.compile(r"\n{3,}")
_EMPTY_LINES = re.compile(r"\n{2,}")


#: What the gate removes, in one pass: elements whose content ``html_to_text`` drops, when
#: properly closed (an unclosed one is kept: keeping text can only add candidates), and what
#: ``html.parser`` reads as markup (tags, whose quoted attribute values may hold ">"; comments;
#: declarations; processing instructions). "<" stands outside the alternation, so ``re`` looks
#: for that literal byte by byte instead of testing a class at every character.
_SKIPPED_OR_MARKUP = re.compile(
    r"<(?:(script|style|head|title|noscript|template)\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>.*?</\1\s*>"
    r"|!--.*?-->|[A-Za-z/!?](?:\"[^\"]*\"|'[^']*'|[^'\">])*>)",
    re.IGNORECASE | re.DOTALL,
)
#: Matched on the HTML's UTF-8 with ASCII letters lower-cased (``bytes.lower``, far cheaper than
#: ``str.lower``): a literal prefix lets ``re`` jump between candidates, and case changes
#: neither which characters are digits nor how long a stretch is.
_HREF = re.compile(rb"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def text_may_hold_numbers(text: str) -> bool:
    """False only when ``normalize_whitespace(text)`` cannot hold a tracking number, found
    without normalizing: only what normalizing does that can join characters is done (invisible
    ones removed, no-break spaces and runs of spaces made single spaces); stripping line ends
    and blank lines touches no stretch."""
    text = _without_invisible(text).replace("\u00a0", " ")
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:
        text = _SPACE_RUN.sub(" ", text)
    return may_hold_numbers(text)


def html_may_hold_numbers(html: str) -> bool:
    """False only when ``html_to_text(html)`` cannot hold a tracking number, found without
    parsing: the text outside markup (entities decoded, whitespace normalized as the converter
    does) and the link targets hold no stretch long enough to read. Removing markup joins what
    the converter would separate by a line break or space, which only lengthens stretches, so
    a short stretch here is short there too. Most HTML mail holds no number at all, and this is
    several times cheaper than converting it."""
    visible = _SKIPPED_OR_MARKUP.sub("", html)
    if "&" in visible:
        visible = html_entities.unescape(visible)
    if text_may_hold_numbers(visible):
        return True
    # Links inside skipped elements are looked at too: more candidates, never fewer.
    lowered = html.encode("utf-8", "surrogatepass").lower()
    if b"href" not in lowered:
        return False
    links = (b"".join(parts).decode("utf-8", "surrogatepass") for parts in _HREF.findall(lowered))
    return any(may_hold_numbers(_without_invisible(html_entities.unescape(link))) for link in links)


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
    text = normalize_whitespace("".join(collector.parts))
    return _EMPTY_LINES.sub("\n", text) if "\n\n" in text else text


def _without_invisible(text: str) -> str:
    """``text`` without the invisible characters. Testing each for membership is a C search
    per character (fast; most text has none), the class scan is ~8 ns per character."""
    if any(char in text for char in _INVISIBLE_CHARS):
        return _INVISIBLE.sub("", text)
    return text


def normalize_whitespace(text: str) -> str:
    """Spaces collapsed within lines, at most one blank line, invisible characters removed."""
    text = _without_invisible(text).replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text or "\t" in text or "\f" in text or "\v" in text:  # else there is no run to collapse
        text = _SPACE_RUN.sub(" ", text)
    # ``str.strip`` per line strips all Unicode whitespace, as collapsing line by line did.
    text = "\n".join(line.strip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()
