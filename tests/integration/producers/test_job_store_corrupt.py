"""A record in ``backfill-jobs`` that is not a job (written by hand, or by an incompatible
version) on the real broker: the queue's listing leaves it out and keeps every other job; asked
for by id it is a ``CorruptJobRecord`` naming the job and the field, which the bridge's status
route answers with a 500 (the stored data is bad), never a 400 (the request was fine)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from confluent_kafka import Producer

from connectors.kafka.topics import BACKFILL_JOBS
from producers.backfill.job import BackfillJob
from producers.backfill.store import read_job, read_jobs
from producers.bridge.internal_api import _answer_for
from producers.exceptions import CorruptJobRecord
from producers.integrations.reauth import ReauthGate
from schemas.models import DocType, Provider
from tests.integration.producers.stack_fixtures import kafka  # noqa: F401

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def write(kafka, key: str, value: bytes) -> None:
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    producer.produce(kafka.topic(BACKFILL_JOBS), key=key.encode(), value=value)
    assert producer.flush(30) == 0


def test_a_record_that_is_not_a_job_is_left_out_of_the_listing_and_named_when_asked_for(kafka):  # noqa: F811
    good = BackfillJob.new(user_id="ada", provider=Provider.microsoft, doc_types=(DocType.email,), now=NOW)
    write(kafka, good.job_id, good.model_dump_json().encode())
    broken = json.loads(good.model_dump_json()) | {"job_id": "bf-broken", "status": "half-done"}
    write(kafka, "bf-broken", json.dumps(broken).encode())
    write(kafka, "bf-not-json", b"\x00\x01 not json")

    assert [job.job_id for job in read_jobs(kafka)] == [good.job_id]
    assert read_job(kafka, good.job_id) == good
    with pytest.raises(CorruptJobRecord, match=r"'bf-broken' in .*backfill-jobs is not a job: status"):
        read_job(kafka, "bf-broken")
    with pytest.raises(CorruptJobRecord) as raised:
        read_job(kafka, "bf-not-json")
    status, message = _answer_for(raised.value, ReauthGate(None, None))  # type: ignore[arg-type]
    assert status == 500 and "bf-not-json" in message
