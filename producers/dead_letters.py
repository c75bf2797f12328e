"""Provider payloads the producers cannot use, kept on ``office-bridge-dlq`` with the reason.

A mail, event or contact whose provider payload does not normalize (a shape the connector does
not know) is skipped so that one bad item never stops a mailbox; its raw payload goes to the
producers' dead-letter topic, keyed by user, with the same ``officestream.dlq.*`` reason headers
the consumers' dead letters carry (``connectors/kafka/dead_letter_headers.py``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from connectors.kafka.dead_letter_headers import reason_header_list
from connectors.kafka.topics import OFFICE_BRIDGE, dead_letter_topic
from schemas.models import DocType, Provider

TOPIC = dead_letter_topic(OFFICE_BRIDGE)


@dataclass(frozen=True, slots=True)
class ProviderDeadLetter:
    user_id: str
    provider: Provider
    doc_type: DocType
    item_id: str
    payload: Any
    reason: str
    #: The backfill job (or "-" for the live side) that met it.
    job_id: str = "-"

    def value(self) -> bytes:
        try:
            return json.dumps(self.payload, separators=(",", ":"), default=str).encode()
        except (TypeError, ValueError, RecursionError):
            return repr(self.payload)[:100_000].encode()

    def headers(self, *, now_ms: int | None = None) -> list[tuple[str, bytes]]:
        return reason_header_list({
            "source.provider": self.provider.value,
            "source.doc_type": self.doc_type.value,
            "source.item_id": self.item_id,
            "source.job_id": self.job_id,
            "service": OFFICE_BRIDGE,
            "error.class": "NormalizationError",
            "error.message": self.reason.replace("\n", " ")[:1000],
            "timestamp": str(now_ms if now_ms is not None else int(time.time() * 1000)),
        })
