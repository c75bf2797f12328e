"""The resume token codec (``resume_token.py``): compact, exact round trips, and refusals."""

from __future__ import annotations

import base64

import pytest

from processors.notifier.exceptions import InvalidResumeToken
from processors.notifier.notifications import SOURCE_TOPICS
from processors.notifier.resume_token import MAX_TOKEN_CHARS, decode, encode, notification_id_of

TOPICS = tuple(f"prefix.{name}" for name in SOURCE_TOPICS)
ID = "1793611800000-0123456789ab"


def test_a_token_round_trips_its_id_and_cursor_and_names_its_notification():
    cursor = {(TOPICS[0], 4): 1_234_567, (TOPICS[3], 0): -1, (TOPICS[6], 11): 0}
    token = encode(ID, cursor, TOPICS)
    decoded = decode(token, TOPICS)
    assert decoded is not None and (decoded.notification_id, decoded.cursor) == (ID, cursor)
    assert notification_id_of(token) == ID and notification_id_of(ID) == ID


def test_a_token_for_every_source_topic_is_compact_and_url_safe():
    token = encode(ID, {(topic, 5): 25_000_000 + n for n, topic in enumerate(TOPICS)}, TOPICS)
    assert len(token) < 100
    assert set(token) <= set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.")
    huge = encode(ID, {(topic, 99_999): 2**63 - 1 for topic in TOPICS}, TOPICS)
    assert len(huge) <= MAX_TOKEN_CHARS and decode(huge, TOPICS) is not None


def test_a_bare_notification_id_is_the_older_form():
    assert decode(ID, TOPICS) is None


def _cursor_bytes(*numbers: int) -> str:
    return base64.urlsafe_b64encode(bytes(numbers)).rstrip(b"=").decode()


@pytest.mark.parametrize("value", [
    f"not-an-id.{_cursor_bytes(1, 0, 0, 1)}",          # the id part is not a notification id
    f"{ID}.%%%%",                                       # not base64
    f"{ID}.{_cursor_bytes(2, 0, 0, 1)}",                # unknown version
    f"{ID}.",                                           # no version at all
    f"{ID}.{_cursor_bytes(1, 0, 0)}",                   # an entry cut short
    f"{ID}.{_cursor_bytes(1, 0, 0, 0x80)}",             # a varint cut short
    f"{ID}.{_cursor_bytes(1, 7, 0, 1)}",                # topic index beyond the source topics
    f"{ID}.{_cursor_bytes(1, 0, 0, 1, 0, 0, 2)}",       # one partition twice
    f"{ID}.{'A' * MAX_TOKEN_CHARS}",                    # too long
])
def test_a_malformed_token_is_refused_without_echoing_it(value):
    with pytest.raises(InvalidResumeToken) as refused:
        decode(value, TOPICS)
    assert value not in str(refused.value)
