"""Errors of the producers, split into retriable and fatal like every package's.

Errors carry their context (topic, a hash of the user, the reason) and never a token or a body.
"""

from __future__ import annotations


class ProducerError(Exception):
    """Base of every error raised by ``producers``."""

    retriable = False


class PublishFailed(ProducerError):
    """An event did not reach Kafka (librdkafka refused it, or gave up after its retries), or
    its referenced record could not be stored. Nothing was checkpointed past it: the caller
    publishes it again (same ids: consumers deduplicate) or reports the failure."""

    def __init__(self, message: str, *, topic: str, user_ref: str | None = None, retriable: bool = True) -> None:
        super().__init__(f"{message} (topic={topic}" + (f", user={user_ref})" if user_ref else ")"))
        self.topic = topic
        self.user_ref = user_ref
        self.retriable = retriable


class PublisherClosed(ProducerError):
    """The publisher was used after ``close``."""


class UndeliveredOnClose(ProducerError):
    """``close`` gave up waiting: these records were never acknowledged (their callers were told)."""

    def __init__(self, count: int, topics: list[str]) -> None:
        super().__init__(f"{count} records not acknowledged by the brokers when closing (topics: {', '.join(topics)})")
        self.count = count
        self.topics = topics


class CorruptJobRecord(ProducerError):
    """A ``backfill-jobs`` record that is not a job (written by hand, or by an incompatible version)."""

    def __init__(self, job_id: str, topic: str, reason: str) -> None:
        super().__init__(f"the record of backfill job {job_id!r} in {topic} is not a job: {reason}")
        self.job_id = job_id
