"""Records must be keyed by their event's user: anything else is refused before it is applied."""

from __future__ import annotations

import pytest

from processors.common.exceptions import PoisonMessage
from processors.common.keys import require_user_key, user_of
from schemas.redaction import user_ref
from tests import factories


def test_an_event_keyed_by_its_user_passes():
    event = factories.email_update(user_id="user:ü")
    assert user_of(event) == "user:ü"
    require_user_key(event, "user:ü".encode())


def test_derived_events_name_their_user_too():
    event = factories.shipment_update(user_id="u-1")
    require_user_key(event, b"u-1")
    with pytest.raises(PoisonMessage):
        require_user_key(event, b"u-2")


@pytest.mark.parametrize(("key", "says"), [(None, "has no key"), (b"user-2", "is not the event's user id"),
                                           (b"USER-1", "is not the event's user id"), (b"", "is not the event's user id")])
def test_a_missing_or_foreign_key_is_poison_and_names_only_hashes(key, says):
    with pytest.raises(PoisonMessage, match=says) as raised:
        require_user_key(factories.email_update(user_id="user-1"), key)
    assert "user-1" not in str(raised.value) and user_ref("user-1") in str(raised.value)


def test_something_without_a_user_is_poison():
    with pytest.raises(PoisonMessage, match="names no user"):
        require_user_key(object(), b"user-1")
