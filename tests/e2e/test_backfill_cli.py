"""`officestream backfill` as a user runs it, against `python -m connectors.emulator` and the
real stack: a whole mailbox, a runner killed with SIGKILL and resumed, bad input refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from connectors.emulator.world import World
from connectors.kafka.settings import KafkaSettings
from producers.backfill.store import read_job
from schemas.models import EmailBackfillEvent
from tests.emulator_process import start_emulator
from tests.kafka_helpers import read_all
from tests.waiting import wait_for

EMAILS = 120


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    process, settings, [mailbox] = start_emulator(tmp_path_factory.mktemp("emulator"), emails=EMAILS)
    yield settings, mailbox
    process.terminate()
    process.wait(10)


@pytest.fixture
def env(stack, topic_prefix, emulator) -> dict[str, str]:
    settings, _ = emulator
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    environ.update(settings)
    environ.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers, OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url, OFFICESTREAM_REDIS_URL=stack.redis.url,
        OFFICESTREAM_BACKFILL_LEASE_TTL_S="3",  # a killed runner's job is resumable 3 s after the kill
    )
    for setup in (["topics", "create"], ["schemas", "register"]):
        done = officestream(*setup, env=environ)
        assert done.returncode == 0, done.stderr
    return environ


def officestream(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=timeout)


def mailbox_ids(mailbox: str) -> set[str]:
    """The emulator's world, regenerated from its seed (the process was started with the defaults)."""
    return set(World(seed=42, users=1, emails_per_user=EMAILS).mailbox(mailbox).emails)


def published_email_ids(env: dict[str, str], serde) -> list[str]:
    kafka = KafkaSettings.from_env({}, bootstrap_servers=env["OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS"],
                                   topic_prefix=env["OFFICESTREAM_KAFKA_TOPIC_PREFIX"])
    events = [serde.decode(m.value()) for m in read_all(kafka, kafka.topic("email-backfill"))]
    return [email.id for event in events if isinstance(event, EmailBackfillEvent) for email in event.emails]


def test_start_wait_backfills_the_mailbox_and_status_reports_it(env, emulator, serde):
    _, mailbox = emulator
    done = officestream("backfill", "start", "--provider", "microsoft", "--user", mailbox, "--wait", env=env)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.splitlines()[0]
    status = json.loads(officestream("backfill", "status", job_id, "--json", env=env).stdout)
    assert (status["job_id"], status["status"]) == (job_id, "completed")
    assert status["counts"]["email"] == EMAILS and status["counts"]["contact"] == 12 and status["counts"]["calendar"] > 0
    assert status["batches"] >= 3
    ids = published_email_ids(env, serde)
    assert set(ids) == mailbox_ids(mailbox) and len(ids) == EMAILS


def test_a_job_run_by_start_wait_is_never_stored_queued_for_another_runner(env, emulator):
    # A pending job is any queue's to take (`backfill run`, the bridge's): one this process runs
    # must never be stored pending, or a second runner would publish it again.
    _, mailbox = emulator
    done = officestream("backfill", "start", "--provider", "microsoft", "--user", mailbox, "--types", "contact", "--wait", env=env)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.splitlines()[0]
    kafka = KafkaSettings.from_env({}, bootstrap_servers=env["OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS"],
                                   topic_prefix=env["OFFICESTREAM_KAFKA_TOPIC_PREFIX"])
    stored = [json.loads(m.value())["status"] for m in read_all(kafka, kafka.topic("backfill-jobs")) if m.key() == job_id.encode()]
    assert stored[0] == "running" and "pending" not in stored and stored[-1] == "completed", stored


def start_waiting_runner(env: dict[str, str], mailbox: str) -> tuple[subprocess.Popen[str], str]:
    """`backfill start --wait` of the mailbox's e-mail in a process (group) of its own, and its job id."""
    runner = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "backfill", "start", "--provider", "microsoft", "--user", mailbox,
         "--types", "email", "--batch-size", "10", "--wait"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert runner.stdout is not None
    return runner, runner.stdout.readline().strip()


def test_a_runner_killed_mid_job_resumes_from_its_last_checkpoint(env, emulator, serde):
    settings, mailbox = emulator
    slow = {**env, "OFFICESTREAM_MICROSOFT_MAX_PAGE_SIZE": "10"}
    httpx.post(f"{settings['OFFICESTREAM_GOOGLE_API_ENDPOINT']}/_emulator/microsoft/latency", json={"seconds": 0.3})
    try:
        runner, job_id = start_waiting_runner(slow, mailbox)
        kafka = KafkaSettings.from_env({}, bootstrap_servers=env["OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS"],
                                       topic_prefix=env["OFFICESTREAM_KAFKA_TOPIC_PREFIX"])
        wait_for(lambda: (job := read_job(kafka, job_id)) is not None and job.batches >= 3, timeout_s=60,
                 what="three checkpoints")
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait(10)
        killed = read_job(kafka, job_id)
        assert killed is not None and killed.status.value == "running" and 0 < killed.items < EMAILS
    finally:
        httpx.post(f"{settings['OFFICESTREAM_GOOGLE_API_ENDPOINT']}/_emulator/microsoft/latency", json={"seconds": 0})
    before_resume = Counter(published_email_ids(env, serde))
    resumed = officestream("backfill", "resume", job_id, "--wait", env=slow)
    assert resumed.returncode == 0, resumed.stderr
    ids = Counter(published_email_ids(env, serde))
    assert set(ids) == mailbox_ids(mailbox)
    twice = [email for email, count in ids.items() if count > 1]
    assert max(ids.values()) <= 2 and len(twice) <= 10, f"{len(twice)} emails published twice"  # at most the page in flight
    assert sum(before_resume.values()) < EMAILS  # it really stopped mid-job
    final = read_job(KafkaSettings.from_env({}, bootstrap_servers=env["OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS"],
                                            topic_prefix=env["OFFICESTREAM_KAFKA_TOPIC_PREFIX"]), job_id)
    assert final is not None and final.status.value == "completed"


def test_resuming_a_job_another_runner_is_running_waits_out_its_lease_then_names_it(env, emulator, serde):
    settings, mailbox = emulator
    slow = {**env, "OFFICESTREAM_MICROSOFT_MAX_PAGE_SIZE": "10"}
    latency = f"{settings['OFFICESTREAM_GOOGLE_API_ENDPOINT']}/_emulator/microsoft/latency"
    httpx.post(latency, json={"seconds": 1.0})  # 12 pages: the first runner outlasts the second's wait (~8 s)
    try:
        runner, job_id = start_waiting_runner(slow, mailbox)
        second = officestream("backfill", "resume", job_id, "--wait", env=slow, timeout=60)
        assert second.returncode == 1 and runner.poll() is None  # the first runner renewed its lease throughout
        assert f"backfill job {job_id} is being run by" in second.stderr and "waiting for it to lapse" in second.stderr
    finally:
        httpx.post(latency, json={"seconds": 0})
    assert runner.wait(120) == 0, runner.stderr.read() if runner.stderr else ""
    ids = Counter(published_email_ids(env, serde))
    assert set(ids) == mailbox_ids(mailbox) and max(ids.values()) == 1  # one runner's batches only


def test_bad_input_is_one_line_naming_what_to_fix_and_writes_no_job(env, emulator, stack):
    _, mailbox = emulator
    unknown = officestream("backfill", "start", "--provider", "yahoo", "--user", mailbox, env=env)
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines() == ["error: unknown provider 'yahoo'; use microsoft or google"]
    no_app = {k: v for k, v in env.items() if not k.startswith("OFFICESTREAM_MICROSOFT_")}
    missing = officestream("backfill", "start", "--provider", "microsoft", "--user", mailbox, env=no_app)
    assert missing.returncode == 1 and "OFFICESTREAM_MICROSOFT_CLIENT_ID" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    no_registry = {**env, "OFFICESTREAM_REGISTRY_URL": "http://127.0.0.1:9/apis/ccompat/v7"}
    unreachable = officestream("backfill", "start", "--provider", "microsoft", "--user", mailbox, env=no_registry)
    assert unreachable.returncode == 1 and "registry" in unreachable.stderr.lower()
    assert len([line for line in unreachable.stderr.splitlines() if line.startswith("error:")]) == 1
    listed = officestream("backfill", "status", "--json", env=env)
    assert json.loads(listed.stdout) == []  # nothing was written for the refused starts


def test_a_user_the_provider_does_not_know_fails_the_job_with_the_reason(env):
    done = officestream("backfill", "start", "--provider", "microsoft", "--user", "nobody@contoso.example", "--wait", env=env)
    assert done.returncode == 1
    job_id = done.stdout.splitlines()[0]
    status = json.loads(officestream("backfill", "status", job_id, "--json", env=env).stdout)
    assert status["status"] == "failed" and "404" in status["last_error"]
    assert "nobody@contoso.example" not in status["last_error"]  # errors name a hash, never the address
