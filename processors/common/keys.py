"""Every officestream topic a service reads is keyed by ``user_id``; a record that is not is poison.

The key decides the partition, and a service's state for a user (idempotence ledger entries,
tombstones, meeting records) lives on that user's partition: a faust table writes to the
partition of the message being handled. A keyless or mis-keyed event would write its state on
another partition, where the user's later events never look, so duplicates would apply again
and deleted items come back. Such records are refused before anything is applied.
"""

from __future__ import annotations

import hashlib
from typing import Any

from processors.common.exceptions import PoisonMessage
from schemas.redaction import user_ref


def user_of(decoded: Any) -> str | None:
    """The user an event belongs to: its ``metadata.user_id`` (derived events' too)."""
    user_id = getattr(getattr(decoded, "metadata", None), "user_id", None)
    return user_id if isinstance(user_id, str) else None


def require_user_key(decoded: Any, key: bytes | None) -> None:
    """Raise ``PoisonMessage`` unless the record's ``key`` is the UTF-8 of the event's user id."""
    user_id = user_of(decoded)
    if user_id is None:
        raise PoisonMessage(f"{type(decoded).__name__} names no user; every officestream event carries one")
    if key is None:
        raise PoisonMessage(f"the record has no key; it must be the event's user id (user {user_ref(user_id)})")
    if key != user_id.encode():
        raise PoisonMessage(
            f"the record's key (hash {hashlib.sha256(key).hexdigest()[:12]}) is not the event's user id "
            f"(user {user_ref(user_id)}): its state would land on another user's partition"
        )
