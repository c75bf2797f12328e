"""Trace context without Kafka: which trace a coalesced sync continues, a backfill job's trace,
the webhook's span, and the trace id on every worker log line about a message."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from prometheus_client import CollectorRegistry

from connectors.tracing import TraceContext
from processors.common.idempotence import VersionLedger
from processors.common.inbound import InboundRecord
from processors.common.items import ItemChange
from processors.common.metrics import ProcessorMetrics
from processors.common.processor import RecordProcessor
from processors.common.retry import RetryPolicy
from producers.bridge.webhooks import WebhookRoutes
from producers.live.sync_trace import sync_trace
from schemas.exceptions import DeserializationError
from schemas.models import DocType

FIRST = TraceContext("11111111111111111111111111111111", "1111111111111111")
SECOND = TraceContext("22222222222222222222222222222222", "2222222222222222")
THIRD = TraceContext("33333333333333333333333333333333", "3333333333333333")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


# -- coalescing ---------------------------------------------------------------------------

def test_a_coalesced_sync_continues_the_first_traced_request_and_links_the_others_once() -> None:
    parent, links = sync_trace([None, FIRST, SECOND, None, FIRST, THIRD, SECOND])
    assert parent == FIRST
    assert links == [SECOND, THIRD]


def test_a_sync_no_request_traced_starts_its_own_trace() -> None:
    assert sync_trace([None, None]) == (None, [])
    assert sync_trace([]) == (None, [])


def test_a_backfill_jobs_trace_follows_from_its_id_alone() -> None:
    job = TraceContext.of_job("bf-0123456789abcdef")
    assert job == TraceContext.of_job("bf-0123456789abcdef")  # a resumed job continues it
    assert job.trace_id != TraceContext.of_job("bf-fedcba9876543210").trace_id
    assert TraceContext.parse(job.traceparent) == job


# -- the webhook's span ----------------------------------------------------------------------

async def webhook_trace(headers: dict[str, str]) -> TraceContext:
    routes = WebhookRoutes(intake=None, live=None, renewals=None, max_body_bytes=1024)  # type: ignore[arg-type]
    seen: list[TraceContext] = []

    async def handler(request: web.Request, trace: TraceContext) -> web.Response:
        seen.append(trace)
        return web.Response(status=202)

    await routes._timed("gmail", handler)(make_mocked_request("POST", "/webhooks/google/gmail", headers=headers))
    return seen[0]


async def test_a_webhook_continues_a_valid_traceparent_under_a_span_of_its_own() -> None:
    trace = await webhook_trace({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
    assert trace.trace_id == TRACE_ID and trace.parent_span_id != "00f067aa0ba902b7"


async def test_a_webhook_without_a_valid_traceparent_starts_a_trace() -> None:
    for headers in ({}, {"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}, {"traceparent": "garbage"}):
        trace = await webhook_trace(headers)
        assert trace.trace_id.strip("0") and trace.trace_id != TRACE_ID
    assert (await webhook_trace({})).trace_id != (await webhook_trace({})).trace_id


# -- worker log lines ----------------------------------------------------------------------

def event(event_id: str = "evt-1") -> SimpleNamespace:
    return SimpleNamespace(metadata=SimpleNamespace(event_id=event_id, user_id="user-1", trace_id=TRACE_ID))


def item(event_id: str) -> ItemChange:
    return ItemChange(user_id="user-1", doc_type=DocType.email, doc_id="m1", change="upsert", record=None,
                      occurred_at_ms=1_000, event_id=event_id, version_marker="v1")


def processor(decode, handler) -> RecordProcessor:
    async def sink(letter) -> None:
        return None

    return RecordProcessor(service="tests", decode=decode, handler=handler, dead_letters=sink,
                           metrics=ProcessorMetrics(CollectorRegistry()),
                           policy=RetryPolicy(base_s=0.001, max_s=0.002, max_attempts=2))


def record(offset: int, headers: list[tuple[str, bytes]] | None = None) -> InboundRecord:
    return InboundRecord("email-updates", 0, offset, b"user-1", b"bytes", headers or [])


async def test_each_handled_message_is_logged_with_its_trace_id_and_what_it_did(caplog) -> None:
    caplog.set_level(logging.INFO, logger="officestream.processors")
    ledger = VersionLedger({})
    failures = [ConnectionError("down")]

    async def decode(value):
        return event()

    async def handler(decoded, inbound) -> None:
        if failures:  # a dependency down before the effect (the payload store, say)
            failure = failures.pop()
            failure.retriable = True  # type: ignore[attr-defined]
            raise failure
        if ledger.should_apply(item("evt-1")):
            ledger.record(item("evt-1"))

    service = processor(decode, handler)
    assert await service.process(record(7)) == "handled"  # retried once, then applied
    assert await service.process(record(8)) == "handled"  # the redelivery: nothing new
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith(f"retrying service=tests where=email-updates[0]@7 event_id=evt-1 trace_id={TRACE_ID} ")
               for line in lines)
    assert f"handled service=tests where=email-updates[0]@7 event_id=evt-1 trace_id={TRACE_ID} outcome=applied " \
           "applied=1 duplicates=0" in lines
    assert f"handled service=tests where=email-updates[0]@8 event_id=evt-1 trace_id={TRACE_ID} outcome=duplicate " \
           "applied=0 duplicates=1" in lines


async def test_a_message_that_does_not_decode_is_dead_lettered_with_the_trace_of_its_header(caplog) -> None:
    caplog.set_level(logging.INFO, logger="officestream.processors")

    async def decode(value):
        raise DeserializationError("not Avro")

    async def handler(decoded, inbound) -> None:
        raise AssertionError("never called")

    traced = record(9, [("traceparent", f"00-{TRACE_ID}-00f067aa0ba902b7-01".encode())])
    assert await processor(decode, handler).process(traced) == "dead-lettered"
    assert any(r.getMessage().startswith(f"dead-lettered service=tests where=email-updates[0]@9 event_id=- "
                                         f"trace_id={TRACE_ID} ") for r in caplog.records)
