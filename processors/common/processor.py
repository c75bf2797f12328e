"""One record through a service: decode, handle, retry, or dead-letter. No Kafka in here.

The faust wiring (``processors.common.faust_wiring``) feeds records in and acknowledges them
only after ``process`` returns: by then the effect is done, or the record is in the
dead-letter topic, so committing its offset loses nothing. A dead letter that cannot be sent
stops the worker (``on_failure``, and ``WorkerMustStop`` raised): the record is then neither
handled nor dead-lettered, and no offset is committed past it.

A failure decides the record's fate by its class:

- transient (``retriable``: Redis, Vespa, the registry or the content endpoint is down, or
  answers 5xx / 408 / 429): retried with backoff for as long as it takes, never dead-lettered.
  Past ``RetryPolicy.stalled_after_attempts`` the record is reported stalled (an error log
  naming it, and ``officestream_processor_stalled_messages``) and still retried.
- poison (undecodable, invalid, a payload that is missing, corrupt, of the wrong Redis type or
  not the event's own): dead-lettered at once with the reason.
- a configuration error (the registry or Redis refuses our credentials, the registry URL leads
  elsewhere) or ``WorkerMustStop``: raised, so the worker stops before committing past it.
- anything else (a bug): ``max_attempts`` attempts, then dead-lettered.

Every log line about a message names ``where=topic[partition]@offset``, ``event_id=`` and
``trace_id=`` (the event's ``metadata.trace_id``, or its ``traceparent`` header when it did not
decode), and each handled message ends with one line saying what it did: ``outcome=applied``
(the ledger let an item through; for the vespa-loader: queued for the feed, whose refusals are
dead-lettered later), ``duplicate`` (every item was applied already) or ``handled`` (a service
with no ledger). So one trace id, grepped, leads from the bridge's webhook to every effect.
With OpenTelemetry export on (``connectors/tracing.py``), each message is a consumer span, the
child of the event's own span (its ``traceparent``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from faust.exceptions import PartitionsMismatch

from connectors import tracing
from connectors.redis.exceptions import PayloadStoreMisconfigured, PayloadUnusable
from connectors.tracing import TraceContext, header_traceparent, trace_id_of_record
from processors.common.dead_letters import DeadLetter, dead_letter
from processors.common.effects import CURRENT, Effects
from processors.common.exceptions import PoisonMessage, WorkerMustStop
from processors.common.inbound import InboundRecord
from processors.common.keys import require_user_key
from processors.common.metrics import METRICS, ProcessorMetrics
from processors.common.retry import RetryPolicy, retry
from schemas.exceptions import DeserializationError, RegistryMisconfigured

Handler = Callable[[Any, InboundRecord], Awaitable[None]]
Decoder = Callable[[bytes | None], Awaitable[Any]]
DeadLetterSink = Callable[[DeadLetter], Awaitable[None]]
#: Told when the worker must stop (``faust_wiring.crash_app``).
FailureCallback = Callable[[BaseException], None]
Outcome = Literal["handled", "dead-lettered"]

log = logging.getLogger("officestream.processors")


def is_transient(exc: BaseException) -> bool:
    """Dependencies that are down: Redis, Vespa, the registry, the content endpoint; and a table
    changelog the worker's metadata does not know yet (faust's PartitionsMismatch with 0
    changelog partitions: the worker created it, and its metadata lags; a real mismatch of two
    partition counts is not transient)."""
    if isinstance(exc, PartitionsMismatch):
        return _UNKNOWN_CHANGELOG in str(exc)
    return bool(getattr(exc, "retriable", False))


#: How faust's PartitionsMismatch says the changelog is not in the metadata (yet).
_UNKNOWN_CHANGELOG = "has 0 partitions"


def is_poison(exc: BaseException) -> bool:
    """The message itself is bad: retrying cannot help."""
    return isinstance(exc, (DeserializationError, PoisonMessage, PayloadUnusable))


def must_stop(exc: BaseException) -> WorkerMustStop | None:
    """The ``WorkerMustStop`` that ``exc`` amounts to, or None: a configuration error is nobody's
    message's fault, so dead-lettering would throw good messages away."""
    if isinstance(exc, WorkerMustStop):
        return exc
    if isinstance(exc, (RegistryMisconfigured, PayloadStoreMisconfigured)):
        return WorkerMustStop(f"configuration error, stopping the worker: {type(exc).__name__}: {exc}")
    return None


def _fails_now(exc: BaseException) -> bool:
    return is_poison(exc) or must_stop(exc) is not None


def event_id_of(decoded: Any) -> str:
    metadata = getattr(decoded, "metadata", None)
    return str(getattr(metadata, "event_id", None) or getattr(decoded, "event_id", "-"))


class RecordProcessor:
    """Decodes with ``decode`` (the Avro serde's ``decode``, unless a caller gives another) and
    hands the result to ``handler``."""

    def __init__(
        self,
        *,
        service: str,
        decode: Decoder,
        handler: Handler,
        dead_letters: DeadLetterSink,
        policy: RetryPolicy,
        metrics: ProcessorMetrics = METRICS,
        on_failure: FailureCallback | None = None,
    ) -> None:
        self.service = service
        self._decode = decode
        self._handler = handler
        self._dead_letters = dead_letters
        self._policy = policy
        self._metrics = metrics
        self._on_failure = on_failure

    async def process(self, record: InboundRecord) -> Outcome:
        """Handle ``record`` or dead-letter it; only transient failures keep it waiting."""
        spans = tracing.active()
        if not spans.exporting:
            return await self._process(record)
        parent = TraceContext.parse(header_traceparent(record.headers))
        with spans.span(f"consume {record.topic}", parent=parent, kind="consumer",
                        attributes={"officestream.service": self.service, "officestream.where": record.where}):
            return await self._process(record)

    async def _process(self, record: InboundRecord) -> Outcome:
        retries = _Retries(self.service, record, self._policy.stalled_after_attempts, self._metrics)
        retries.trace_id = trace_id_of_record(None, record.headers)
        effects = Effects()  # over all attempts: what a failed attempt applied stays applied
        CURRENT.set(effects)  # the ledger's decisions while this message is handled (the next one sets its own)

        async def attempt() -> None:
            decoded = await self._decode(record.value)
            retries.event_id = event_id_of(decoded)
            retries.trace_id = trace_id_of_record(decoded, record.headers)
            require_user_key(decoded, record.key)
            await self._handler(decoded, record)

        try:
            await retry(attempt, policy=self._policy, is_transient=is_transient, is_fatal=_fails_now, on_retry=retries.failed)
        except Exception as exc:
            stop = must_stop(exc)
            if stop is not None:
                log.critical(
                    "stopping service=%s where=%s event_id=%s trace_id=%s error=%s: %s",
                    self.service, record.where, retries.event_id, retries.trace_id, type(exc).__name__, exc,
                )
                if stop is exc:
                    raise
                raise stop from exc
            await self.dead_letter(record, exc, event_id=retries.event_id, trace_id=retries.trace_id)
            return "dead-lettered"
        finally:
            retries.finished()
        log.info("handled service=%s where=%s event_id=%s trace_id=%s outcome=%s applied=%d duplicates=%d",
                 self.service, record.where, retries.event_id, retries.trace_id, effects.outcome, effects.applied,
                 effects.duplicates)
        return "handled"

    async def dead_letter(
        self, record: InboundRecord, error: BaseException, *, event_id: str = "-", trace_id: str | None = None,
    ) -> None:
        """Send ``record`` to the service's dead-letter topic with ``error`` as the reason (also
        for work a service finishes after the agent moved past the record). If the dead letter
        cannot be sent, the worker must stop: ``on_failure`` is told and ``WorkerMustStop`` raised."""
        trace_id = trace_id or trace_id_of_record(None, record.headers)
        try:
            await self._dead_letters(dead_letter(record, service=self.service, error=error))
        except WorkerMustStop as exc:
            self._stopping(record, exc, event_id, trace_id)
            raise
        except Exception as exc:
            stop = WorkerMustStop(f"the dead letter of {record.where} was not sent: {type(exc).__name__}: {exc}")
            self._stopping(record, stop, event_id, trace_id)
            raise stop from exc
        self._metrics.dead_lettered(self.service, record.topic, error)
        log.error(
            "dead-lettered service=%s where=%s event_id=%s trace_id=%s error=%s: %s",
            self.service, record.where, event_id, trace_id, type(error).__name__, error,
        )

    def _stopping(self, record: InboundRecord, stop: WorkerMustStop, event_id: str, trace_id: str) -> None:
        log.error(
            "dead letter not sent, stopping the worker service=%s where=%s event_id=%s trace_id=%s: %s",
            self.service, record.where, event_id, trace_id, stop,
        )
        if self._on_failure is not None:
            self._on_failure(stop)


class _Retries:
    """The failed attempts at one record: each logged and counted; past ``stalled_after`` the
    record is reported stalled (error log, gauge) until it is done, one way or another."""

    def __init__(self, service: str, record: InboundRecord, stalled_after: int, metrics: ProcessorMetrics) -> None:
        self.service = service
        self.record = record
        self.stalled_after = stalled_after
        self.metrics = metrics
        self.event_id = "-"
        self.trace_id = "-"
        self.attempts = 0
        self.stalled = False

    def failed(self, exc: BaseException, number: int, wait: float) -> None:
        record = self.record
        self.attempts = number
        self.metrics.retried(self.service, record.topic, record.partition, exc)
        log.warning(
            "retrying service=%s where=%s event_id=%s trace_id=%s attempt=%d wait_s=%.2f error=%s: %s",
            self.service, record.where, self.event_id, self.trace_id, number, wait, type(exc).__name__, exc,
        )
        if number == self.stalled_after:
            self.stalled = True
            self.metrics.stall_began(self.service, record.topic, record.partition)
            log.error(
                "stalled service=%s where=%s event_id=%s trace_id=%s attempts=%d error=%s: %s; the partition "
                "waits and the message is retried until it succeeds (OFFICESTREAM_PROCESSOR_STALLED_AFTER_ATTEMPTS=%d)",
                self.service, record.where, self.event_id, self.trace_id, number, type(exc).__name__, exc, self.stalled_after,
            )

    def finished(self) -> None:
        if self.stalled:
            self.stalled = False
            self.metrics.stall_ended(self.service, self.record.topic, self.record.partition)
            log.warning(
                "unstalled service=%s where=%s event_id=%s trace_id=%s after attempts=%d",
                self.service, self.record.where, self.event_id, self.trace_id, self.attempts + 1,
            )
