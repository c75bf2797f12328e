"""A dead letter that cannot be sent stops the worker: the record processor tells ``on_failure``
(which crashes the app) and raises ``WorkerMustStop``, so the record is neither handled nor
dead-lettered, and nothing is committed past it."""

from __future__ import annotations

import pytest

from processors.common.dead_letters import DeadLetter
from processors.common.exceptions import PoisonMessage, WorkerMustStop
from processors.common.inbound import InboundRecord
from processors.common.processor import RecordProcessor
from processors.common.retry import RetryPolicy

RECORD = InboundRecord("email-updates", 2, 11, b"user-1", b"\x07poison")


async def poison(value: bytes | None) -> None:
    raise PoisonMessage("not an event")


async def never(event: object, record: InboundRecord) -> None:
    raise AssertionError("never reached")


def processor(sink, stopped: list[BaseException]) -> RecordProcessor:
    return RecordProcessor(
        service="tests", decode=poison, handler=never, dead_letters=sink,
        policy=RetryPolicy(base_s=0.001, max_s=0.01), on_failure=stopped.append,
    )


async def test_a_dead_letter_the_producer_refuses_stops_the_worker_with_its_error():
    refused = WorkerMustStop("cannot send to shipments-dlq: MSG_SIZE_TOO_LARGE")  # as RecordRefused is

    async def sink(letter: DeadLetter) -> None:
        raise refused

    stopped: list[BaseException] = []
    with pytest.raises(WorkerMustStop) as raised:
        await processor(sink, stopped).process(RECORD)
    assert raised.value is refused and stopped == [refused]


async def test_any_other_failure_to_dead_letter_stops_the_worker_too():
    async def sink(letter: DeadLetter) -> None:
        raise RuntimeError("the dead-letter topic is gone")

    stopped: list[BaseException] = []
    with pytest.raises(WorkerMustStop, match=r"dead letter of email-updates\[2\]@11 was not sent: RuntimeError"):
        await processor(sink, stopped).process(RECORD)
    assert len(stopped) == 1 and isinstance(stopped[0], WorkerMustStop)
