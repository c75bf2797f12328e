"""The stack's process table on real processes (no stack needed): only the exact process the
stack started is ours; a log tail, a shell or a recycled pid is never signalled; children get
only the environment they need."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.stack.process import ProcessRecord, ProcessTable, child_environment, running

SLEEP = ["sleep", "600"]


@pytest.fixture
def table(tmp_path: Path) -> ProcessTable:
    return ProcessTable(run_dir=tmp_path / "stack" / "run", logs_dir=tmp_path / "stack" / "logs")


@pytest.fixture
def bystanders() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes the stack did not start, each in a session of its own as a shell job would be;
    killed after the test if still there."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def bystander(started: list[subprocess.Popen[bytes]], argv: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    cwd.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(argv, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(process)
    assert running(process.pid) is not None
    return process


def alive(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None


def write_pid_file(table: ProcessTable, name: str, content: str) -> None:
    table.run_dir.mkdir(parents=True, exist_ok=True)
    (table.run_dir / f"{name}.pid").write_text(content)


def test_the_process_the_table_started_is_found_and_stopped(table: ProcessTable) -> None:
    pid = table.start("svc", SLEEP, cwd=table.run_dir.parent)
    assert table.pid("svc") == pid
    assert table.stop("svc", timeout_s=10)
    assert running(pid) is None and table.pid("svc") is None


def test_a_tail_of_the_stacks_log_is_never_taken_for_ours_and_survives_stop(table: ProcessTable, bystanders) -> None:
    """As when the stack's process died and its pid went to ``tail -f .stack/logs/kafka.log``
    started in the stack directory: an old-style pid file names it."""
    table.logs_dir.mkdir(parents=True)
    log = table.log_path("kafka")
    log.write_text("started\n")
    tail = bystander(bystanders, ["tail", "-f", str(log)], cwd=table.run_dir.parent)
    write_pid_file(table, "kafka", f"{tail.pid}\n")
    assert table.pid("kafka") is None
    assert not table.stop("kafka", timeout_s=1)
    assert alive(tail)


def test_a_process_working_in_the_stack_directory_is_not_ours_either(table: ProcessTable, bystanders) -> None:
    shell_job = bystander(bystanders, SLEEP, cwd=table.run_dir.parent / "kafka")
    write_pid_file(table, "kafka", f"{shell_job.pid}\n")
    assert not table.stop("kafka", timeout_s=1)
    assert alive(shell_job)


def test_a_recycled_pid_with_another_start_time_is_not_ours(table: ProcessTable, bystanders) -> None:
    stranger = bystander(bystanders, SLEEP, cwd=table.run_dir.parent)
    start_time, argv = running(stranger.pid) or (0, ())
    # The pid file of a `sleep 600` the stack started earlier, whose pid the stranger now has.
    write_pid_file(table, "svc", ProcessRecord(stranger.pid, start_time - 1, argv).to_json())
    assert table.pid("svc") is None
    assert not table.stop("svc", timeout_s=1)
    assert alive(stranger)


def test_the_same_pid_and_start_time_running_another_command_is_not_ours(table: ProcessTable) -> None:
    pid = table.start("svc", SLEEP, cwd=table.run_dir.parent)
    record = table.record("svc")
    assert record is not None
    write_pid_file(table, "svc", ProcessRecord(pid, record.start_time, ("sleep", "601")).to_json())
    try:
        assert not table.stop("svc", timeout_s=1)
        assert running(pid) is not None
    finally:
        os.killpg(pid, signal.SIGKILL)


def test_an_old_style_pid_file_is_adopted_only_for_the_exact_command(table: ProcessTable, bystanders) -> None:
    ours = bystander(bystanders, SLEEP, cwd=table.run_dir.parent)
    write_pid_file(table, "svc", f"{ours.pid}\n")
    assert not table.adopt_legacy("svc", ["sleep", "601"])
    assert table.adopt_legacy("svc", SLEEP)
    assert table.pid("svc") == ours.pid
    assert table.stop("svc", timeout_s=10)
    assert ours.wait(10) == -signal.SIGTERM


def test_a_started_process_gets_only_the_environment_it_needs(table: ProcessTable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICESTREAM_REGISTRY_PASSWORD", "registry-secret")
    monkeypatch.setenv("OFFICESTREAM_NOTIFIER_TOKEN_SECRET", "token-secret-" * 3)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    monkeypatch.setenv("LC_TIME", "C.UTF-8")
    pid = table.start("svc", SLEEP, cwd=table.run_dir.parent, env={"COMPONENT_SETTING": "1"})
    try:
        environ = dict(
            entry.split("=", 1) for entry in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in entry
        )
    finally:
        table.stop("svc", timeout_s=10)
    assert not any("SECRET" in name or "PASSWORD" in name for name in environ)
    assert "registry-secret" not in environ.values() and "aws-secret" not in environ.values()
    assert environ["PATH"] == os.environ["PATH"] and environ["LC_TIME"] == "C.UTF-8" and environ["COMPONENT_SETTING"] == "1"


def test_the_child_environment_keeps_locale_and_paths_only() -> None:
    parent = {"PATH": "/bin", "HOME": "/root", "LANG": "C.UTF-8", "LC_ALL": "C", "JAVA_HOME": "/jdk",
              "OFFICESTREAM_KAFKA_SASL_PASSWORD": "x", "GITHUB_TOKEN": "y", "PYTHONPATH": "/src"}
    assert child_environment({"X": "1"}, parent=parent) == {
        "PATH": "/bin", "HOME": "/root", "LANG": "C.UTF-8", "LC_ALL": "C", "JAVA_HOME": "/jdk", "X": "1",
    }


def test_a_process_just_started_is_recognised_at_once(table: ProcessTable) -> None:
    """Popen returns while the kernel is still setting up the new program's arguments (its
    cmdline is empty for a moment): the table must not take its own child for a stranger then."""
    for attempt in range(100):
        pid = table.start("svc", SLEEP, cwd=table.run_dir.parent)
        try:
            assert table.pid("svc") == pid, f"attempt {attempt}"
        finally:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
