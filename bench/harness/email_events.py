"""The notifier benchmarks' probe events: EmailUpdateEvents whose subject carries their send time.

``sent_ns=<ns>`` in the subject (``harness.latency.SENT_NS``) survives into the notification's
payload and into the raw Avro bytes, so the SSE client and the Kafka-only baseline both time the
same event from the same instant."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.models import ChangeType, Email, EmailUpdateEvent, EventMetadata, Provider
from schemas.serde import AvroEventSerde


class EventMaker:
    """Encodes one EmailUpdateEvent per call; the email (~3 KB body) is built once and only its
    id, subject and user change, so encoding (~40 us) is the only per-event cost on the producer
    thread."""

    def __init__(self, serde: AvroEventSerde, topic: str, *, user: str) -> None:
        self._serde, self._topic, self.user = serde, topic, user
        now = datetime.now(UTC)
        self._email = Email(
            id="template", provider=Provider.microsoft, thread_id="thread-latency", folder="inbox",
            subject="template", sent_at=now, received_at=now, snippet="Latency probe",
            body_text=("Latency probe body. " * 160)[:3000], is_read=False, version_marker="1",
        )

    def encode(self, email_id: str, sent_ns: int, *, user: str | None = None) -> bytes:
        """The event for ``user`` (default: the maker's), occurred and produced at ``sent_ns``."""
        at = datetime.fromtimestamp(sent_ns / 1e9, UTC)
        email = self._email.model_copy(update={"id": email_id, "subject": f"latency probe {email_id} sent_ns={sent_ns}"})
        metadata = EventMetadata.create(
            event_type="EmailUpdateEvent", user_id=user or self.user, provider=Provider.microsoft,
            source_service="bench", source_version="0", occurred_at=at, now=at,
        )
        event = EmailUpdateEvent(metadata=metadata, change_type=ChangeType.created, email_id=email_id, email=email)
        return self._serde.encode(self._topic, event)
