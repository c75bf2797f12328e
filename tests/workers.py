"""Starting real faust workers (the faust worker CLI, as users run it) for end-to-end tests."""

from __future__ import annotations

import os
from pathlib import Path

from ops.worker_process import WorkerProcess
from tests.stack import StackEndpoints


def worker_env(stack: StackEndpoints, topic_prefix: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker on the test stack, with topics and group under ``topic_prefix``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    env.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers,
        OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url,
        OFFICESTREAM_REDIS_URL=stack.redis.url,
        OFFICESTREAM_PROCESSOR_DATA_DIR=str(data_dir),
        OFFICESTREAM_PROCESSOR_RETRY_BASE_S="0.05",
        OFFICESTREAM_PROCESSOR_RETRY_MAX_S="0.5",
    )
    env.update(extra)
    return env


class FaustWorker(WorkerProcess):
    """``faust -A processors.<module>.app worker`` in a subprocess, its log appended to a file;
    ``start`` returns once it is ready (``ops/worker_process.py``)."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path, *, argv: list[str] | None = None) -> None:
        super().__init__(module, env, log_path, argv=argv, append=True)

    def start(self, *, ready_timeout_s: float = 60.0) -> FaustWorker:
        self.spawn()
        try:
            self.wait_ready(ready_timeout_s)
        except BaseException:
            self.kill()  # never leave a half-started worker behind
            raise
        return self


def notifier_worker(stack: StackEndpoints, topic_prefix: str, tmp_path: Path, *, port: int, secret: str,
                    instance_id: str, **extra: str) -> FaustWorker:
    """A notifier worker (not started yet) serving on ``port``, its stream tokens signed with
    ``secret``; its data and log under ``tmp_path``."""
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_NOTIFIER_TOKEN_SECRET=secret,
                     OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID=instance_id, **extra)
    return FaustWorker("notifier", env, tmp_path / "notifier.log")
