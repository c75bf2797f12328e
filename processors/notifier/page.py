"""The live page at ``GET /``: one user's dashboard, plain HTML, CSS and JavaScript on EventSource.

The files live in ``static/`` and are served as they are (no build step): ``index.html`` (the
semantic skeleton: import progress, package cards, meetings ahead, the live feed, the
connection state), ``notifier.css`` and ``notifier.js``. What the page shows, and how it
connects, reconnects and backs off, is described in the README's notifier section.

The token comes from the URL fragment (``/#token=...``, never sent to any server, so it stays out
of access logs) or the query (``/?token=...``); the page then drops it from the address bar.
Text is inserted with ``textContent`` only, so a subject line cannot inject markup. Script and
styles are separate files so the page's Content-Security-Policy can forbid inline ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of the page: its body and content type."""

    body: str
    content_type: str


def _read(name: str) -> str:
    return files("processors.notifier").joinpath("static", name).read_text(encoding="utf-8")


#: Read once at import: the worker serves them from memory and a broken install fails at start.
PAGE_ASSETS = {
    "/": Asset(_read("index.html"), "text/html"),
    "/notifier.js": Asset(_read("notifier.js"), "application/javascript"),
    "/notifier.css": Asset(_read("notifier.css"), "text/css"),
}
