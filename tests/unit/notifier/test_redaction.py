"""Access-log lines never carry a stream token, whatever the query looks like."""

from __future__ import annotations

import pytest

from processors.notifier.web import redact


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/events?token=eyJ.abc.def", "/events?token=***"),
        ("/ws?last_event_id=1-a&token=eyJ.abc.def&user_id=ada", "/ws?last_event_id=1-a&token=***&user_id=ada"),
        ("/?TOKEN=eyJ.abc.def", "/?TOKEN=***"),
        ("/x?access_token=eyJ", "/x?access_token=***"),
        ("/events?last_event_id=1-a", "/events?last_event_id=1-a"),
        ("/events?notatoken=keep", "/events?notatoken=keep"),
    ],
)
def test_token_values_are_redacted_and_other_parameters_kept(target: str, expected: str) -> None:
    assert redact(target) == expected
