"""One record through a service: decode, handle, retry, or dead-letter. No Kafka in here.

The faust wiring (``processors.common.faust_wiring``) feeds records in and acknowledges them
only after ``process`` returns: by then the effect is done, or the record is in the
dead-letter topic, so committing its offset loses nothing. A dead letter that cannot be sent
stops the worker (``on_failure``, and ``WorkerMustStop`` raised): the record is then neither
handled nor dead-lettered, and no offset is committed past it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from connectors.redis.exceptions import PayloadStoreError
from processors.common.dead_letters import DeadLetter, dead_letter
from processors.common.exceptions import PoisonMessage, WorkerMustStop
from processors.common.inbound import InboundRecord
from processors.common.retry import RetryPolicy, retry
from schemas.exceptions import DeserializationError

Handler = Callable[[Any, InboundRecord], Awaitable[None]]
Decoder = Callable[[bytes | None], Awaitable[Any]]
DeadLetterSink = Callable[[DeadLetter], Awaitable[None]]
#: Told when the worker must stop (``faust_wiring.crash_app``).
FailureCallback = Callable[[BaseException], None]
Outcome = Literal["handled", "dead-lettered"]

log = logging.getLogger("officestream.processors")


def is_transient(exc: BaseException) -> bool:
    """Dependencies that are down: Redis, Vespa, the registry, the content endpoint."""
    return bool(getattr(exc, "retriable", False))


def is_poison(exc: BaseException) -> bool:
    """The message itself is bad: retrying cannot help."""
    if isinstance(exc, PayloadStoreError):
        return not exc.retriable
    return isinstance(exc, (DeserializationError, PoisonMessage))


def _fails_now(exc: BaseException) -> bool:
    return is_poison(exc) or isinstance(exc, WorkerMustStop)


def event_id_of(decoded: Any) -> str:
    metadata = getattr(decoded, "metadata", None)
    return str(getattr(metadata, "event_id", None) or getattr(decoded, "event_id", "-"))


class RecordProcessor:
    """Decodes with ``decode`` (the Avro serde's ``decode``, or a JSON decoder for derived
    topics) and hands the result to ``handler``."""

    def __init__(
        self,
        *,
        service: str,
        decode: Decoder,
        handler: Handler,
        dead_letters: DeadLetterSink,
        policy: RetryPolicy,
        on_failure: FailureCallback | None = None,
    ) -> None:
        self.service = service
        self._decode = decode
        self._handler = handler
        self._dead_letters = dead_letters
        self._policy = policy
        self._on_failure = on_failure

    async def process(self, record: InboundRecord) -> Outcome:
        """Handle ``record`` or dead-letter it; only transient failures keep it waiting."""
        context = {"event_id": "-"}

        async def attempt() -> None:
            decoded = await self._decode(record.value)
            context["event_id"] = event_id_of(decoded)
            await self._handler(decoded, record)

        def on_retry(exc: BaseException, number: int, wait: float) -> None:
            log.warning(
                "retrying service=%s where=%s event_id=%s attempt=%d wait_s=%.2f error=%s: %s",
                self.service, record.where, context["event_id"], number, wait, type(exc).__name__, exc,
            )

        try:
            await retry(attempt, policy=self._policy, is_transient=is_transient, is_fatal=_fails_now, on_retry=on_retry)
        except WorkerMustStop:
            raise
        except Exception as exc:
            await self.dead_letter(record, exc, event_id=context["event_id"])
            return "dead-lettered"
        return "handled"

    async def dead_letter(self, record: InboundRecord, error: BaseException, *, event_id: str = "-") -> None:
        """Send ``record`` to the service's dead-letter topic with ``error`` as the reason (also
        for work a service finishes after the agent moved past the record). If the dead letter
        cannot be sent, the worker must stop: ``on_failure`` is told and ``WorkerMustStop`` raised."""
        try:
            await self._dead_letters(dead_letter(record, service=self.service, error=error))
        except WorkerMustStop as exc:
            self._stopping(record, exc, event_id)
            raise
        except Exception as exc:
            stop = WorkerMustStop(f"the dead letter of {record.where} was not sent: {type(exc).__name__}: {exc}")
            self._stopping(record, stop, event_id)
            raise stop from exc
        log.error(
            "dead-lettered service=%s where=%s event_id=%s error=%s: %s",
            self.service, record.where, event_id, type(error).__name__, error,
        )

    def _stopping(self, record: InboundRecord, stop: WorkerMustStop, event_id: str) -> None:
        log.error(
            "dead letter not sent, stopping the worker service=%s where=%s event_id=%s: %s",
            self.service, record.where, event_id, stop,
        )
        if self._on_failure is not None:
            self._on_failure(stop)
