"""What the webhook delivery tests share: the three sink workers on the bridge's topics, and
counting what the bridge published and what the sinks hold.

- Published (the update topics, read back as a consumer applies them): per changed item, an
  event at its newest version (lost otherwise); no (item, version) published twice.
- Sinks (``ops/reconcile.py`` against the bridge's inventory): every item the provider holds
  is in the vespa-loader's and the shipments' ledgers, the meetings table and the Vespa feed,
  at the provider's version marker (a stale one: the newest did not win), nothing extra; and no
  version applied twice (two different ledger or meetings records of one item at one version).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import MEETINGS, SHIPMENTS, VESPA_LOADER
from ops.reconcile import provider_holdings, reconcile
from processors.meetings.state import MEETINGS_TABLE
from schemas.models import DocType
from tests.e2e.worker_faults import high_watermark
from tests.integration.bridge.harness import INTERNAL_TOKEN
from tests.integration.producers.live_helpers import Downstream
from tests.kafka_helpers import committed_total, read_all
from tests.stack import StackEndpoints
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

#: Each sink worker's module and the topics its group reads.
SINK_WORKERS = {
    VESPA_LOADER: ("vespa_loader", ("email-backfill", "email-updates", "calendar-updates", "contact-updates")),
    MEETINGS: ("meetings", ("calendar-updates",)),
    SHIPMENTS: ("shipments", ("email-backfill", "email-updates")),
}


def start_sinks(stack: StackEndpoints, topic_prefix: str, tmp_path: Path) -> list[FaustWorker]:
    """The three sink workers, started side by side (the vespa-loader writing a feed file)."""
    workers = []
    try:
        for service, (module, _) in SINK_WORKERS.items():
            env = worker_env(stack, topic_prefix, tmp_path / service, OFFICESTREAM_VESPA_FEED_FILE=str(feed_file(tmp_path)))
            workers.append(FaustWorker(module, env, tmp_path / f"{service}.log").spawn())
        for worker in workers:
            worker.wait_ready(90)
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    return workers


def feed_file(tmp_path: Path) -> Path:
    return tmp_path / "feed.jsonl"


def consumed(kafka: KafkaSettings) -> bool:
    """Has every sink committed everything on its topics?"""
    return all(committed_total(kafka, kafka.group(service), kafka.topic(topic)) >= high_watermark(kafka, kafka.topic(topic))
               for service, (_, topics) in SINK_WORKERS.items() for topic in topics)


async def wait_consumed(kafka: KafkaSettings, workers: list[FaustWorker]) -> None:
    try:
        await asyncio.to_thread(wait_for, lambda: consumed(kafka), timeout_s=120, what="the sinks to commit everything")
    except AssertionError as exc:
        exc.add_note("\n".join(w.log_tail(20) for w in workers))
        raise


def published_twice(seen: Downstream, since: dict[DocType, int]) -> dict[str, int]:
    """(item, version) pairs that more than one update event carried since ``since``."""
    counts: Counter[str] = Counter()
    for doc_type, updates in seen.updates.items():
        for doc_id, version in updates[since.get(doc_type, 0):]:
            counts[f"{doc_type.value}:{doc_id}@{version.marker}{' deleted' if version.deleted else ''}"] += 1
    return {key: n for key, n in counts.items() if n > 1}


def print_published(changed: set[tuple[DocType, str]], seen: Downstream, since: dict[DocType, int]) -> tuple[list, dict]:
    """Changed items without an update event since ``since``, and what was published twice."""
    published = {(doc_type, doc_id) for doc_type, updates in seen.updates.items()
                 for doc_id, _ in updates[since.get(doc_type, 0):]}
    lost = sorted(f"{t.value}:{i}" for t, i in changed - published)
    twice = published_twice(seen, since)
    received = sum(len(u[since.get(t, 0):]) for t, u in seen.updates.items())
    print(f"bridge update events: sent {len(changed)} / received {received} / lost {len(lost)} / "
          f"duplicate effects {len(twice)}")
    return lost, twice


def applied_twice(kafka: KafkaSettings) -> dict[str, list[str]]:
    """Per sink, items with two different stored records at one version (a version applied twice)."""
    changelogs = {VESPA_LOADER: f"{kafka.group(VESPA_LOADER)}-applied-changelog",
                  SHIPMENTS: f"{kafka.group(SHIPMENTS)}-applied-changelog",
                  MEETINGS: f"{kafka.group(MEETINGS)}-{MEETINGS_TABLE}-changelog"}
    doubled = {}
    for sink, topic in changelogs.items():
        distinct = {(m.key(), m.value()) for m in read_all(kafka, topic) if m.value() is not None}
        versions = Counter((key, _marker(value)) for key, value in distinct)
        doubled[sink] = sorted(f"{key.decode()}@{marker}" for (key, marker), n in versions.items() if n > 1)
    return doubled


def _marker(value: bytes) -> str:
    stored = json.loads(value)
    stored = json.loads(stored) if isinstance(stored, str) else stored
    return f"{stored.get('version_marker')}{' deleted' if stored.get('deleted') else ''}"


async def sink_verdict(kafka: KafkaSettings, bridge_url: str, tmp_path: Path) -> list[str]:
    """Every sink against the provider's inventory; prints one line per sink, returns the problems."""
    expected, unreadable = await asyncio.to_thread(provider_holdings, bridge_url, INTERNAL_TOKEN)
    verdict = reconcile(kafka, expected, feed_file=feed_file(tmp_path), namespace="officestream", unreadable=unreadable)
    doubled = applied_twice(kafka)
    problems = []
    for sink in sorted({g.sink for g in verdict.gaps}):
        gaps = [g for g in verdict.gaps if g.sink == sink]
        lost = [f"{g.doc_type}:{i}" for g in gaps for i in g.missing] + [f"{g.doc_type}:{i} stale" for g in gaps for i in g.stale]
        extra = [f"{g.doc_type}:{i}" for g in gaps for i in g.extra]
        twice = doubled.get(sink, [])
        print(f"{sink}: sent {sum(g.provider_items for g in gaps)} / received {sum(g.sink_items for g in gaps)} / "
              f"lost {len(lost)} / duplicate effects {len(twice)} (extra {len(extra)})")
        problems += [f"{sink}: {p}" for p in [*lost[:5], *[f"extra {e}" for e in extra[:5]], *[f"twice {t}" for t in twice[:5]]]]
    return problems
