"""Backfill jobs in the compacted ``backfill-jobs`` topic: the latest record per job id is the job.

Any runner instance can read any job and resume it after a crash; jobs survive restarts of
everything. Values are the job's JSON (internal state, like faust's table changelogs: no other
service reads it, so it is not an Avro event in the registry). ``cancel`` writes the job as
cancelled; a runner that holds the job notices it through ``CancelWatch`` and stops at its next
page.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from confluent_kafka import OFFSET_END, Consumer, TopicPartition
from pydantic import ValidationError

from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import BACKFILL_JOBS
from producers.backfill.job import BackfillJob, JobStatus
from producers.exceptions import CorruptJobRecord
from producers.publisher import Publisher

log = logging.getLogger("officestream.producers.backfill")


class JobStore:
    def __init__(self, kafka: KafkaSettings, publisher: Publisher) -> None:
        self._kafka = kafka
        self._publisher = publisher
        self.topic = kafka.topic(BACKFILL_JOBS)

    async def save(self, job: BackfillJob) -> None:
        """Write ``job``; returns once the brokers have it (``PublishFailed`` otherwise)."""
        await self._publisher.publish_record(BACKFILL_JOBS, job.job_id.encode(), job.model_dump_json().encode())

    def all(self) -> list[BackfillJob]:
        return read_jobs(self._kafka)

    def get(self, job_id: str) -> BackfillJob | None:
        return read_job(self._kafka, job_id)


def read_jobs(kafka: KafkaSettings) -> list[BackfillJob]:
    """Every job, newest first (reads ``backfill-jobs`` to its end; no producer needed). A record
    that is not a job is logged and left out: it must not stop the queue running the others."""
    topic = kafka.topic(BACKFILL_JOBS)
    jobs = []
    for key, value in read_compacted(kafka, topic).items():
        try:
            jobs.append(_job(topic, key, value))
        except CorruptJobRecord as exc:
            log.error("backfill job left out: %s", exc)
    return sorted(jobs, key=lambda job: job.created_at, reverse=True)


def read_job(kafka: KafkaSettings, job_id: str) -> BackfillJob | None:
    """The job, ``None`` if there is none; ``CorruptJobRecord`` if its record is not a job."""
    topic = kafka.topic(BACKFILL_JOBS)
    value = read_compacted(kafka, topic).get(job_id.encode())
    return _job(topic, job_id.encode(), value) if value is not None else None


def _job(topic: str, key: bytes, value: bytes) -> BackfillJob:
    try:
        return BackfillJob.model_validate_json(value)
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()[:3])
        raise CorruptJobRecord(key.decode(errors="replace"), topic, reason) from None


class CancelWatch:
    """Tails ``backfill-jobs`` from its end in a thread of its own and remembers which of the
    watched jobs someone cancelled. Cheap to ask (``cancelled``) between pages."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._kafka = kafka
        self._topic = topic
        self._watched: set[str] = set()
        self._cancelled: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def watch(self, job_id: str) -> None:
        self._watched.add(job_id)

    def cancelled(self, job_id: str) -> bool:
        return job_id in self._cancelled

    async def start(self) -> None:
        self._thread = threading.Thread(target=self._tail, name="officestream-backfill-cancel-watch", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 30)

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

    def _tail(self) -> None:
        consumer = Consumer(self._kafka.librdkafka_config(**{"group.id": "officestream-backfill-watch",
                                                             "enable.auto.commit": False}))
        try:
            partitions = consumer.list_topics(self._topic, timeout=10).topics[self._topic].partitions
            consumer.assign([TopicPartition(self._topic, p, OFFSET_END) for p in partitions])
            self._ready.set()
            while not self._stop.is_set():
                message = consumer.poll(0.2)
                if message is None or message.error() is not None or message.value() is None:
                    continue
                job_id = (message.key() or b"").decode(errors="replace")
                if job_id in self._watched and _is_cancelled(message.value()):
                    self._cancelled.add(job_id)
        except Exception as exc:  # noqa: BLE001 - the watch is advisory: a job still ends, uncancelled
            log.warning("backfill cancel watch stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._ready.set()
            consumer.close()


def _is_cancelled(value: bytes) -> bool:
    try:
        return BackfillJob.model_validate_json(value).status is JobStatus.cancelled
    except ValueError:
        return False
