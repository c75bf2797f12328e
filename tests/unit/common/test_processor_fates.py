"""What the record processor does with each kind of failure, and the signals it raises (logs,
metrics): transient errors wait (and report a stall past the limit), poison is dead-lettered at
once, configuration errors stop the worker. No Kafka: the sink is a list."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry

from connectors.redis.exceptions import PayloadCorrupt, PayloadRefused, PayloadStoreError, PayloadStoreMisconfigured, PayloadStoreUnavailable
from processors.common.dead_letters import DeadLetter, reason_headers
from processors.common.exceptions import WorkerMustStop
from processors.common.inbound import InboundRecord
from processors.common.metrics import ProcessorMetrics
from processors.common.processor import RecordProcessor
from processors.common.retry import RetryPolicy
from schemas.exceptions import RegistryAccessDenied, RegistryNotFound, RegistryUnavailable

RECORD = InboundRecord("email-updates", 4, 17, b"user-1", b"bytes")
EVENT = SimpleNamespace(metadata=SimpleNamespace(event_id="evt-42", user_id="user-1"))


class Harness:
    """A processor whose handler raises ``failures`` one by one, then succeeds."""

    def __init__(self, failures: list[Exception], *, stalled_after: int = 100, decode_failures: list[Exception] | None = None):
        self.metrics = ProcessorMetrics(CollectorRegistry())
        self.dead: list[DeadLetter] = []
        self.calls = 0
        self.stalled_seen: list[float] = []

        async def decode(value):
            if decode_failures:
                raise decode_failures.pop(0)
            return EVENT

        async def handler(event, record):
            self.calls += 1
            self.stalled_seen.append(self.value("officestream_processor_stalled_messages"))
            if failures:
                raise failures.pop(0)

        async def sink(letter: DeadLetter) -> None:
            self.dead.append(letter)

        self.processor = RecordProcessor(
            service="tests", decode=decode, handler=handler, dead_letters=sink, metrics=self.metrics,
            policy=RetryPolicy(base_s=0.001, max_s=0.002, max_attempts=3, stalled_after_attempts=stalled_after),
        )

    def value(self, name: str, **labels: str) -> float:
        wanted = {"service": "tests", "topic": "email-updates", **labels}
        if "dead_letters" not in name:
            wanted["partition"] = "4"
        return self.metrics.registry.get_sample_value(name, wanted) or 0.0


async def test_a_registry_outage_is_retried_past_max_attempts_and_counted():
    harness = Harness([], decode_failures=[RegistryUnavailable("registry answered 503") for _ in range(6)])
    assert await harness.processor.process(RECORD) == "handled"
    assert harness.dead == [] and harness.calls == 1
    assert harness.value("officestream_processor_retries_total", error_class="RegistryUnavailable") == 6


@pytest.mark.parametrize("error", [RegistryAccessDenied("refused access (401): check OFFICESTREAM_REGISTRY_USERNAME"),
                                   RegistryNotFound("not a registry; check OFFICESTREAM_REGISTRY_URL"),
                                   PayloadStoreMisconfigured("NOAUTH; check OFFICESTREAM_REDIS_PASSWORD")])
async def test_a_configuration_error_stops_the_worker_at_once_without_a_dead_letter(error, caplog):
    harness = Harness([error])
    with pytest.raises(WorkerMustStop, match="configuration error, stopping the worker") as raised:
        await harness.processor.process(RECORD)
    assert raised.value.__cause__ is error and "OFFICESTREAM_" in str(raised.value)
    assert harness.calls == 1 and harness.dead == []
    assert "stopping service=tests where=email-updates[4]@17 event_id=evt-42" in caplog.text


@pytest.mark.parametrize("error", [PayloadCorrupt("office:u:email:m: the key holds another Redis type than a payload: WRONGTYPE"),
                                   PayloadRefused("office:u2:email:m: not the key of this event's user's email 'm'")])
async def test_an_unusable_payload_is_dead_lettered_at_once_with_the_reason(error):
    harness = Harness([error])
    assert await harness.processor.process(RECORD) == "dead-lettered"
    assert harness.calls == 1
    reason = reason_headers(harness.dead[0].headers)
    assert (reason["error.class"], reason["error.message"]) == (type(error).__name__, str(error))
    assert harness.value("officestream_processor_dead_letters_total", error_class=type(error).__name__) == 1


async def test_an_unclassified_store_error_gets_max_attempts_then_a_dead_letter():
    harness = Harness([PayloadStoreError("ERR something new") for _ in range(5)])
    assert await harness.processor.process(RECORD) == "dead-lettered"
    assert harness.calls == 3


async def test_a_message_retried_past_the_limit_is_reported_stalled_and_still_retried(caplog):
    caplog.set_level(logging.WARNING, logger="officestream.processors")
    harness = Harness([PayloadStoreUnavailable("content endpoint answered 503 for office:u:email:m") for _ in range(5)], stalled_after=3)
    assert await harness.processor.process(RECORD) == "handled"
    assert harness.calls == 6 and harness.dead == []
    # The gauge is up from the attempt after the third failure until the message is done.
    assert harness.stalled_seen == [0, 0, 0, 1, 1, 1]
    assert harness.value("officestream_processor_stalled_messages") == 0
    assert harness.value("officestream_processor_stalls_total") == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("stalled service=tests where=email-updates[4]@17 event_id=evt-42 trace_id=- attempts=3 error=PayloadStoreUnavailable")
    assert "unstalled service=tests where=email-updates[4]@17 event_id=evt-42 trace_id=- after attempts=6" in caplog.text


async def test_a_stalled_message_that_ends_in_the_dead_letter_topic_clears_the_gauge():
    harness = Harness([PayloadStoreUnavailable("down"), PayloadStoreUnavailable("down"), PayloadCorrupt("bad")], stalled_after=2)
    assert await harness.processor.process(RECORD) == "dead-lettered"
    assert harness.value("officestream_processor_stalled_messages") == 0 and harness.value("officestream_processor_stalls_total") == 1
