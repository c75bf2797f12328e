"""Wiring a service into faust: the app, its raw source topics, the agent, the dead-letter topic.

Source topics use the ``raw`` codec: faust never decodes, so it can never acknowledge an
undecodable message silently (its default). Every record goes through ``RecordProcessor``,
which decodes with the schemas serde and dead-letters what cannot be processed.

Delivery: a record is acknowledged when the agent moves past it, i.e. after its effect is done
or its dead letter is queued. faust flushes its producer (table changelogs, dead letters,
derived events) before it commits offsets, so a crash before the commit replays the record and
the idempotence ledger turns the replay into a no-op (but for derived events, announced again
under the same ids: processors/common/derived.py): at-least-once processing with
effectively-once effects. A record that cannot be sent (a dead letter, a derived event, a
changelog write) stops the worker before any commit past it; a dead letter too large for its
topic goes by reference, its value kept in Redis (``processors/common/dead_letters.py``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import faust
from faust.types import TP
import httpx
import redis.asyncio as aioredis

from connectors import tracing
from connectors.kafka.settings import KafkaSettings
from connectors.logs import faust_logging_config
from connectors.kafka.topics import DEAD_LETTER_RETENTION_MS, dead_letter_topic
from connectors.redis.dead_letter_store import DeadLetterStore
from connectors.redis.payload_store import PayloadStore
from connectors.redis.settings import RedisSettings
from processors.common import faust_transport
from processors.common.changelog_table import ChangelogTable
from processors.common.dead_letters import DeadLetter, by_reference
from processors.common.exceptions import WorkerMustStop
from processors.common.idempotence import VersionLedger
from processors.common.in_flight import queue_config
from processors.common.inbound import InboundRecord
from processors.common.ledger_tombstones import LedgerTombstones
from processors.common.metrics import METRICS, serve_metrics
from processors.common.processor import Decoder, Handler, RecordProcessor, is_transient
from processors.common.retry import RetryPolicy, retry
from processors.common.settings import ProcessorSettings
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde

log = logging.getLogger("officestream.processors")

#: The app attribute holding ``KafkaSettings.max_message_bytes`` (tables create their changelogs with it).
MAX_MESSAGE_BYTES_ATTRIBUTE = "officestream_max_message_bytes"
#: The app attribute holding ``ProcessorSettings.table_store_options()`` (every table's store gets them).
TABLE_OPTIONS_ATTRIBUTE = "officestream_table_store_options"


def _logging(service: str) -> dict[str, Any]:
    config = faust_logging_config(service)
    return {"logging_config": config} if config is not None else {}


def create_app(
    service: str, kafka: KafkaSettings, settings: ProcessorSettings, *, offset_reset: str = "earliest"
) -> faust.App:
    """The faust app of ``service``; its id is the consumer group (``kafka.group(service)``, or
    ``OFFICESTREAM_PROCESSOR_GROUP_ID`` for a side group)."""
    try:
        tracing.configure(service)  # OTel export when OTEL_EXPORTER_OTLP_ENDPOINT is set
    except tracing.TracingUnavailable as exc:
        raise SystemExit(f"error: {exc}") from None  # one line, not faust's traceback
    app_id = settings.group_id or kafka.group(service)
    datadir = settings.data_dir / app_id
    datadir.mkdir(parents=True, exist_ok=True)  # faust expects it to exist
    app = faust.App(
        app_id,
        broker=[url.replace("kafka://", f"{faust_transport.SCHEME}://", 1) for url in kafka.faust_broker()],
        broker_credentials=kafka.faust_credentials(),
        store=settings.store,
        datadir=str(datadir),
        topic_partitions=settings.table_partitions,
        topic_replication_factor=kafka.replication_factor,
        consumer_auto_offset_reset=offset_reset,
        consumer_group_instance_id=settings.group_instance_id,  # static membership when set
        **_canonical_url(settings),
        producer_acks=-1,
        # The faust worker CLI turns its web server on unless given --without-web, so it binds
        # loopback only, on the configured port or a free one (several workers per host).
        web_enabled=settings.web_port is not None,
        web_port=settings.web_port or _free_loopback_port(),
        web_bind="127.0.0.1",
        web_host="127.0.0.1",
        key_serializer="raw",
        value_serializer="raw",
        consumer_max_fetch_size=settings.max_fetch_bytes,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),  # faust's 3 s, or a third
        # Changelog writes straight to librdkafka (processors/common/changelog_table.py).
        Table=ChangelogTable,
        # OFFICESTREAM_LOG_FORMAT=json: JSON lines (connectors/logs.py); else faust's own format.
        **_logging(service),
    )
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(settings.gc_threshold, older, oldest)  # the worker process is the app's
    serve_metrics(app)
    setattr(app, faust_transport.FETCH_WAIT_ATTRIBUTE, settings.fetch_max_wait_ms)
    pending = (settings.producer_max_pending_records, settings.producer_max_pending_bytes)
    setattr(app, faust_transport.PENDING_LIMITS_ATTRIBUTE, pending)
    setattr(
        app, faust_transport.PRODUCER_CONFIG_ATTRIBUTE,
        kafka.producer_config(**{"linger.ms": settings.producer_linger_ms, **queue_config(*pending)}),
    )
    setattr(app, MAX_MESSAGE_BYTES_ATTRIBUTE, kafka.max_message_bytes)
    setattr(app, TABLE_OPTIONS_ATTRIBUTE, settings.table_store_options())
    return app


def _canonical_url(settings: ProcessorSettings) -> dict[str, str]:
    """Under static membership, faust's canonical URL is the worker's name. faust's assignor
    puts the URL in the assignment and asserts it on receipt, and a restarted static member gets
    the assignment its previous life was given: with the default URL (the web port, a free one
    per start) the restarted worker dies on that assertion. Nothing here routes requests by it."""
    return {"canonical_url": f"http://{settings.group_instance_id}"} if settings.group_instance_id else {}


def _free_loopback_port() -> int:
    # faust refuses port 0, so ask the kernel for a free one (a race only with another binder).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raw_topic(app: faust.App, *names: str) -> Any:
    return app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw", allow_empty=True)


def before_commit(app: faust.App, hook: Callable[[], Awaitable[None]]) -> None:
    """Run ``hook`` before every offset commit: faust flushes the producer before it commits,
    and the worker's producer awaits these hooks first. For work a service finishes after the
    agent moved on (the vespa-loader's batches): the hook finishes it, or raises, and then
    nothing is committed (the worker stops)."""
    hooks = getattr(app, faust_transport.BEFORE_FLUSH_ATTRIBUTE, None)
    if hooks is None:
        hooks = []
        setattr(app, faust_transport.BEFORE_FLUSH_ATTRIBUTE, hooks)
    hooks.append(hook)


def crash_app(app: faust.App) -> Callable[[BaseException], None]:
    """A callback that stops the worker with ``exc`` (as a producer failure does)."""
    crashing: list[asyncio.Future[None]] = []  # referenced, so the task is not collected

    def crash(exc: BaseException) -> None:
        crashing.append(asyncio.ensure_future(app.crash(exc)))

    return crash


def avro_decoder() -> Decoder:
    """The schemas serde's ``decode`` on the configured registry. A message whose schema is not
    cached yet is decoded in a thread: the registry call is blocking HTTP and must not stall
    the event loop (heartbeats, other partitions); cached ones decode inline, which is fast."""
    serde = AvroEventSerde(registry_client(RegistrySettings.from_env()))

    async def decode(value: bytes | None) -> Any:
        if serde.knows_writer_of(value):
            return serde.decode(value)
        return await asyncio.to_thread(serde.decode, value)

    return decode


def _redis() -> aioredis.Redis:
    """A client of the configured Redis; connects lazily, on first use."""
    redis_settings = RedisSettings.from_env()
    return aioredis.Redis.from_url(redis_settings.url, **redis_settings.client_kwargs())


def create_payload_store(settings: ProcessorSettings) -> PayloadStore:
    """The Redis payload store, with the content endpoint as fallback when one is configured
    (its requests carry ``OFFICESTREAM_PROCESSOR_CONTENT_TOKEN``). Connects lazily, on first use."""
    http = httpx.AsyncClient(timeout=10, headers=content_endpoint_headers(settings)) if settings.content_endpoint else None
    return PayloadStore(
        _redis(),
        content_endpoint=settings.content_endpoint,
        http=http,
        max_payload_bytes=RedisSettings.from_env().max_payload_bytes,
    )


def content_endpoint_headers(settings: ProcessorSettings) -> dict[str, str]:
    """What every content endpoint request carries: the bridge's internal token, when set."""
    token = settings.content_token
    return {"Authorization": f"Bearer {token.get_secret_value()}"} if token is not None else {}


def json_table(app: faust.App, name: str, *, default: Any = None, encoded: bool = False) -> Any:
    """A table with ``str`` keys and JSON values (both JSON-encoded in the changelog, which is
    compacted: faust's default for tables). With ``encoded`` the values are JSON the service
    encoded itself (``bytes``, e.g. pydantic's ``model_dump_json``), stored and read back as
    bytes: the same changelog format, without a second encoding. In a ``rocksdb://`` app its
    store gets RocksDB's memory bounds (``ProcessorSettings.table_store_options``)."""
    limit = getattr(app, MAX_MESSAGE_BYTES_ATTRIBUTE, None)
    store_options = getattr(app, TABLE_OPTIONS_ATTRIBUTE, None)
    return app.Table(
        name, default=default, key_type=str, value_type=bytes if encoded else None,
        extra_topic_configs={"max.message.bytes": str(limit)} if limit else None,
        # A copy per table: faust's RocksDB store pops its own keys out of the mapping.
        options=dict(store_options) if store_options else None,
    )


def version_ledger(app: faust.App, settings: ProcessorSettings, name: str = "applied") -> VersionLedger:
    """The service's idempotence ledger (table ``name``), whose tombstones expire after
    ``OFFICESTREAM_PROCESSOR_LEDGER_TOMBSTONE_RETENTION_DAYS``; the service calls
    ``ledger.drop_expired(user_id)`` while it handles a message of that user."""
    retention_ms = int(settings.ledger_tombstone_retention_days * 86_400_000)
    ledger = VersionLedger(
        json_table(app, name, encoded=True),
        tombstones=LedgerTombstones(retention_ms=retention_ms) if retention_ms > 0 else None,
    )

    @app.on_partitions_assigned.connect
    async def _partitions_changed(app: object, assigned: object, **kwargs: object) -> None:
        ledger.partitions_changed()

    return ledger


def build_processor(
    app: faust.App,
    service: str,
    kafka: KafkaSettings,
    settings: ProcessorSettings,
    handler: Handler,
    *,
    decode: Decoder | None = None,
) -> RecordProcessor:
    """A processor for ``service`` whose dead letters go to its dead-letter topic (by
    reference when too large for it); one that cannot be sent crashes the app."""
    dead_letters = raw_topic(app, kafka.topic(dead_letter_topic(service)))
    keep_original = original_keeper(DeadLetterStore(_redis()), retry_policy(settings))

    async def send_dead_letter(letter: DeadLetter) -> None:
        if not kafka.fits_in_a_message(letter.key, letter.value, letter.headers):
            await keep_original(letter)
            letter = by_reference(letter)
        await dead_letters.send(key=letter.key, value=letter.value, headers=letter.headers)

    return RecordProcessor(
        service=service,
        decode=decode or avro_decoder(),
        handler=handler,
        dead_letters=send_dead_letter,
        policy=retry_policy(settings),
        on_failure=crash_app(app),
    )


def original_keeper(store: DeadLetterStore, policy: RetryPolicy) -> Callable[[DeadLetter], Awaitable[None]]:
    """Stores a dead letter's value under its ``original_key`` before it is sent by reference.
    Redis down is transient: retried with backoff for as long as it takes (the partition waits);
    Redis refusing the write raises, and the worker stops: the value is never dropped."""

    async def keep(letter: DeadLetter) -> None:
        value = letter.value or b""

        def on_retry(exc: BaseException, number: int, wait: float) -> None:
            log.warning(
                "retrying the original of a dead letter key=%s attempt=%d wait_s=%.2f error=%s: %s",
                letter.original_key, number, wait, type(exc).__name__, exc,
            )

        await retry(
            lambda: store.put(letter.original_key, value, ttl_ms=DEAD_LETTER_RETENTION_MS),
            policy=policy, is_transient=is_transient, is_fatal=lambda exc: not is_transient(exc), on_retry=on_retry,
        )
        log.warning("dead letter too large for its topic: value of %d bytes kept in Redis as %s", len(value), letter.original_key)

    return keep


def retry_policy(settings: ProcessorSettings) -> RetryPolicy:
    return RetryPolicy(
        base_s=settings.retry_base_s,
        max_s=settings.retry_max_s,
        max_attempts=settings.max_attempts,
        stalled_after_attempts=settings.stalled_after_attempts,
    )


def attach_agent(app: faust.App, topics: Iterable[str], processor: RecordProcessor, *, name: str = "records") -> None:
    """One agent over ``topics`` that runs every record through ``processor``, in order per partition."""
    source = raw_topic(app, *topics)

    async def consume(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await _room_to_send(app)
            started = time.perf_counter()
            record = _inbound(event)
            try:
                outcome = await processor.process(record)
            except WorkerMustStop as exc:
                await _stop_without_acking(app, event, exc)
                return
            _finished(app, processor.service, record, outcome, started)

    app.agent(source, name=f"{processor.service}.{name}")(consume)


def _finished(app: faust.App, service: str, record: InboundRecord, outcome: str, started: float) -> None:
    """The metrics of one finished message (``processors/common/metrics.py``)."""
    try:  # metrics never cost a message: a partition the consumer knows no end of has no lag
        highwater = app.consumer.highwater(TP(record.topic, record.partition))
    except Exception:  # noqa: BLE001
        highwater = None
    METRICS.finished(
        service, record.topic, record.partition, outcome, seconds=time.perf_counter() - started,
        age_s=time.time() - record.timestamp_ms / 1000 if record.timestamp_ms else None,
        lag=highwater - record.offset - 1 if isinstance(highwater, int) else None,
    )


async def _stop_without_acking(app: faust.App, event: Any, exc: WorkerMustStop) -> None:
    """Stop the worker over ``event`` without committing it. Left to faust, an exception out of
    the agent acknowledges the event (the stream's cleanup does) and the supervisor restarts the
    agent at the next one, so the offset would be committed past a record that was never handled.
    Marked acknowledged on the message itself, it never reaches the consumer's acked offsets:
    every commit, also the one on the way out, stops before it."""
    event.message.acked = True
    await app.crash(exc)


async def _room_to_send(app: faust.App) -> None:
    """Wait (without blocking the loop) while the worker's producer holds too much the broker
    has not acknowledged yet: the back-pressure that keeps librdkafka's queue from filling."""
    producer = app.producer
    if isinstance(producer, faust_transport.LibrdkafkaProducer):
        await producer.wait_for_room()


def _inbound(event: Any) -> InboundRecord:
    message = event.message
    headers = message.headers or []
    pairs = list(headers.items()) if isinstance(headers, dict) else [(k, v) for k, v in headers]
    return InboundRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=[(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in pairs],
        timestamp_ms=int(message.timestamp * 1000) if message.timestamp else None,
    )
