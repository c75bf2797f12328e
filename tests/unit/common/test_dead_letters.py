"""Dead letters keep the original key, bytes and headers and say where and why it failed."""

from processors.common.dead_letters import dead_letter, reason_headers
from processors.common.inbound import InboundRecord


def test_dead_letter_carries_original_bytes_and_reason_headers():
    record = InboundRecord("email-updates", 3, 42, b"user-1", b"\x00garbage", [("traceparent", b"00-a-b-01")])
    letter = dead_letter(record, service="shipments", error=ValueError("bad\nthing"), now_ms=1700)
    assert (letter.key, letter.value) == (b"user-1", b"\x00garbage")
    assert ("traceparent", b"00-a-b-01") in letter.headers
    assert reason_headers(letter.headers) == {
        "source.topic": "email-updates",
        "source.partition": "3",
        "source.offset": "42",
        "service": "shipments",
        "error.class": "ValueError",
        "error.message": "bad thing",
        "timestamp": "1700",
    }


def test_where_names_topic_partition_and_offset():
    assert InboundRecord("t", 1, 9, None, None).where == "t[1]@9"
