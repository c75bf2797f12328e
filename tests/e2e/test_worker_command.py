"""`officestream worker SERVICE` starts the same faust worker as the faust CLI."""

from __future__ import annotations

import subprocess
import sys

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from tests.workers import FaustWorker, worker_env


def test_worker_command_starts_the_service_and_stops_on_sigterm(stack, topic_prefix, tmp_path):
    ensure_topics(KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix))
    env = worker_env(stack, topic_prefix, tmp_path / "data")
    worker = FaustWorker("shipments", env, tmp_path / "cli.log", argv=[sys.executable, "-m", "ops.cli", "worker", "shipments"])
    worker.start()
    try:
        assert f"{topic_prefix}shipments" in worker.log_text()  # the app id: the prefixed consumer group
    finally:
        worker.stop()
    assert worker.process is not None and worker.process.returncode == 0


def test_worker_command_refuses_an_unknown_service():
    result = subprocess.run([sys.executable, "-m", "ops.cli", "worker", "billing"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown service 'billing'; choose one of vespa-loader, meetings, shipments, notifier"
