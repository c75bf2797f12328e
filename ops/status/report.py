"""Gathering ``officestream status``: component health, then each section read on its own, so
one component down (or one section unreadable) never hides what the others can still say.

The report is JSON-ready dicts throughout: ``--json`` prints it as is and the table is drawn
from the same values (``ops/status/table.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from connectors.kafka.exceptions import KafkaBoundaryError
from connectors.kafka.settings import KafkaSettings
from connectors.redis.settings import RedisSettings
from ops.status.health import ComponentHealth, local_stack_pids, probe_kafka, probe_redis, probe_registry
from ops.status.kafka_view import group_lags, topic_offsets, visible_topics
from ops.status.registry_view import subject_statuses
from producers.backfill.job import BackfillJob
from producers.backfill.store import read_jobs
from producers.integrations.store import read_integrations
from schemas.exceptions import SchemasError
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings

Item = dict[str, Any]
#: What reading a section may fail with: reported in the section, never a crash of the command.
READ_ERRORS = (KafkaException, KafkaBoundaryError, SchemasError, ValueError)


@dataclass
class Section:
    items: list[Item] = field(default_factory=list)
    error: str | None = None


@dataclass
class StatusReport:
    components: list[ComponentHealth]
    sections: dict[str, Section]

    @property
    def ok(self) -> bool:
        """Every required component up and every section read: ``status`` exits 0 only then."""
        return all(c.healthy for c in self.components if c.required) and not any(
            s.error for s in self.sections.values())

    def as_json(self) -> Item:
        return {"ok": self.ok, "components": [asdict(c) for c in self.components],
                **{name: asdict(section) for name, section in self.sections.items()}}


@dataclass(frozen=True)
class StatusSources:
    kafka: KafkaSettings
    registry: RegistrySettings
    redis: RedisSettings

    @classmethod
    def from_env(cls) -> StatusSources:
        return cls(KafkaSettings.from_env(), RegistrySettings.from_env(), RedisSettings.from_env())


#: How a backfill job is shown (``backfill status --json``'s summary, passed in by the command).
JobSummary = Callable[[BackfillJob], Item]


def gather_status(sources: StatusSources, *, job_summary: JobSummary, recent_jobs: int = 10) -> StatusReport:
    kafka = sources.kafka
    admin = AdminClient(kafka.librdkafka_config(log_level=0))
    pids = local_stack_pids(kafka, sources.registry, sources.redis)
    components = [probe_kafka(kafka, admin), probe_registry(sources.registry), probe_redis(sources.redis)]
    components = [replace(c, pid=pids.get(c.name)) for c in components]
    up = {c.name: c.healthy for c in components}
    prefix = kafka.topic_prefix
    readers: dict[str, tuple[str, Callable[[], list[Item]]]] = {
        "topics": ("kafka", lambda: _topics(admin, prefix)),
        "groups": ("kafka", lambda: _groups(admin, prefix)),
        "backfills": ("kafka", lambda: _backfills(kafka, job_summary, recent_jobs)),
        "integrations": ("kafka", lambda: _integrations(kafka)),
        "subjects": ("registry", lambda: _subjects(sources.registry, prefix)),
    }
    sections = {name: _read(read) if up[needs] else Section(error=f"{needs} is down")
                for name, (needs, read) in readers.items()}
    return StatusReport(components, sections)


def _read(read: Callable[[], list[Item]]) -> Section:
    try:
        return Section(items=read())
    except READ_ERRORS as exc:
        detail = exc.args[0].str() if isinstance(exc, KafkaException) else str(exc)
        return Section(error=f"{type(exc).__name__}: {detail}")


def _topics(admin: AdminClient, prefix: str) -> list[Item]:
    return [{"topic": t.topic, "partitions": len(t.partitions), "end_offsets": t.end_offsets,
             "messages": sum(end - earliest for earliest, end in t.partitions.values())}
            for t in topic_offsets(admin, visible_topics(admin, prefix))]


def _groups(admin: AdminClient, prefix: str) -> list[Item]:
    return [{"group": g.group, "state": g.state, "members": g.members,
             "lag": sum(g.topic_lag(topic) for topic in g.topics),
             "topics": [{"topic": topic, "lag": g.topic_lag(topic), "partitions": [asdict(p) for p in partitions]}
                        for topic, partitions in g.topics.items()]}
            for g in group_lags(admin, prefix)]


def _backfills(kafka: KafkaSettings, job_summary: JobSummary, recent: int) -> list[Item]:
    """Every unfinished job, and the ``recent`` newest finished ones (newest first)."""
    jobs = read_jobs(kafka)
    recent_ids = set([job.job_id for job in jobs if job.status.finished][:recent])
    return [job_summary(job) for job in jobs if not job.status.finished or job.job_id in recent_ids]


def _integrations(kafka: KafkaSettings) -> list[Item]:
    """What ``Integration.public_view`` shows (no grant, no client state, no cursor values),
    with the soonest watch expiry first-class: the one to renew next."""
    shown = []
    for integration in read_integrations(kafka):
        view = integration.public_view()
        expiries = [watch.expires_at for watch in integration.watches]
        view["next_expiry"] = min(expiries).isoformat() if expiries else None
        shown.append({key: view[key] for key in _INTEGRATION_FIELDS})
    return shown


_INTEGRATION_FIELDS = ("key", "provider", "user_id", "status", "account_email", "has_grant", "backfill_job_id",
                       "backfilled", "watches", "next_expiry", "updated_at", "last_error")


def _subjects(settings: RegistrySettings, prefix: str) -> list[Item]:
    return [asdict(s) for s in subject_statuses(registry_client(settings), prefix)]
