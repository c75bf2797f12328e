"""An integration: one user's connection to one provider, and everything the live side keeps of it.

Kept in the compacted ``integration-state`` topic (``store.py``), keyed ``{provider}:{user}``:
the latest record is the integration. Secrets (the user's refresh token or token cache, each
subscription's ``clientState``) are held here as ``SecretStr`` and stored encrypted
(``secret_box.py``); nothing else in it is secret.

Cursors are per *resource*: what one delta / history / sync-token query follows. Their names:

- Microsoft: ``mail:<folder id>`` (a message delta link per mail folder), ``mail-folders`` (the
  folder tree's delta link), ``calendar`` (the calendarView delta link), ``contacts``;
- Google: ``gmail`` (the history id), ``calendar`` (the sync token), ``contacts`` (People's).

A cursor is advanced only after every event its query produced is on Kafka. The live side
asks for syncs by doc-type-level resource (``RESOURCES``: ``mail``, ``calendar``, ``contacts``;
``mail`` covers every ``mail:*`` cursor).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from schemas.models import DocType, Provider


class IntegrationStatus(StrEnum):
    #: Connected; its backfill runs (live changes of a doc type wait until that doc type's
    #: backfill is done, so no older version is published after a newer one).
    backfilling = "backfilling"
    live = "live"
    #: The grant was revoked (``invalid_grant``): nothing syncs until the user connects again.
    needs_reauth = "needs-reauth"
    disconnected = "disconnected"


#: The doc-type-level resource the live side syncs for each doc type (``LiveSync.request``).
RESOURCES: dict[DocType, str] = {DocType.email: "mail", DocType.calendar_event: "calendar", DocType.contact: "contacts"}

#: ``Watch.kind`` values.
GRAPH_SUBSCRIPTION = "graph-subscription"
GMAIL_WATCH = "gmail-watch"
CALENDAR_CHANNEL = "calendar-channel"


class Watch(BaseModel):
    """A push registration at the provider: a Graph subscription, a Gmail watch, a Calendar channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: ``graph-subscription``, ``gmail-watch`` or ``calendar-channel``.
    kind: str
    #: Graph subscription id / Calendar channel id; "" for a Gmail watch (one per mailbox).
    id: str = ""
    #: Which resources a notification from it syncs (``mail``, ``calendar``, ``contacts``).
    resource: str
    #: Graph's clientState (secret); unused by the others (their tokens are derived from the
    #: push secret, ``connectors/google/push.py``).
    client_state: SecretStr | None = None
    #: Calendar channels: Google's resourceId (needed to stop the channel).
    resource_id: str | None = None
    renewed_at: AwareDatetime
    expires_at: AwareDatetime


class Integration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str = Field(min_length=1)
    provider: Provider
    status: IntegrationStatus = IntegrationStatus.backfilling
    doc_types: tuple[DocType, ...] = (DocType.email, DocType.calendar_event, DocType.contact)
    account_email: str | None = None
    #: The user's delegated grant: a refresh token (Google), or msal's serialized token cache
    #: (Microsoft delegated flows). None for app-only / domain-wide delegation.
    refresh_token: SecretStr | None = None
    #: The backfill job that covers this integration's history, and the doc types it finished.
    backfill_job_id: str | None = None
    backfilled: tuple[DocType, ...] = ()
    cursors: dict[str, str] = Field(default_factory=dict)
    watches: tuple[Watch, ...] = ()
    created_at: AwareDatetime
    updated_at: AwareDatetime
    last_error: str | None = None

    @property
    def key(self) -> str:
        return integration_key(self.provider, self.user_id)

    def with_cursor(self, resource: str, cursor: str | None, *, now: dt.datetime) -> Self:
        cursors = dict(self.cursors)
        if cursor is None:
            cursors.pop(resource, None)
        else:
            cursors[resource] = cursor
        return self.model_copy(update={"cursors": cursors, "updated_at": now})

    def with_watches(self, watches: tuple[Watch, ...], *, now: dt.datetime) -> Self:
        return self.model_copy(update={"watches": watches, "updated_at": now})

    def with_status(self, status: IntegrationStatus, *, now: dt.datetime, error: str | None = None) -> Self:
        return self.model_copy(update={"status": status, "updated_at": now, "last_error": error})

    def with_backfilled(self, doc_type: DocType, cursors: dict[str, str], *, now: dt.datetime) -> Self:
        """``doc_type``'s backfill is done and the live side continues from ``cursors``; the
        integration is live once every doc type is."""
        backfilled = tuple(dict.fromkeys((*self.backfilled, doc_type)))
        live = self.status is IntegrationStatus.backfilling and set(self.doc_types) <= set(backfilled)
        return self.model_copy(update={
            "backfilled": backfilled, "cursors": {**self.cursors, **cursors}, "updated_at": now,
            "status": IntegrationStatus.live if live else self.status,
        })

    @property
    def active(self) -> bool:
        """Connected and not paused: its registrations, backfill and live syncs run."""
        return self.status in (IntegrationStatus.backfilling, IntegrationStatus.live)

    def public_view(self) -> dict[str, Any]:
        """What the bridge shows of it: no grant, no ``clientState``, cursor names but not their
        values (delta links are not for outside eyes either)."""
        view = self.model_dump(mode="json", exclude={"refresh_token", "cursors", "watches"})
        view["key"] = self.key
        view["has_grant"] = self.refresh_token is not None
        view["cursors"] = sorted(self.cursors)
        view["watches"] = [watch.model_dump(mode="json", exclude={"client_state"}) for watch in self.watches]
        return view

    def backfilling(self, doc_type: DocType) -> bool:
        """Whether live changes of ``doc_type`` must wait for the backfill."""
        return self.status is IntegrationStatus.backfilling and doc_type not in self.backfilled


def integration_key(provider: Provider, user_id: str) -> str:
    return f"{provider.value}:{user_id}"
