"""Ids inside composite names: one escaping rule wherever a user or document id becomes part of
a ``:``-separated name (a Redis payload key, a Vespa document id's group).

``%`` becomes ``%25``, then ``:`` becomes ``%3A``: injective, so ``("a:b", "c")`` and
``("a", "b:c")`` never make the same name, and nothing ever parses a name back into ids.
"""

from __future__ import annotations


def escape_part(part: str) -> str:
    return part.replace("%", "%25").replace(":", "%3A")
