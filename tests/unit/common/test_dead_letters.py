"""Dead letters keep the original key, bytes and headers and say where and why it failed."""

import hashlib

from processors.common.dead_letters import by_reference, dead_letter, reason_headers
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


def test_a_dead_letter_knows_where_its_original_would_be_kept():
    record = InboundRecord("t-x-email-updates", 3, 42, b"user-1", b"\x00garbage")
    letter = dead_letter(record, service="shipments", error=ValueError("bad"), now_ms=1)
    assert letter.original_key == "officestream:dlq:shipments:t-x-email-updates[3]@42"


def test_a_letter_by_reference_names_its_original_instead_of_carrying_it():
    record = InboundRecord("email-updates", 3, 42, b"user-1", b"\x07" + b"x" * 5000, [("traceparent", b"00-a-b-01")])
    letter = dead_letter(record, service="shipments", error=ValueError("bad"), now_ms=1)
    sent = by_reference(letter)
    assert (sent.key, sent.value, sent.original_key) == (b"user-1", b"", letter.original_key)
    assert sent.headers[: len(letter.headers)] == letter.headers  # the original's and the reason's
    reason = reason_headers(sent.headers)
    assert reason["original.ref"] == letter.original_key
    assert reason["original.size"] == "5001"
    assert reason["original.sha256"] == hashlib.sha256(record.value).hexdigest()
    assert reason["error.class"] == "ValueError"
