"""`officestream bridge serve`, `connect` and `disconnect` as an operator runs them, against
`python -m connectors.emulator` (both faces) and the real stack; the bridge's log of the whole
run holds no token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connectors.google.push import pubsub_push_token
from tests.emulator_process import free_port, start_emulator
from tests.waiting import wait_for

TOKEN = "e2e-internal-token-0123456789abcdef"
TOPIC = "projects/officestream-e2e/topics/gmail"
PUSH_SECRET = "e2e-push-secret"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    process, settings, [mailbox] = start_emulator(tmp_path_factory.mktemp("emulator"), emails=20)
    yield settings, mailbox
    process.terminate()
    process.wait(10)


def officestream(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def env(stack, topic_prefix, emulator) -> dict[str, str]:
    settings, _ = emulator
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    environ.update(settings)
    port = free_port()
    environ.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers, OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url, OFFICESTREAM_REDIS_URL=stack.redis.url,
        OFFICESTREAM_BRIDGE_PORT=str(port), OFFICESTREAM_BRIDGE_INTERNAL_TOKEN=TOKEN,
        OFFICESTREAM_BRIDGE_STATE_KEY=Fernet.generate_key().decode(), OFFICESTREAM_GOOGLE_GMAIL_PUSH_TOPIC=TOPIC,
        OFFICESTREAM_GOOGLE_PUSH_TOKEN_SECRET=PUSH_SECRET,
    )
    for setup in (["topics", "create"], ["schemas", "register"]):
        done = officestream(*setup, env=environ)
        assert done.returncode == 0, done.stderr
    return environ


@pytest.fixture
def bridge(env, tmp_path: Path):
    log = tmp_path / "bridge.log"
    with log.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "ops.cli", "bridge", "serve", "--log-level", "DEBUG"],
                                   env=env, stdout=sink, stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: "bridge listening on" in log.read_text() or process.poll() is not None, timeout_s=60,
             what="the bridge to listen")
    assert process.poll() is None, log.read_text()[-3000:]
    url = f"http://127.0.0.1:{env['OFFICESTREAM_BRIDGE_PORT']}"
    yield url, log
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0, log.read_text()[-3000:]


def integration(url: str, provider: str, user: str) -> dict:
    answer = httpx.get(f"{url}/internal/integrations/{provider}/{user}", headers={"Authorization": f"Bearer {TOKEN}"})
    answer.raise_for_status()
    return answer.json()


def test_connect_and_disconnect_both_providers_through_the_running_bridge(env, emulator, bridge):
    settings, mailbox = emulator
    url, log = bridge
    google = settings["OFFICESTREAM_GOOGLE_API_ENDPOINT"]
    httpx.post(f"{google}/_emulator/google/pubsub", json={
        "topic": TOPIC, "push_endpoint": f"{url}/webhooks/google/gmail?token={pubsub_push_token(SecretStr(PUSH_SECRET))}"})
    for provider, watches in (("microsoft", 3), ("google", 2)):
        done = officestream("connect", "--provider", provider, "--user", mailbox, "--auth", "emulator", env=env)
        assert done.returncode == 0, done.stderr
        job_id = done.stdout.strip()
        summary = json.loads(done.stderr.strip().splitlines()[-1])
        assert summary["job_id"] == job_id and summary["status"] == "backfilling" and len(summary["watches"]) == watches
        live = wait_for(lambda: (found := integration(url, provider, mailbox))["status"] == "live" and found,
                        timeout_s=90, what=f"{provider} live")
        assert set(live["backfilled"]) == {"email", "calendar_event", "contact"} and live["has_grant"] is (
            provider == "google")
        again = officestream("connect", "--provider", provider, "--user", mailbox, "--auth", "emulator", env=env)
        assert again.returncode == 1 and "already connected" in again.stderr and len(again.stderr.splitlines()) == 1
        gone = officestream("disconnect", "--provider", provider, "--user", mailbox, env=env)
        assert gone.returncode == 0, gone.stderr
        assert json.loads(gone.stdout) == {"integration": f"{provider}:{mailbox}", "status": "disconnected",
                                           "last_error": None}
    text = log.read_text()
    assert "integration connected provider=google" in text and "integration disconnected provider=microsoft" in text
    for secret in (TOKEN, "1//emulator-", "ya29.", "eyJ0eXAi.", pubsub_push_token(SecretStr(PUSH_SECRET))):
        assert secret not in text, f"the bridge logged {secret[:12]}..."


def test_connect_without_a_running_bridge_or_token_says_what_to_do(env, emulator):
    _, mailbox = emulator
    down = officestream("connect", "--provider", "microsoft", "--user", mailbox, "--auth", "emulator", env=env)
    assert down.returncode == 1 and "is `officestream bridge serve` running?" in down.stderr
    no_token = {k: v for k, v in env.items() if k != "OFFICESTREAM_BRIDGE_INTERNAL_TOKEN"}
    refused = officestream("connect", "--provider", "google", "--user", mailbox, "--auth", "emulator", env=no_token)
    assert refused.returncode == 1 and refused.stderr.startswith("error: OFFICESTREAM_BRIDGE_INTERNAL_TOKEN is not set")
    wrong = officestream("connect", "--provider", "google", "--user", mailbox, "--auth", "device-code", env=env)
    assert wrong.returncode == 2 and "device-code is Microsoft's" in wrong.stderr
