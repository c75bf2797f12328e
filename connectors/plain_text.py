"""HTML to the plain text a reader sees: the one converter for every body in the project.

The canonical records document their text fields (``Email.body_text``, ``CalendarEvent.body``)
as plain text, while providers often send HTML (Graph ``itemBody`` with ``contentType: html``,
Google Calendar ``description``, HTML-only mail). The normalizers of both providers convert
with this module, and the consumers that meet HTML in older records (the vespa-loader) use the
same functions, so one body reads the same wherever it is converted.

``html-text`` (lxml) drops scripts, styles and comments, keeps block and ``<br>`` breaks as
new lines, and reads broken markup the way a browser would.
"""

from __future__ import annotations

import re

import html_text

#: An opening or closing tag, a comment or a doctype: what tells markup from text that merely
#: holds a "<" ("a < b", "<3").
_TAG = re.compile(r"<(?:[A-Za-z][\w:-]*|/[A-Za-z][\w:-]*|!--|!DOCTYPE)[^>]*>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """The text a reader sees in ``html``: no tags, scripts or styles; blocks on their own lines."""
    if not html.strip():
        return ""
    return str(html_text.extract_text(html))


def looks_like_html(text: str) -> bool:
    """Whether ``text`` contains markup (Google Calendar descriptions come as either)."""
    return bool(_TAG.search(text))


def text_of(content: str) -> str:
    """``content`` as plain text: converted when it holds markup, kept as it is otherwise."""
    return html_to_text(content) if looks_like_html(content) else content


__all__ = ["html_to_text", "looks_like_html", "text_of"]
