"""Server-sent event framing as the WHATWG parser reads it."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.notifier import sse
from processors.notifier.notifications import Notification


def test_a_notification_frame_has_id_event_and_one_json_data_line() -> None:
    notification = Notification(
        id="0000000000001-abc", user_id="ada", kind="email.created", payload={"subject": "two\nlines"},
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    lines = sse.notification_frame(notification.to_json(), event_id=notification.id).decode().split("\n")
    assert lines[:2] == ["id: 0000000000001-abc", "event: notification"]
    assert lines[2].startswith("data: {") and lines[3:] == ["", ""]
    assert Notification.model_validate_json(lines[2].removeprefix("data: ")) == notification


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_a_subject_with_a_unicode_line_separator_stays_one_json_data_line(separator: str) -> None:
    # JSON leaves these unescaped; splitting on them made the client join the pieces with LF,
    # a raw line break inside a JSON string: the page's JSON.parse failed on that e-mail.
    notification = Notification(
        id="0000000000001-abc", user_id="ada", kind="email.created", payload={"subject": f"a{separator}b"},
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    lines = sse.notification_frame(notification.to_json(), event_id=notification.id).decode().split("\n")
    assert len(lines) == 5 and lines[3:] == ["", ""]
    assert Notification.model_validate_json(lines[2].removeprefix("data: ")).payload["subject"] == f"a{separator}b"


def test_multi_line_data_becomes_several_data_lines() -> None:
    assert sse.frame(data="a\nb") == b"data: a\ndata: b\n\n"
    assert sse.frame(data="a\r\nb\rc") == b"data: a\ndata: b\ndata: c\n\n"


def test_a_line_break_in_an_id_is_refused_rather_than_injecting_a_frame() -> None:
    with pytest.raises(ValueError):
        sse.frame(data="x", event_id="1\n\nevent: forged")


def test_comments_and_retry_are_single_lines() -> None:
    assert (sse.comment("heartbeat"), sse.retry(2500)) == (b": heartbeat\n\n", b"retry: 2500\n\n")


def _lines(*chunks: bytes):
    lines = [line + b"\n" for chunk in chunks for line in chunk.split(b"\n")[:-1]]

    async def readline() -> bytes:
        return lines.pop(0) if lines else b""

    return readline


async def test_read_frame_reads_back_what_the_writers_wrote() -> None:
    from processors.notifier.sse import comment, frame, read_frame, retry

    readline = _lines(comment("keep-alive"), frame(data="one\ntwo", event="notification", event_id="n-1"), retry(500))
    heartbeat = await read_frame(readline)
    assert (heartbeat.comment, heartbeat.is_event) == ("keep-alive", False)
    event = await read_frame(readline)
    assert (event.event, event.id, event.data, event.is_event) == ("notification", "n-1", ["one", "two"], True)
    assert (await read_frame(readline)).retry == 500
    with pytest.raises(EOFError):
        await read_frame(readline)


def test_a_heartbeat_may_carry_an_id_that_dispatches_no_event() -> None:
    assert sse.comment("heartbeat", event_id="1-a.AQ") == b"id: 1-a.AQ\n: heartbeat\n\n"
