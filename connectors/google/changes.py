"""What a sync hands back: pages of canonical records plus the ids that went away."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from schemas.models import CalendarEvent, Contact, Email, Provider

Kind = Literal["email", "event", "contact"]
R = TypeVar("R", Email, CalendarEvent, Contact)


class Deletion(BaseModel):
    """The provider says an item is gone (a People person with ``metadata.deleted``, a
    cancelled Calendar event without times that is no instance of a series — a cancelled
    instance is kept as a cancelled exception —, a Gmail message deleted in history).
    Update events for deletes carry the id only, so this is all there is to say."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    id: str
    provider: Provider = Provider.google
    version_marker: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeBatch(Generic[R]):
    """One page of a sync, in order. Apply ``records`` and ``deleted_ids``; checkpoint
    ``next_page_token`` to resume a backfill mid-way; store ``cursor`` (set on the last batch
    only) as the next sync's starting point. ``full_resync`` says this is a complete listing
    (no cursor was given, or it had expired): items the caller holds that never show up in a
    resync's batches are gone."""

    records: list[R] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    full_resync: bool = False
    next_page_token: str | None = None
    cursor: str | None = None
