"""Address-list headers (From, To, Cc, Reply-To) → ``Address`` fields, fast.

``email.utils.getaddresses`` is correct for everything RFC 5322 allows (groups, comments,
obsolete routes) but costs about 40% of a Gmail normalization. Nearly every real header is a
comma-separated list of ``addr``, ``Name <addr>`` or ``"Quoted, Name" <addr>``: those take a
single regex pass here, and anything else falls back to the stdlib parser.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

from connectors.google.charsets import decode_words

_ENTRY = re.compile(
    r'\s*(?:(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<name>[^",<>()@;:\\]*?))\s*<(?P<angle>[^<>\s"(),;:]+@[^<>\s"(),;:]+)>'
    r'|(?P<bare>[^\s<>"(),;:]+@[^\s<>"(),;:]+))\s*(?:,|$)'
)


def parse_addresses(value: str | None) -> list[dict[str, str | None]]:
    """Every mailbox in an address-list header as ``Address`` fields (plain dicts: the
    enclosing record validates them in one pass, which is much cheaper than building each
    ``Address`` on its own); entries without an address are skipped."""
    if not value:
        return []
    pairs = _fast_pairs(value)
    if pairs is None:
        pairs = [(name, address) for name, address in getaddresses([value]) if "@" in address]
    return [{"email": address, "name": decode_words(name) or None} for name, address in pairs]


def _fast_pairs(value: str) -> list[tuple[str, str]] | None:
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(value.rstrip())
    while position < end:
        match = _ENTRY.match(value, position)
        if match is None or match.end() == position:
            return None
        if match["bare"]:
            pairs.append(("", match["bare"]))
        else:
            quoted = match["quoted"]
            name = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else (match["name"] or "").strip()
            pairs.append((name, match["angle"]))
        position = match.end()
    return pairs
