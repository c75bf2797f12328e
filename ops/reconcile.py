"""``officestream reconcile``: what each provider holds against what each sink holds.

The provider side is the bridge's ``/internal/inventory`` (the backfill's own crawl, read
without publishing: every item id with its version marker). The sinks are read where they
live, from their compacted changelogs and the feed file, never from a worker's memory:

- ``vespa-loader``: its idempotence ledger (every doc type; the version it applied last), and,
  in file mode, the feed file replayed put by remove (the documents Vespa would hold);
- ``meetings``: the meetings table (calendar events; a tombstone is a deleted meeting);
- ``shipments``: its idempotence ledger (e-mails; every e-mail is applied, with or without a
  package in it).

Per user, doc type and sink: **missing** (the provider has it, the sink does not), **extra** (the
sink holds an item the provider no longer has), **stale** (both have it, the sink at another
version marker). Items whose payload the provider sends in a shape that cannot be normalized
are dead-lettered by the backfill, held by no sink, and listed apart (``unreadable``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import MEETINGS, SHIPMENTS, VESPA_LOADER
from processors.common.idempotence import decode_entry
from processors.meetings.context import MeetingContext, load_meeting_record
from processors.meetings.state import MEETINGS_TABLE
from processors.vespa_loader.documents import document_id
from schemas.models import DocType

#: An item's id and version marker, per doc type.
Holdings = dict[DocType, dict[str, str | None]]

#: The doc types each sink receives.
SINK_DOC_TYPES: dict[str, tuple[DocType, ...]] = {
    "vespa-loader": (DocType.email, DocType.calendar_event, DocType.contact),
    "vespa-documents": (DocType.email, DocType.calendar_event, DocType.contact),
    "meetings": (DocType.calendar_event,),
    "shipments": (DocType.email,),
}


class ReconcileError(Exception):
    """The provider side could not be read (the bridge down, refused, or the provider failing)."""


@dataclass
class Gap:
    user: str
    provider: str
    doc_type: str
    sink: str
    provider_items: int
    sink_items: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)


@dataclass
class Verdict:
    gaps: list[Gap]
    unreadable: dict[str, dict[str, list[str]]]

    @property
    def clean(self) -> bool:
        return all(gap.clean for gap in self.gaps)

    def totals(self) -> dict[str, int]:
        return {kind: sum(len(getattr(g, kind)) for g in self.gaps) for kind in ("missing", "extra", "stale")}

    def as_json(self) -> dict[str, object]:
        return {"clean": self.clean, **self.totals(), "checks": [asdict(g) for g in self.gaps],
                "unreadable": self.unreadable}


def compare(user: str, provider: str, doc_type: DocType, sink: str, expected: dict[str, str | None],
            held: dict[str, str | None], *, markers: bool = True) -> Gap:
    """One (user, doc type, sink) check; ``markers`` False compares presence only."""
    stale = sorted(i for i in expected.keys() & held.keys() if markers and held[i] != expected[i])
    return Gap(user=user, provider=provider, doc_type=doc_type.value, sink=sink, provider_items=len(expected),
               sink_items=len(held), missing=sorted(expected.keys() - held.keys()),
               extra=sorted(held.keys() - expected.keys()), stale=stale)


# -- the provider side -----------------------------------------------------------------------


def provider_holdings(bridge_url: str, token: str, *, user: str | None = None,
                      timeout_s: float = 600.0) -> tuple[dict[tuple[str, str], Holdings], dict[str, dict[str, list[str]]]]:
    """``(provider, user)`` → holdings of every connected integration (or ``user``'s), and the
    ids each provider sent unreadable."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=bridge_url, headers=headers, timeout=timeout_s) as client:
        listed = _answer(client, "/internal/integrations")["integrations"]
        chosen = [i for i in listed if i["status"] != "disconnected" and (user is None or i["user_id"] == user)]
        holdings: dict[tuple[str, str], Holdings] = {}
        unreadable: dict[str, dict[str, list[str]]] = {}
        for integration in chosen:
            provider, user_id = integration["provider"], integration["user_id"]
            found = _answer(client, f"/internal/inventory/{provider}/{user_id}")
            holdings[(provider, user_id)] = {DocType(t): ids for t, ids in found["items"].items()}
            if any(found["unreadable"].values()):
                unreadable[f"{provider}:{user_id}"] = found["unreadable"]
    return holdings, unreadable


def _answer(client: httpx.Client, path: str) -> dict:
    try:
        answer = client.get(path)
    except httpx.HTTPError as exc:
        raise ReconcileError(f"the bridge at {client.base_url} is not answering ({type(exc).__name__}): "
                             "is `officestream bridge serve` running?") from None
    if answer.status_code != 200:
        raise ReconcileError(f"the bridge answered {answer.status_code} to {path.split('/')[2]}: "
                             f"{answer.json().get('error', answer.text[:200])}")
    return answer.json()


# -- the sinks -------------------------------------------------------------------------------


def ledger_holdings(kafka: KafkaSettings, service: str, users: Iterable[str]) -> dict[str, Holdings]:
    """Per user: the items ``service``'s idempotence ledger holds as applied and not deleted."""
    state = read_compacted(kafka, f"{kafka.group(service)}-applied-changelog")
    held: dict[str, Holdings] = {user: {} for user in users}
    for raw_key, raw_value in state.items():
        key = json.loads(raw_key)
        user = _owner(key, held)
        if user is None:
            continue
        type_name, _, doc_id = key[len(user) + 1:].partition(":")
        entry = decode_entry(json.loads(raw_value) if raw_value[:1] == b'"' else raw_value)
        if not entry["deleted"]:
            held[user].setdefault(DocType(type_name), {})[doc_id] = entry.get("version_marker")
    return held


def meetings_holdings(kafka: KafkaSettings, users: Iterable[str]) -> dict[str, Holdings]:
    """Per user: the meetings the meetings table holds (tombstones are deleted meetings)."""
    state = read_compacted(kafka, f"{kafka.group(MEETINGS)}-{MEETINGS_TABLE}-changelog")
    held: dict[str, Holdings] = {user: {DocType.calendar_event: {}} for user in users}
    for raw_key, raw_value in state.items():
        user = _owner(json.loads(raw_key), held)
        record = load_meeting_record(raw_value) if user is not None else None
        if isinstance(record, MeetingContext):
            held[user][DocType.calendar_event][record.event_id] = record.version_marker  # type: ignore[index]
    return held


def feed_file_documents(path: Path) -> set[str]:
    """The document ids a Vespa fed with ``path`` (in order) would hold."""
    documents: set[str] = set()
    if not path.exists():
        return documents
    with path.open() as lines:
        for line in lines:
            operation = json.loads(line)
            if "put" in operation:
                documents.add(operation["put"])
            elif "remove" in operation:
                documents.discard(operation["remove"])
    return documents


def _owner(key: str, users: Iterable[str]) -> str | None:
    return next((user for user in users if key.startswith(f"{user}:")), None)


def reconcile(kafka: KafkaSettings, expected: dict[tuple[str, str], Holdings], *, feed_file: Path | None,
              namespace: str, unreadable: dict[str, dict[str, list[str]]] | None = None) -> Verdict:
    """Every sink against ``expected`` (``provider_holdings``)."""
    users = [user for _, user in expected]
    sinks: dict[str, dict[str, Holdings]] = {
        "vespa-loader": ledger_holdings(kafka, VESPA_LOADER, users),
        "meetings": meetings_holdings(kafka, users),
        "shipments": ledger_holdings(kafka, SHIPMENTS, users),
    }
    documents = feed_file_documents(feed_file) if feed_file is not None else None
    gaps: list[Gap] = []
    for (provider, user), holdings in sorted(expected.items()):
        for doc_type, items in holdings.items():
            for sink, held in sinks.items():
                if doc_type in SINK_DOC_TYPES[sink]:
                    gaps.append(compare(user, provider, doc_type, sink, items, held[user].get(doc_type, {})))
            if documents is not None:
                ids = {str(document_id(doc_type, i, user_id=user, namespace=namespace)): i for i in items}
                present = {ids[d]: None for d in documents if d in ids}
                ours = {d for d in documents if _is_users(d, doc_type, user, namespace)}
                extra = {d: None for d in ours - ids.keys()}
                gaps.append(compare(user, provider, doc_type, "vespa-documents", dict.fromkeys(items),
                                    present | extra, markers=False))
    return Verdict(gaps, unreadable or {})


def _is_users(document: str, doc_type: DocType, user: str, namespace: str) -> bool:
    prefix = str(document_id(doc_type, "x", user_id=user, namespace=namespace))[:-1]
    return document.startswith(prefix)
