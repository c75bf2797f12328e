"""Metadata stamping (sequence, trace context) and the embed-or-reference choice, without I/O."""

from __future__ import annotations

import datetime as dt
import os
import uuid

from connectors.redis.payload_store import encode_record
from producers.embedding import REF_OVERHEAD_BYTES, to_reference
from producers.stamping import MetadataStamper, RandomIds, SequenceClock, TraceContext
from schemas.models import Provider
from tests import factories


def test_the_sequence_strictly_increases_even_when_the_clock_stands_still_or_goes_back():
    readings = iter([1_000, 1_000, 999, 2_000, 5])
    clock = SequenceClock(now_us=lambda: next(readings))
    assert [clock.next() for _ in range(5)] == [1_000, 1_001, 1_002, 2_000, 2_001]


def test_metadata_names_the_producer_continues_a_trace_and_carries_the_sequence():
    stamper = MetadataStamper(source_service="office-backfill", source_version="1.2.3",
                              clock=SequenceClock(now_us=lambda: 42), now=lambda: factories.T0)
    trace = TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    first = stamper.metadata("EmailUpdateEvent", user_id="u", provider=Provider.google, occurred_at=factories.T0,
                             correlation_id="job-1", trace=trace)
    second = stamper.metadata("EmailUpdateEvent", user_id="u", provider=Provider.google, occurred_at=factories.T0)
    assert (first.source_service, first.source_version, first.correlation_id) == ("office-backfill", "1.2.3", "job-1")
    assert first.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and first.span_id != "00f067aa0ba902b7"
    assert first.traceparent().startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert second.trace_id != first.trace_id  # no context: a new trace
    assert (first.sequence, second.sequence) == (42, 43)
    assert first.event_id != second.event_id and first.produced_at == factories.T0


class CountingUrandom:
    def __init__(self, first: bytes = b"") -> None:
        self.calls: list[int] = []
        self.first = first

    def __call__(self, size: int) -> bytes:
        self.calls.append(size)
        head, self.first = self.first[:size], self.first[size:]
        return head + os.urandom(size - len(head))


def test_ids_are_cut_from_one_random_read_per_hundred_events_and_are_well_formed():
    read = CountingUrandom()
    ids = RandomIds(pool_bytes=4096, read=read)
    drawn = [ids.draw(with_trace=True) for _ in range(250)]
    assert read.calls == [4096, 4096, 4096]  # 40 bytes an event: 102 events a read
    assert len({event_id for event_id, _, _ in drawn}) == 250 and len({trace for _, trace, _ in drawn}) == 250
    for event_id, trace_id, span_id in drawn:
        assert event_id.version == 4 and event_id.variant == uuid.RFC_4122
        assert len(trace_id) == 32 and len(span_id) == 16 and int(trace_id, 16) and int(span_id, 16)
    assert ids.draw(with_trace=False)[1] is None  # a continued trace keeps its id: none is drawn


def test_an_all_zero_trace_or_span_id_is_drawn_again():
    ids = RandomIds(pool_bytes=40, read=CountingUrandom(first=bytes(40)))
    _, trace_id, span_id = ids.draw(with_trace=True)
    assert trace_id.strip("0") and span_id.strip("0")


def test_a_forked_child_never_hands_out_its_parents_ids():
    ids = RandomIds()
    ids.draw(with_trace=True)  # the pool is filled before the fork
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report its next id and leave at once
        os.write(writer, ids.draw(with_trace=True)[0].bytes)
        os._exit(0)
    os.close(writer)
    from_child = os.read(reader, 16)
    os.close(reader)
    os.waitpid(child, 0)
    assert uuid.UUID(bytes=from_child) != ids.draw(with_trace=True)[0]


def test_malformed_or_all_zero_traceparents_start_a_new_trace():
    for bad in (None, "", "garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01"):
        assert TraceContext.parse(bad) is None


def test_a_small_event_keeps_its_records_and_a_large_one_moves_the_largest_first():
    records = [factories.email("small"), factories.email("huge", body_text="x" * 50_000), factories.email("mid", body_text="y" * 5_000)]
    sizes = [len(encode_record(r)) for r in records]
    total = sum(sizes) + 200
    assert to_reference(records, encoded_size=total, limit=total) == []
    assert to_reference(records, encoded_size=total, limit=total - 1) == [1]  # the largest alone makes it fit
    assert to_reference(records, encoded_size=total, limit=sizes[0] + 200 + 2 * REF_OVERHEAD_BYTES) == [1, 2]


def test_with_a_zero_limit_every_record_goes_by_reference():
    records = [factories.email("a"), factories.email("b")]
    assert to_reference(records, encoded_size=0, limit=0) == [0, 1]
    assert to_reference([], encoded_size=0, limit=0) == []
