"""The topic catalogue: every topic officestream produces to or reads from, in one place.

Canonical topics mirror the seed's Pub/Sub names and are keyed by ``user_id`` so one user's
events stay in order on one partition. Topics that hold state are compacted: the latest record
per key is the state, and a tombstone (null value) deletes it.

Faust tables create their own changelog topics (``{app_id}-{table}-changelog``, compacted); they
are not listed here because faust owns their partition count (it must equal the source topics').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schemas.models import (
    BackfillCompletedEvent,
    BackfillProgressEvent,
    CalendarBatchEvent,
    CalendarUpdateEvent,
    ContactBatchEvent,
    ContactUpdateEvent,
    EmailBackfillEvent,
    EmailUpdateEvent,
    IntegrationConnectedEvent,
    IntegrationNeedsReauthEvent,
    MeetingsSyncedEvent,
    MeetingUpdateEvent,
    ShipmentUpdateEvent,
)

DAY_MS = 24 * 60 * 60 * 1000

CleanupPolicy = Literal["delete", "compact"]


@dataclass(frozen=True, kw_only=True)
class TopicSpec:
    """One topic: canonical name, partitions, cleanup policy and retention."""

    name: str
    doc: str
    partitions: int = 6
    cleanup_policy: CleanupPolicy = "delete"
    retention_ms: int | None = 14 * DAY_MS
    extra_config: dict[str, str] = field(default_factory=dict)
    #: Avro full names of the events the topic carries (one registry subject each).
    event_types: tuple[str, ...] = ()

    def config(self, *, max_message_bytes: int | None = None, min_insync_replicas: int | None = None) -> dict[str, str]:
        """Topic-level broker configs this spec insists on; ``max_message_bytes`` is the limit
        every topic gets (``KafkaSettings.max_message_bytes``, what the producers check), and
        ``min_insync_replicas`` (``KafkaSettings.min_insync_replicas``) the replicas an
        ``acks=all`` write needs."""
        config = {"cleanup.policy": self.cleanup_policy, **self.extra_config}
        if self.retention_ms is not None:
            config["retention.ms"] = str(self.retention_ms)
        if max_message_bytes is not None:
            config["max.message.bytes"] = str(max_message_bytes)
        if min_insync_replicas is not None:
            config["min.insync.replicas"] = str(min_insync_replicas)
        return config


# Canonical event topics (DESIGN.md, "Topics").
EMAIL_BACKFILL = "email-backfill"
EMAIL_UPDATES = "email-updates"
CALENDAR_UPDATES = "calendar-updates"
CONTACT_UPDATES = "contact-updates"

# Derived event topics.
SHIPMENT_UPDATES = "shipment-updates"
MEETING_UPDATES = "meeting-updates"
BACKFILL_PROGRESS = "backfill-progress"
INTEGRATION_EVENTS = "integration-events"

# State topics (compacted): the latest record per key is the truth.
BACKFILL_JOBS = "backfill-jobs"
INTEGRATION_STATE = "integration-state"

# Consumer groups: one per service, named after the seed's subscriptions.
VESPA_LOADER = "vespa-loader"
MEETINGS = "meetings"
SHIPMENTS = "shipments"
CLIENT_SSE = "client-sse"
CONSUMER_GROUPS = (VESPA_LOADER, MEETINGS, SHIPMENTS, CLIENT_SSE)
#: The producers' own service name, for their dead letters (undeliverable provider payloads).
OFFICE_BRIDGE = "office-bridge"


#: How long dead letters are kept (and the originals of those kept by reference in Redis).
DEAD_LETTER_RETENTION_MS = 30 * DAY_MS


def dead_letter_topic(service: str) -> str:
    """The dead-letter topic of one service: ``{service}-dlq``."""
    return f"{service}-dlq"


_EVENTS = (
    TopicSpec(
        name=EMAIL_BACKFILL,
        doc="batches of historical emails, key user_id",
        event_types=(EmailBackfillEvent.avro_name,),
    ),
    TopicSpec(
        name=EMAIL_UPDATES,
        doc="one created/updated/deleted email each, key user_id",
        event_types=(EmailUpdateEvent.avro_name,),
    ),
    TopicSpec(
        name=CALENDAR_UPDATES,
        doc="calendar changes and batches, key user_id",
        event_types=(CalendarUpdateEvent.avro_name, CalendarBatchEvent.avro_name),
    ),
    TopicSpec(
        name=CONTACT_UPDATES,
        doc="contact changes and batches, key user_id",
        event_types=(ContactUpdateEvent.avro_name, ContactBatchEvent.avro_name),
    ),
    TopicSpec(
        name=SHIPMENT_UPDATES,
        doc="package state changes from the shipments service, key user_id",
        event_types=(ShipmentUpdateEvent.avro_name,),
    ),
    TopicSpec(
        name=MEETING_UPDATES,
        doc="meeting context changes and batch summaries from the meetings service, key user_id",
        event_types=(MeetingUpdateEvent.avro_name, MeetingsSyncedEvent.avro_name),
    ),
    TopicSpec(
        name=BACKFILL_PROGRESS,
        doc="backfill progress and completion, key user_id",
        event_types=(BackfillProgressEvent.avro_name, BackfillCompletedEvent.avro_name),
    ),
    TopicSpec(
        name=INTEGRATION_EVENTS,
        doc="integration connected / needs re-auth, key user_id",
        event_types=(IntegrationConnectedEvent.avro_name, IntegrationNeedsReauthEvent.avro_name),
    ),
)

_STATE = (
    TopicSpec(
        name=BACKFILL_JOBS,
        doc="backfill job state and resume checkpoint, compacted, key job_id",
        partitions=3,
        cleanup_policy="compact",
        retention_ms=None,
    ),
    TopicSpec(
        name=INTEGRATION_STATE,
        doc="latest integration and subscription state per user and provider, compacted",
        partitions=3,
        cleanup_policy="compact",
        retention_ms=None,
    ),
)

_DEAD_LETTERS = tuple(
    TopicSpec(
        name=dead_letter_topic(service),
        doc=f"poison messages of {service}, original key and bytes, reason in headers",
        partitions=1,
        retention_ms=DEAD_LETTER_RETENTION_MS,
    )
    for service in (*CONSUMER_GROUPS, OFFICE_BRIDGE)
)

TOPICS: tuple[TopicSpec, ...] = _EVENTS + _STATE + _DEAD_LETTERS
