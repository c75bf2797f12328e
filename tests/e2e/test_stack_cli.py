"""`officestream stack up | status | down` as a user runs it, on a second stack in a temp dir.

The second stack shares the download cache with the session's stack, so it starts in seconds.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ops.stack.settings import StackSettings
from tests.faults.cluster import free_port_base, replicated
from tests.waiting import wait_for

PORT_SETTINGS = ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "REGISTRY_PORT", "REGISTRY_MANAGEMENT_PORT", "REDIS_PORT")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def stack_env(stack_dir: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    env["OFFICESTREAM_STACK_DIR"] = str(stack_dir)
    env["OFFICESTREAM_STACK_CACHE_DIR"] = str(StackSettings.from_env().downloads_dir)
    for name, port in zip(PORT_SETTINGS, free_ports(len(PORT_SETTINGS))):
        env[f"OFFICESTREAM_STACK_{name}"] = str(port)
    env.update({f"OFFICESTREAM_STACK_{k.upper()}": v for k, v in overrides.items()})
    return env


def officestream(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def pids(stack_dir: Path) -> dict[str, int]:
    return {p.stem: json.loads(p.read_text())["pid"] for p in (stack_dir / "run").glob("*.pid")}


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.fixture
def second_stack(stack, tmp_path):
    """A stack directory of its own; whatever the test leaves running is stopped afterwards."""
    env = stack_env(tmp_path / "stack")
    yield tmp_path / "stack", env
    officestream("stack", "down", env=env)


def environ_of(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def test_up_is_idempotent_status_reports_and_down_stops_only_what_up_started(second_stack):
    stack_dir, env = second_stack
    env["OFFICESTREAM_REDIS_PASSWORD"] = "not-for-the-stack"  # a secret of another boundary
    first = officestream("stack", "up", env=env)
    assert first.returncode == 0, first.stderr
    for component, version in (("kafka", "4.0.2"), ("registry", "3.3.3"), ("redis", "7.")):
        assert any(l.startswith(component) and "healthy" in l and f"version={version}" in l for l in first.stdout.splitlines())
    started = pids(stack_dir)
    assert set(started) == {"kafka", "registry", "redis"}
    for pid in started.values():  # only what each needs: no secrets of other systems
        assert "OFFICESTREAM_REDIS_PASSWORD" not in environ_of(pid) and "PATH" in environ_of(pid)
    # An operator watching a log from inside the stack directory: not the stack's to stop.
    tail = subprocess.Popen(["tail", "-f", str(stack_dir / "logs" / "kafka.log")], cwd=stack_dir,
                            start_new_session=True, stdout=subprocess.DEVNULL)

    again = officestream("stack", "up", env=env)
    assert again.returncode == 0 and pids(stack_dir) == started
    assert "already running" in again.stderr
    assert officestream("stack", "status", env=env).returncode == 0

    try:
        down = officestream("stack", "down", env=env)
        assert down.returncode == 0
        assert not any(alive(pid) for pid in started.values())
        assert tail.poll() is None, "stack down stopped a tail of its log"
    finally:
        tail.kill()
        tail.wait(10)
    status = officestream("stack", "status", env=env)
    assert status.returncode == 1 and status.stdout.count("DOWN") == 3


def test_a_taken_port_is_a_one_line_error_naming_the_setting(second_stack):
    stack_dir, env = second_stack
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env["OFFICESTREAM_STACK_REGISTRY_PORT"] = str(port)
        result = officestream("stack", "up", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: registry: port {port} on 127.0.0.1 is taken by a process the stack did not start; "
        "set OFFICESTREAM_STACK_REGISTRY_PORT to a free port or stop that process"
    ]
    assert pids(stack_dir) == {}


def test_a_missing_java_is_a_one_line_error_naming_the_setting(second_stack, tmp_path):
    _, env = second_stack
    env["OFFICESTREAM_STACK_JAVA_HOME"] = str(tmp_path / "no-jdk")
    result = officestream("stack", "up", env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "Kafka needs Java 17+" in line and "OFFICESTREAM_STACK_JAVA_HOME" in line


def test_a_component_that_dies_is_named_with_its_log_and_the_rest_is_stopped(second_stack):
    stack_dir, env = second_stack
    env["OFFICESTREAM_STACK_REGISTRY_HEAP"] = "1m"  # the JVM refuses to start with so little heap
    result = officestream("stack", "up", env=env)
    assert result.returncode == 1
    assert "error: registry: exited during start-up" in result.stderr.splitlines()
    assert "--- last lines of the registry log ---" in result.stderr
    assert "heap" in result.stderr.lower()
    assert pids(stack_dir) == {}


def test_a_three_broker_stack_comes_up_reports_and_goes_down_as_a_whole(second_stack, topic_prefix):
    stack_dir, env = second_stack
    base = free_port_base("127.0.0.1")
    env.update({"OFFICESTREAM_STACK_KAFKA_PORT": str(base), "OFFICESTREAM_STACK_KAFKA_CONTROLLER_PORT": str(base + 1),
                "OFFICESTREAM_STACK_KAFKA_HEAP": "256m"})
    up = officestream("stack", "up", "--brokers", "3", env=env)
    assert up.returncode == 0, up.stderr
    for node, port in ((1, base), (2, base + 10), (3, base + 20)):
        [line] = [l for l in up.stdout.splitlines() if l.startswith(f"kafka-{node} ")]
        assert "healthy" in line and f"127.0.0.1:{port} " in line and "3/3 brokers" in line, line
    [clients] = [l for l in up.stdout.splitlines() if l.startswith("clients: ")]
    client_env = dict(pair.split("=", 1) for pair in clients.removeprefix("clients: ").split())
    assert client_env == {
        "OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{base},127.0.0.1:{base + 10},127.0.0.1:{base + 20}",
        "OFFICESTREAM_KAFKA_REPLICATION_FACTOR": "3", "OFFICESTREAM_KAFKA_MIN_INSYNC_REPLICAS": "2",
    }
    started = pids(stack_dir)
    assert set(started) == {"kafka-1", "kafka-2", "kafka-3", "registry", "redis"}

    # The count is remembered: status, a plain `up` and `down` know the three nodes.
    status = officestream("stack", "status", env=env)
    assert status.returncode == 0 and sum(l.startswith("kafka-") for l in status.stdout.splitlines()) == 3
    again = officestream("stack", "up", env=env)
    assert again.returncode == 0 and pids(stack_dir) == started and "kafka-3: already running" in again.stderr
    other = officestream("stack", "up", "--brokers", "1", env=env)
    assert other.returncode == 1 and "`officestream stack down` first" in other.stderr and pids(stack_dir) == started

    created = officestream("topics", "create", env={**env, **client_env, "OFFICESTREAM_KAFKA_TOPIC_PREFIX": topic_prefix})
    assert created.returncode == 0, created.stderr
    bootstrap, topic = client_env["OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS"], f"{topic_prefix}email-updates"
    wait_for(lambda: replicated(bootstrap, topic), timeout_s=30, what=f"{topic} on 3 replicas, min ISR 2")

    down = officestream("stack", "down", env=env)
    assert down.returncode == 0 and not any(alive(pid) for pid in started.values())
    after = officestream("stack", "status", env=env)
    assert after.returncode == 1 and after.stdout.count("DOWN") == 5
