"""The Vespa application package in ``application/`` and what its schemas declare.

The document mapping must only produce fields the schemas declare, with matching types, or
Vespa refuses the document (400). ``document_fields`` reads the declarations from the ``.sd``
files themselves, so a test can hold the mapping and the schemas together and the local
/document/v1 test server can refuse what Vespa would refuse.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

APPLICATION_DIR = Path(__file__).parent / "application"
DOCUMENT_TYPES = ("email", "calendar_event", "contact")

_FIELD = re.compile(r"^\s*field\s+(\w+)\s+type\s+([\w<>, ]+?)\s*\{", re.MULTILINE)


def schema_path(doctype: str) -> Path:
    return APPLICATION_DIR / "schemas" / f"{doctype}.sd"


@cache
def document_fields(doctype: str) -> dict[str, str]:
    """``{field name: Vespa type}`` of the ``document`` block of ``<doctype>.sd``."""
    text = schema_path(doctype).read_text()
    block = _block_after(text, re.compile(rf"^\s*document\s+{re.escape(doctype)}\s*\{{", re.MULTILINE))
    return {name: " ".join(kind.split()) for name, kind in _FIELD.findall(block)}


def all_document_fields() -> dict[str, dict[str, str]]:
    return {doctype: document_fields(doctype) for doctype in DOCUMENT_TYPES}


def _block_after(text: str, opening: re.Pattern[str]) -> str:
    """The text between the brace ``opening`` ends with and its matching closing brace."""
    found = opening.search(text)
    if found is None:
        raise ValueError(f"no match for {opening.pattern!r}")
    depth, start = 1, found.end()
    for position in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[start:position]
    raise ValueError("unbalanced braces")
