"""Settings shared by every faust service (``OFFICESTREAM_PROCESSOR_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from processors.common.in_flight import DEFAULT_PENDING_LIMITS
from schemas.envsettings import EnvSettings


class ProcessorSettings(EnvSettings):
    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_PROCESSOR_", extra="forbid", frozen=True)

    #: Table store: ``memory://`` (tests; state rebuilt from changelogs at start) or
    #: ``rocksdb://`` (production-size state on disk, needs the rocksdict package).
    store: str = "memory://"
    #: Where faust keeps its per-worker data (RocksDB files, worker state).
    data_dir: Path = Path(".faust-data")
    #: The producer's internal content endpoint, the fallback for expired Redis references:
    #: the bridge's ``<bridge>/internal`` (``/content/{user}/{doc type}/{doc id}`` is appended).
    content_endpoint: str | None = None
    #: The bearer token the content endpoint requires (the bridge's
    #: ``OFFICESTREAM_BRIDGE_INTERNAL_TOKEN``).
    content_token: SecretStr | None = None
    #: Attempts for a message whose handler fails with an unexpected error, before dead-lettering.
    max_attempts: int = Field(default=3, ge=1)
    retry_base_s: float = Field(default=0.2, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0)
    #: Failed attempts after which a message still retried (a dependency stays down, or fails
    #: for this one message only, e.g. the content endpoint's 5xx for one document) is reported
    #: stalled: an error log naming it and officestream_processor_stalled_messages. It is still
    #: retried, never dropped. With the default backoff, 10 attempts take about a minute.
    stalled_after_attempts: int = Field(default=10, ge=1)
    #: Partitions of the tables' changelog topics: must equal the source topics' (6).
    table_partitions: int = Field(default=6, ge=1)
    #: RocksDB's memory per table partition (``rocksdb://`` only; every table has one RocksDB
    #: per partition, ``table_partitions`` of them, each with its own buffers and cache):
    #: up to ``rocksdb_write_buffers`` memtables of ``rocksdb_write_buffer_bytes`` (writes go
    #: there until flushed to disk; RocksDB needs at least 2, one filling while one flushes)
    #: and a block cache of ``rocksdb_block_cache_bytes`` (blocks read from disk). faust's own
    #: defaults, 64 MiB x 3 and 2 GiB, let a worker's memory grow with its tables' keys
    #: (bench/cost_growth_bench.py: peak RSS 499 MB at 1M keys in shipments).
    rocksdb_write_buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=1024 * 1024, le=1024 * 1024 * 1024)
    rocksdb_write_buffers: int = Field(default=2, ge=2, le=16)
    rocksdb_block_cache_bytes: int = Field(default=8 * 1024 * 1024, ge=1024 * 1024, le=4 * 1024 * 1024 * 1024)
    #: How long a fetch may wait at the broker for data (faust's own driver hard-codes 1500 ms,
    #: which stalls busy partitions behind idle ones; see processors/common/faust_transport.py).
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=5000)
    #: Bytes fetched per partition at once (backfill batches are large).
    max_fetch_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    #: How long the worker's producer (librdkafka) gathers records before sending a batch:
    #: table changelogs, dead letters and derived events. Fewer, larger requests cost the
    #: worker and the broker less CPU (measured +10-15% throughput at 50 ms over 5 ms on a
    #: 2-core host); derived events reach their consumers up to this much later. Offsets are
    #: committed only after everything is sent, whatever the linger.
    producer_linger_ms: int = Field(default=50, ge=0, le=1000)
    #: How much the worker's producer may hold unacknowledged by the broker before the agents
    #: wait to take the next message (back-pressure when the broker is slower than the worker,
    #: without blocking the event loop). librdkafka's own queue is sized at four times these, so
    #: the writes made while handling one message (table changelogs) never find it full.
    producer_max_pending_records: int = Field(default=DEFAULT_PENDING_LIMITS[0], ge=1, le=100_000_000)
    producer_max_pending_bytes: int = Field(default=DEFAULT_PENDING_LIMITS[1], ge=1024 * 1024, le=512 * 1024 * 1024)
    #: First-generation threshold of Python's cyclic garbage collector (CPython's default: 700
    #: allocations). Decoding a batch allocates tens of thousands of objects, nearly all freed
    #: by reference counting, and every collection walks the young objects of a worker that
    #: keeps many alive (faust, aiokafka, tables): measured in bench/processors_bench.py, the
    #: default costs the workers 10-20% of their throughput. Memory is unaffected: only garbage
    #: in reference cycles waits longer.
    gc_threshold: int = Field(default=50_000, ge=700)
    #: meetings: how long a deleted meeting's tombstone is kept (it stops late, older updates
    #: from bringing the meeting back). Must outlast calendar-updates' retention (14 days) plus
    #: the longest consumer lag; 0 keeps tombstones forever (processors/meetings/expiry.py).
    meetings_tombstone_retention_days: float = Field(default=30.0, ge=0)
    #: vespa-loader and shipments: how long the idempotence ledger keeps a deleted item's
    #: tombstone (same rule as meetings'; processors/common/ledger_tombstones.py); 0 keeps them.
    ledger_tombstone_retention_days: float = Field(default=30.0, ge=0)
    #: How long the consumer group waits for a worker that stopped heartbeating (crashed,
    #: killed, its host gone) before its partitions move to the other workers; a worker
    #: restarted after a crash waits as long to get them back. faust's default; the broker
    #: accepts 6 to 1800 s (``group.min/max.session.timeout.ms``).
    session_timeout_s: float = Field(default=60.0, ge=6, le=1800)
    #: Kafka static membership (KIP-345): a name for this worker, unique among the workers of
    #: its service and the same across its restarts (e.g. a StatefulSet pod name). A worker
    #: restarted after a crash under the same name gets its partitions back at once instead of
    #: after ``session_timeout_s``, and a rolling restart moves no partition. The price: a
    #: worker stopped for good keeps its partitions for ``session_timeout_s`` even when it
    #: stopped cleanly (a static member does not leave the group), and a second worker started
    #: under the same name fences the first (it stops with FENCED_INSTANCE_ID). Unset: dynamic
    #: membership, faust's default.
    group_instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,200}$")
    #: Tests only: ``before:N`` / ``after:N`` kills the worker (SIGKILL) just before / after
    #: its N-th derived event, once what it wrote so far is on the broker
    #: (processors/common/kill_switch.py). Never set in production.
    test_kill_at_derived: str | None = Field(default=None, pattern=r"^(before|after):[1-9][0-9]*$")
    #: The worker's consumer group and faust app id instead of its service's own
    #: (``kafka.group(service)``): a side group prepared by ``officestream replay --into``. The
    #: app id also names the tables' changelog topics, so a side group builds tables of its own.
    group_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]+$")
    #: faust's own web server (metrics, table views), on 127.0.0.1; a free port when unset.
    web_port: int | None = Field(default=None, ge=1024, le=65535)

    def table_store_options(self) -> dict[str, int] | None:
        """faust's table store options (a table's ``options=``): RocksDB's memory bounds for
        ``rocksdb://``, none for ``memory://``."""
        if not self.store.startswith("rocksdb://"):
            return None
        return {
            "write_buffer_size": self.rocksdb_write_buffer_bytes,
            "max_write_buffer_number": self.rocksdb_write_buffers,
            "block_cache_size": self.rocksdb_block_cache_bytes,
        }

    @field_validator("store")
    @classmethod
    def _known_store(cls, value: str) -> str:
        if not value.startswith(("memory://", "rocksdb://")):
            raise ValueError(f"must be memory:// or rocksdb://, got {value!r}")
        return value
