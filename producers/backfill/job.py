"""A backfill job: what to crawl, how far it got, and how it ended.

A job is stored whole (``JobStore``) after every confirmed batch, so the cursor it holds is
always one whose pages are on Kafka: a runner that crashes resumes from it, and republishes at
most the batch that was in flight (consumers ignore the repeat: same item versions).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

from schemas.models import DocType, Provider


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    #: The provider throttled the job (429, Retry-After, quota): it waits and continues by itself.
    paused_for_quota = "paused-for-quota"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.completed, JobStatus.failed, JobStatus.cancelled)


class DocProgress(BaseModel):
    """One doc type of a job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Where the crawl resumes: the provider's page token / next link of the next page, as the
    #: crawler encodes it. None: from the start (or done).
    cursor: str | None = None
    #: What the live side continues from once the crawl is done: Graph delta links, the Gmail
    #: history id, Calendar and People sync tokens (as the crawler encodes them).
    sync_cursor: str | None = None
    items: NonNegativeInt = 0
    deleted: NonNegativeInt = 0
    batches: NonNegativeInt = 0
    #: Items the provider says there are (when it says), for progress bars.
    estimated: NonNegativeInt | None = None
    done: bool = False
    #: The crawl started over (an expired cursor); its items are published again.
    restarts: NonNegativeInt = 0


class BackfillJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    job_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    provider: Provider
    doc_types: tuple[DocType, ...] = Field(min_length=1)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    batch_size: int = Field(default=50, ge=1, le=500)
    status: JobStatus = JobStatus.pending
    progress: dict[DocType, DocProgress] = Field(default_factory=dict)
    created_at: AwareDatetime
    started_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    #: The last error (or throttling) the job met, for operators: no token, no payload.
    last_error: str | None = None

    @classmethod
    def new(
        cls, *, user_id: str, provider: Provider, doc_types: tuple[DocType, ...], now: dt.datetime,
        since: dt.datetime | None = None, until: dt.datetime | None = None, batch_size: int = 50,
    ) -> Self:
        return cls(
            job_id=f"bf-{uuid.uuid4().hex[:16]}", user_id=user_id, provider=provider, doc_types=doc_types, since=since,
            until=until, batch_size=batch_size, progress={t: DocProgress() for t in doc_types}, created_at=now,
            updated_at=now,
        )

    def doc(self, doc_type: DocType) -> DocProgress:
        return self.progress.get(doc_type, DocProgress())

    def with_doc(self, doc_type: DocType, progress: DocProgress, *, now: dt.datetime) -> Self:
        return self.model_copy(update={"progress": {**self.progress, doc_type: progress}, "updated_at": now})

    def with_status(self, status: JobStatus, *, now: dt.datetime, error: str | None = None) -> Self:
        update: dict[str, object] = {"status": status, "updated_at": now}
        if status is JobStatus.running and self.started_at is None:
            update["started_at"] = now
        if status.finished:
            update["finished_at"] = now
        if error is not None or status is JobStatus.running:
            update["last_error"] = error if error is not None else self.last_error
        return self.model_copy(update=update)

    @property
    def items(self) -> int:
        return sum(progress.items for progress in self.progress.values())

    @property
    def batches(self) -> int:
        return sum(progress.batches for progress in self.progress.values())

    def summary(self) -> dict[str, object]:
        """What ``backfill status --json`` prints."""
        return {
            "job_id": self.job_id, "status": self.status.value, "provider": self.provider.value,
            "counts": {doc_type.value: self.doc(doc_type).items for doc_type in self.doc_types},
            "batches": self.batches, "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "last_error": self.last_error,
            "progress": {doc_type.value: self.doc(doc_type).model_dump(exclude={"cursor", "sync_cursor"}) for doc_type in self.doc_types},
        }
