"""The publisher on the real broker, registry and Redis: typed, stamped, keyed, embedded or
referenced, delivered in order, and loud when a delivery fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from connectors.kafka.settings import KafkaSettings
from producers.exceptions import PublishFailed, UndeliveredOnClose
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper, TraceContext
from schemas.models import ChangeType, DocType, EmailBackfillEvent, EmailUpdateEvent, Provider
from tests import factories
from tests.integration.producers.stack_fixtures import kafka, payloads  # noqa: F401
from tests.kafka_helpers import consume

USER = "user:pub%1"  # ':' and '%' in a user id: keys are escaped, never parsed


def publisher(kafka, serde, payloads, **settings) -> Publisher:
    return Publisher(kafka=kafka, settings=ProducerSettings.from_env({}, **settings), serde=serde, payloads=payloads,
                     stamper=MetadataStamper(source_service="tests", source_version="0"))


async def test_an_update_is_published_typed_keyed_and_traced(kafka, serde, payloads):
    pub = publisher(kafka, serde, payloads)
    await pub.start()
    trace = TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    delivered = await pub.publish_update(
        user_id=USER, provider=Provider.microsoft, doc_type=DocType.email, change=ChangeType.created, doc_id="m1",
        record=factories.email("m1"), occurred_at=factories.T0, trace=trace,
    )
    await pub.close()
    [message] = consume(kafka, kafka.topic("email-updates"), 1, group="pub-1")
    event = serde.decode(message.value())
    assert isinstance(event, EmailUpdateEvent) and event.email == factories.email("m1") and event.email_ref is None
    assert message.key() == USER.encode() and (message.partition(), message.offset()) == (delivered.partition, delivered.offset)
    assert dict(message.headers())["traceparent"] == event.metadata.traceparent().encode()
    assert event.metadata.trace_id == trace.trace_id and event.metadata.sequence


async def test_a_record_too_large_to_embed_goes_by_reference_and_resolves_byte_for_byte(kafka, serde, payloads):
    pub = publisher(kafka, serde, payloads, embed_max_bytes=20_000)
    await pub.start()
    big = factories.email("big", body_text="Tracking 1Z999AA10123456784 " * 2_000)
    small = factories.email("small")
    await pub.publish_batch(user_id=USER, provider=Provider.google, doc_type=DocType.email, records=[small, big],
                            batch_index=0, is_last_batch=True, occurred_at=factories.T0, job_id="job-1")
    await pub.close()
    [message] = consume(kafka, kafka.topic("email-backfill"), 1, group="pub-2")
    event = serde.decode(message.value())
    assert isinstance(event, EmailBackfillEvent) and len(message.value()) <= 20_000
    assert event.emails == [small] and [ref.doc_id for ref in event.emails_refs] == ["big"]
    assert event.metadata.correlation_id == "job-1"
    resolved = await payloads.get(event.emails_refs[0], user_id=USER, doc_type=DocType.email)
    assert resolved == big


async def test_references_only_mode_keeps_every_body_and_address_off_the_log(kafka, serde, payloads):
    pub = publisher(kafka, serde, payloads, embed_max_bytes=0)
    await pub.start()
    emails = [factories.email(f"m{i}", subject=f"Secret subject {i}", body_text=f"private body {i}") for i in range(3)]
    await pub.publish_batch(user_id=USER, provider=Provider.google, doc_type=DocType.email, records=emails,
                            batch_index=0, is_last_batch=False, occurred_at=factories.T0)
    await pub.publish_update(user_id=USER, provider=Provider.google, doc_type=DocType.email, change=ChangeType.updated,
                             doc_id="m0", record=emails[0], occurred_at=factories.T0)
    await pub.close()
    batch_message = consume(kafka, kafka.topic("email-backfill"), 1, group="pub-3")[0]
    update_message = consume(kafka, kafka.topic("email-updates"), 1, group="pub-4")[0]
    for message in (batch_message, update_message):
        for secret in (b"Secret subject", b"private body", b"ada@example.com", b"orders@shop.example"):
            assert secret not in message.value()
    batch = serde.decode(batch_message.value())
    assert batch.emails == [] and [ref.doc_id for ref in batch.emails_refs] == ["m0", "m1", "m2"]
    assert [await payloads.get(ref, user_id=USER, doc_type=DocType.email) for ref in batch.emails_refs] == emails
    update = serde.decode(update_message.value())
    assert update.email is None and await payloads.get(update.email_ref, user_id=USER, doc_type=DocType.email, doc_id="m0") == emails[0]


async def test_pipelined_updates_of_one_user_land_in_the_order_they_were_submitted(kafka, serde, payloads):
    pub = publisher(kafka, serde, payloads)
    await pub.start()
    futures = [
        await pub.submit_update(user_id=USER, provider=Provider.google, doc_type=DocType.contact, change=ChangeType.updated,
                                doc_id="people/c1", record=factories.contact(display_name=f"v{i}"), occurred_at=factories.T0)
        for i in range(300)
    ]
    offsets = [delivered.offset for delivered in await asyncio.gather(*futures)]
    await pub.close()
    assert offsets == sorted(offsets) and len(set(offsets)) == 300
    messages = consume(kafka, kafka.topic("contact-updates"), 300, group="pub-5")
    events = [serde.decode(m.value()) for m in messages]
    assert [e.contact.display_name for e in events] == [f"v{i}" for i in range(300)]
    sequences = [e.metadata.sequence for e in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == 300


async def test_an_undeliverable_event_fails_its_caller_with_the_topic_and_reason(serde, payloads, topic_prefix):
    nowhere = KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:9", topic_prefix=topic_prefix)
    pub = publisher(nowhere, serde, payloads, delivery_timeout_ms=1_000)
    await pub.start()
    with pytest.raises(PublishFailed) as raised:
        await pub.publish_update(user_id=USER, provider=Provider.google, doc_type=DocType.email, change=ChangeType.deleted,
                                 doc_id="m1", record=None, occurred_at=factories.T0)
    assert raised.value.topic == f"{topic_prefix}email-updates" and raised.value.retriable
    assert USER not in str(raised.value) and "timed out" in str(raised.value).lower()
    await pub.close()


async def test_closing_reports_what_never_got_an_answer_and_waiting_for_room_leaves_the_loop_free(serde, payloads, topic_prefix):
    nowhere = KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:9", topic_prefix=topic_prefix)
    pub = publisher(nowhere, serde, payloads, max_pending_records=2, flush_timeout_s=0.5)
    await pub.start()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    submit = dict(user_id=USER, provider=Provider.google, doc_type=DocType.email, change=ChangeType.deleted,
                  record=None, occurred_at=factories.T0)
    first = [await pub.submit_update(doc_id=f"m{i}", **submit) for i in range(2)]
    third = asyncio.create_task(pub.submit_update(doc_id="m2", **submit))
    started = time.monotonic()
    await asyncio.sleep(0.3)
    assert not third.done() and pub.pending == 2 and ticks >= 10  # waits for room, the loop runs
    third.cancel()
    with pytest.raises(UndeliveredOnClose) as raised:
        await pub.close()
    assert raised.value.count == 2 and time.monotonic() - started < 5
    for future in first:
        assert isinstance(future.exception(), PublishFailed)
    ticking.cancel()


async def test_with_export_on_each_event_is_its_publish_span_under_the_callers(kafka, serde, payloads):
    # The SDK's in-memory exporter: what reaches a collector is tested against a real OTLP
    # receiver in tests/integration/test_otel_export.py; here, which span is which event.
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: PLC0415

    from connectors import tracing  # noqa: PLC0415
    from connectors.otel import OtelSpans  # noqa: PLC0415

    exported = InMemorySpanExporter()
    spans = OtelSpans.from_env("tests", {}, exporter=exported)
    before = tracing.use(spans)
    try:
        pub = publisher(kafka, serde, payloads)
        await pub.start()
        trace = TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        await pub.publish_update(user_id=USER, provider=Provider.microsoft, doc_type=DocType.email,
                                 change=ChangeType.created, doc_id="m1", record=factories.email("m1"),
                                 occurred_at=factories.T0, trace=trace)
        await pub.close()
        spans.flush()
    finally:
        tracing.use(before)
        spans.provider.shutdown()
    [message] = consume(kafka, kafka.topic("email-updates"), 1, group="pub-otel")
    event = serde.decode(message.value())
    [span] = [s for s in exported.get_finished_spans() if s.name == "publish email-updates"]
    assert format(span.context.span_id, "016x") == event.metadata.span_id
    assert format(span.context.trace_id, "032x") == event.metadata.trace_id == trace.trace_id
    assert format(span.parent.span_id, "016x") == trace.parent_span_id
    assert dict(message.headers())["traceparent"].decode() == f"00-{trace.trace_id}-{event.metadata.span_id}-01"
