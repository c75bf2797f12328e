"""How logs and error messages name a user without naming them.

It lives in ``schemas/`` only because that is the ground layer every package may import (like
the settings loader): producers, connectors and processors all log about users.
"""

from __future__ import annotations

import hashlib


def user_ref(user_id: str) -> str:
    """A stable, non-reversible stand-in for a user id: the first 12 hex digits of its sha256."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]
