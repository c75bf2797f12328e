"""Reading, selecting, showing and refusing dead letters, without Kafka."""

from __future__ import annotations

import json

import pytest

from connectors.kafka.records import KafkaRecord
from ops.dlq.exceptions import InvalidDlqRequest, OriginalUnavailable
from ops.dlq.letters import Letter, check_service, count_by_reason, parse_offsets, select
from ops.dlq.originals import _checked
from ops.dlq.replays import REPLAY_ID, REPLAY_OF, refusal, replay_headers, replay_key
from ops.dlq.show import letter_view
from processors.common.dead_letters import by_reference, dead_letter
from processors.common.inbound import InboundRecord
from producers.dead_letters import ProviderDeadLetter
from schemas.exceptions import BadMagicByte
from schemas.models import DocType, Provider
from tests import factories


def letter(offset: int, error: Exception, *, value: bytes = b"poison", headers=None, timestamp_ms: int = 1000) -> Letter:
    source = InboundRecord("email-updates", 3, 40 + offset, b"user-1", value, headers or [("traceparent", b"00-abc")])
    dead = dead_letter(source, service="shipments", error=error, now_ms=5)
    return Letter("shipments", KafkaRecord("shipments-dlq", 0, offset, dead.key, dead.value, dead.headers, timestamp_ms))


LETTERS = [letter(0, BadMagicByte("x")), letter(1, ValueError("y")), letter(2, BadMagicByte("z"))]


def test_offsets_are_a_range_or_one_offset():
    assert parse_offsets("3-5") == range(3, 6)
    assert parse_offsets("7") == range(7, 8)
    for bad in ("a-b", "5-3", "-1", ""):
        with pytest.raises(InvalidDlqRequest):
            parse_offsets(bad)


def test_letters_are_counted_and_selected_by_reason_and_offset():
    assert count_by_reason(LETTERS) == {"BadMagicByte": 2, "ValueError": 1}
    assert [l.record.offset for l in select(LETTERS, reason="badmagicbyte")] == [0, 2]
    assert [l.record.offset for l in select(LETTERS, offsets=range(1, 3))] == [1, 2]
    assert [l.record.offset for l in select(LETTERS, limit=1)] == [0]


def test_an_unknown_service_is_refused():
    with pytest.raises(InvalidDlqRequest, match="unknown service 'shipment'"):
        check_service("shipment")


def test_a_letter_names_its_source_and_keeps_the_original_headers_apart():
    first = LETTERS[0]
    assert first.source == "email-updates[3]@40"
    assert first.reason == "BadMagicByte"
    assert first.original_headers() == [("traceparent", b"00-abc")]


def test_a_replay_carries_the_original_headers_and_names_the_letter_once():
    replayed_once = letter(4, ValueError("again"), headers=[("traceparent", b"00-abc"), (REPLAY_OF, b"shipments-dlq[0]@1")])
    assert replay_headers(replayed_once, "run-2") == [
        ("traceparent", b"00-abc"), (REPLAY_OF, b"shipments-dlq[0]@4"), (REPLAY_ID, b"run-2"),
    ]


def test_a_letter_replayed_before_is_refused_but_not_one_at_a_reused_position():
    first = LETTERS[0]
    record = {"replayed_to": "email-updates[3]@90", "replayed_at": "2026-12-04T22:00:00+00:00", "replay_id": "r1"}
    replayed = {replay_key(first): json.dumps({**record, "letter_timestamp_ms": 1000}).encode()}
    assert "already replayed to email-updates[3]@90" in refusal(first, replayed, b"poison")
    recreated = {replay_key(first): json.dumps({**record, "letter_timestamp_ms": 999}).encode()}
    assert refusal(first, recreated, b"poison") is None


def test_a_provider_payload_or_a_lost_original_is_refused():
    bridge = ProviderDeadLetter(user_id="u", provider=Provider.microsoft, doc_type=DocType.email, item_id="m", payload={}, reason="bad")
    provider_letter = Letter("office-bridge", KafkaRecord("office-bridge-dlq", 0, 0, b"u", bridge.value(), bridge.headers()))
    assert "a provider payload" in refusal(provider_letter, {}, b"{}")
    assert refusal(LETTERS[0], {}, OriginalUnavailable("gone")) == "gone"


def test_an_original_kept_by_reference_is_checked_against_its_size_and_hash():
    ref = by_reference(dead_letter(InboundRecord("email-updates", 0, 1, b"k", b"v" * 100), service="shipments", error=ValueError("x")))
    referenced = Letter("shipments", KafkaRecord("shipments-dlq", 0, 5, ref.key, ref.value, ref.headers))
    assert referenced.reference == "officestream:dlq:shipments:email-updates[0]@1"
    assert _checked(referenced, b"v" * 100) == b"v" * 100
    assert isinstance(_checked(referenced, b"w" * 100), OriginalUnavailable)
    assert "no longer in Redis" in str(_checked(referenced, None))
    assert LETTERS[0].reference is None


def test_a_letter_is_shown_decoded_or_with_why_it_does_not_decode():
    event = factories.email_update()

    def decode(value):
        if value != b"good":
            raise BadMagicByte("first byte is 0x67")
        return event

    shown = letter_view(letter(0, ValueError("boom"), value=b"good"), b"good", decode, None)
    assert (shown["letter"], shown["reason"], shown["source"], shown["key"]) == ("shipments-dlq[0]@0", "ValueError", "email-updates[3]@40", "user-1")
    assert shown["message"]["email_id"] == "msg-1" and shown["headers"] == {"traceparent": "00-abc"}
    poison = letter_view(LETTERS[0], b"poison", decode, {"replay_id": "r1"})
    assert poison["message"] == {"undecodable": "BadMagicByte: first byte is 0x67", "bytes": 6, "preview": "b'poison'"}
    assert poison["replayed"] == {"replay_id": "r1"}
    assert letter_view(LETTERS[0], OriginalUnavailable("gone"), decode, None)["message"] == {"unavailable": "gone"}
