"""The standalone backfill runner in a fault run: ``officestream backfill start --wait`` for users
the bridge does not hold (``FaultRun.set_aside``), killed and resumed as an operator would, and
what it published read back batch event by batch event.

The runner is the CLI as an operator runs it, a child of the run (its log beside the others),
with small provider pages (``OFFICESTREAM_MICROSOFT_MAX_PAGE_SIZE``, ``OFFICESTREAM_GOOGLE_PAGE_SIZE``)
so that a mailbox takes many pages and each page more than one batch event, and a producer
linger (``OFFICESTREAM_PRODUCER_LINGER_MS``) that holds every record a while before it is sent:
a page's batch events reach the brokers that long before its checkpoint does, a window the kill
can be aimed at (``wait_to_kill``), and the next page's that long after.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass

from pydantic import SecretStr

from connectors.emulator.google.state import refresh_token_for
from connectors.google.settings import GoogleSettings
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topic_reader import read_records
from connectors.microsoft.settings import MicrosoftSettings
from ops.demo.processes import officestream_argv
from ops.demo.summary import demo_kafka
from ops.reconcile import Holdings
from producers.backfill.job import BackfillJob
from producers.backfill.providers import ProviderCrawlers, StaticGoogleTokens
from producers.backfill.store import read_job
from producers.bridge.inventory import inventory
from producers.embedding import BATCHES
from producers.integrations.state import Integration
from producers.orchestrator import ALL_DOC_TYPES
from schemas.models import DocType, Provider
from schemas.serde import AvroEventSerde
from tests.faults.workload import FaultRun
from tests.waiting import wait_for

#: Items per provider page, and per batch event: a page is three batch events (4 + 4 + 2).
PAGE_SIZE = 10
BATCH_SIZE = 4
#: The runner's producer linger: a page is on the brokers this long before its checkpoint.
LINGER_MS = 800
_JOB_ID = re.compile(r"^(bf-[0-9a-f]{16})$", re.MULTILINE)


class StandaloneJob:
    """One user's backfill by ``officestream backfill`` (a process of its own per command)."""

    def __init__(self, run: FaultRun, user: str, provider: str) -> None:
        self.run, self.user, self.provider = run, user, provider
        self.name = f"backfill-{provider}-{user.split('@')[0]}"
        self.kafka = demo_kafka(run.demo)
        self.env = {**run.demo.env, "OFFICESTREAM_MICROSOFT_MAX_PAGE_SIZE": str(PAGE_SIZE),
                    "OFFICESTREAM_GOOGLE_PAGE_SIZE": str(PAGE_SIZE), "OFFICESTREAM_PRODUCER_LINGER_MS": str(LINGER_MS)}
        self.grant: list[str] = []
        if provider == Provider.google.value:  # the emulator's grant, in a file as an operator gives it
            token_file = run.demo.dir / f"{self.name}.token"
            token_file.write_text(refresh_token_for(user))
            self.grant = ["--google-refresh-token-file", str(token_file)]
        self.job_id = ""

    def start(self) -> str:
        """``backfill start --wait`` (it prints the job id first); the job id."""
        argv = officestream_argv("backfill", "start", "--provider", self.provider, "--user", self.user,
                                 "--batch-size", str(BATCH_SIZE), "--wait", *self.grant)
        child = self.run.demo.children.start(self.name, argv, self.env)

        def printed() -> str | None:
            child.check_alive()
            found = _JOB_ID.search(child.log_text())
            return found.group(1) if found else None

        self.job_id = wait_for(printed, timeout_s=60, what=f"{self.name} printing its job id")
        return self.job_id

    def job(self) -> BackfillJob | None:
        """The job as ``backfill-jobs`` holds it now."""
        return read_job(self.kafka, self.job_id)

    def wait_to_kill(self, serde: AvroEventSerde, *, page_in_flight: bool, timeout_s: float = 120.0) -> BackfillJob:
        """The job once a page is confirmed (a checkpoint stored) and, ``page_in_flight``, the
        next one is on the brokers but not checkpointed yet (batch events of the job past the
        stored checkpoint), or else nothing past the checkpoint is (between two pages)."""
        def ready() -> BackfillJob | None:
            before = self.job()
            assert before is None or not before.status.finished, f"{self.job_id} {before.status.value} before the kill"
            if before is None or before.batches == 0:
                self.run.child(self.name).check_alive()  # a runner that crashed never checkpoints
                return None
            doc_type = next((t for t in before.doc_types if not before.doc(t).done), None)
            assert doc_type is not None, f"{self.job_id} crawled to its end before the moment to kill it"
            published = self._batch_indexes(serde, doc_type)
            job = self.job()  # read after the topic: what the topic held then was past this checkpoint, or not
            if job is None or job.doc(doc_type).done:
                return None
            return job if (max(published, default=-1) >= job.doc(doc_type).batches) == page_in_flight else None

        moment = "a page in flight" if page_in_flight else "no page in flight"
        return wait_for(ready, timeout_s=timeout_s, what=f"{self.job_id} checkpointed with {moment}")

    def _batch_indexes(self, serde: AvroEventSerde, doc_type: DocType) -> list[int]:
        """The batch indexes of the job's events on ``doc_type``'s topic now (its user's key only)."""
        shape, key = BATCHES[doc_type], self.user.encode()
        events = [serde.decode(r.value) for r in read_records(self.kafka, self.kafka.topic(shape.topic), timeout_s=60)
                  if r.key == key and r.value is not None]
        return [e.batch_index for e in events if isinstance(e, shape.event) and e.job_id == self.job_id]

    def status(self) -> dict:
        """``officestream backfill status JOB --json``."""
        done = subprocess.run(officestream_argv("backfill", "status", self.job_id, "--json"), env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def resume(self) -> None:
        """``backfill resume JOB --wait`` in a new process, to its end (exit 0: completed)."""
        argv = officestream_argv("backfill", "resume", self.job_id, "--wait", *self.grant)
        self.run.demo.children.run_once(f"{self.name}-resume", argv, self.env, timeout_s=300)


@dataclass(frozen=True)
class BatchCopy:
    """One batch event of a job as it was published: the page's chunk it carries."""

    doc_type: DocType
    batch_index: int
    ids: tuple[str, ...]


def published_batches(kafka: KafkaSettings, serde: AvroEventSerde, job_id: str) -> list[BatchCopy]:
    """Every batch event ``job_id`` published, in each topic's order (copies included)."""
    copies = []
    for doc_type, shape in BATCHES.items():
        for record in read_records(kafka, kafka.topic(shape.topic), timeout_s=60):
            event = serde.decode(record.value) if record.value is not None else None
            if isinstance(event, shape.event) and event.job_id == job_id:
                ids = [item.id for item in getattr(event, shape.items_field)]
                ids += [ref.doc_id for ref in getattr(event, shape.refs_field)]
                copies.append(BatchCopy(doc_type, event.batch_index, tuple(ids)))
    return copies


def republished(copies: list[BatchCopy]) -> dict[tuple[DocType, int], list[tuple[str, ...]]]:
    """(doc type, batch index) → the items of each copy, for the batches published more than once."""
    found: dict[tuple[DocType, int], list[tuple[str, ...]]] = defaultdict(list)
    for copy in copies:
        found[(copy.doc_type, copy.batch_index)].append(copy.ids)
    return {key: items for key, items in found.items() if len(items) > 1}


def items_under_two_batches(copies: list[BatchCopy]) -> dict[str, set[int]]:
    """Items published in batches of two different indexes (a page published again from a
    cursor before the last checkpoint, under new indexes): item → batch indexes."""
    where: dict[tuple[DocType, str], set[int]] = defaultdict(set)
    for copy in copies:
        for item in copy.ids:
            where[(copy.doc_type, item)].add(copy.batch_index)
    return {f"{doc_type.value}:{item}": indexes for (doc_type, item), indexes in where.items() if len(indexes) > 1}


def mailbox_holdings(env: dict[str, str], users: dict[str, str]) -> dict[tuple[str, str], Holdings]:
    """(provider, user) → what the emulator holds for each of ``users`` (user → provider): the
    reconciliation's crawl (``producers/bridge/inventory.py``) run here, as the bridge would
    for a connected user."""
    tokens = StaticGoogleTokens({user: SecretStr(refresh_token_for(user)) for user in users})
    now = dt.datetime.now(dt.UTC)

    async def crawl() -> dict[tuple[str, str], Holdings]:
        crawlers = ProviderCrawlers(microsoft=MicrosoftSettings.from_env(env), google=GoogleSettings.from_env(env),
                                    google_tokens=tokens)
        try:
            found = {}
            for user, provider in users.items():
                integration = Integration(user_id=user, provider=Provider(provider), created_at=now, updated_at=now)
                found[(provider, user)] = (await inventory(crawlers, integration, ALL_DOC_TYPES, now=now)).items
            return found
        finally:
            await crawlers.aclose()

    return asyncio.run(crawl())
