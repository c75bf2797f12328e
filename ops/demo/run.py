"""The demo's course: stack, emulator, topics and schemas, bridge, workers, connect every user,
backfills with progress, live changes every few seconds, then settle, reconcile and summarize.

Everything runs as the operator would run it: the ``officestream`` CLI and ``python -m
connectors.emulator`` as child processes (``processes.py``), talking over Kafka, the registry,
Redis and HTTP. One run's topics carry a prefix of their own (``demo-<run>-``), so a run starts
from empty topics and its reconciliation sees only its own data; the prefix and every log are
printed at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connectors.emulator.google.state import refresh_token_for
from connectors.google.push import pubsub_push_token
from ops.demo.processes import Children, DemoFailed, officestream_argv
from ops.demo.progress import BackfillBars
from ops.demo.sse import SseCounter
from ops.demo.summary import Summary, settle_and_summarize
from ops.stack.settings import StackSettings
from processors.notifier.tokens import StreamTokens

WORKERS = ("vespa-loader", "meetings", "shipments", "notifier")
GMAIL_PUSH_TOPIC = "projects/officestream-demo/topics/gmail"
#: The log lines that say a child is ready (``Children.restart`` waits for them again).
BRIDGE_READY = "bridge listening on"
WORKER_READY = "[^Worker]: Ready"


@dataclass(frozen=True)
class DemoOptions:
    users: int = 4
    emails_per_user: int = 60
    #: Seconds of live streaming after the backfills; None: until Ctrl-C.
    duration_s: float | None = None
    advance_every_s: float = 5.0
    settle_timeout_s: float = 180.0
    summary_json: Path | None = None
    run_dir: Path = Path("var/demo")
    #: Real accounts (``(provider, address)``) instead of the emulator: the provider settings
    #: come from the environment (``OFFICESTREAM_MICROSOFT_*`` / ``OFFICESTREAM_GOOGLE_*``),
    #: Microsoft app-only and Google domain-wide delegation; changes are whatever the users do.
    accounts: tuple[tuple[str, str], ...] = ()
    #: Settings given to every child on top of the demo's own (the fault suite's: e.g.
    #: references only); ``(name, value)`` pairs.
    env_overrides: tuple[tuple[str, str], ...] = ()


class Demo:
    def __init__(self, options: DemoOptions, say: Callable[[str], None]) -> None:
        self.options, self.say = options, say
        # The hex tail keeps two runs started in one second (the fault suite's) apart.
        self.run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
        self.dir = options.run_dir.resolve() / self.run_id
        self.children = Children(self.dir / "logs", say)
        self.stop_requested = threading.Event()
        self.env: dict[str, str] = {}
        self.users: dict[str, str] = {}  # mailbox -> provider
        self.rounds = 0  # rounds of live changes so far

    def run(self) -> Summary:
        try:
            self.start()
            jobs = self.connect_users()
            BackfillBars(self.bridge_url, self.internal_token, jobs, say=self.say).follow(
                stop=self.stop_requested, check=self.children.check_alive)
            self._stream_live()
            return settle_and_summarize(self)
        finally:
            self.sse.stop() if hasattr(self, "sse") else None
            stopped = self.children.stop_all()
            self.say(f"stopped: {', '.join(stopped)}")

    # -- start-up --------------------------------------------------------------------------------

    def start(self) -> None:
        """The stack, the emulator, topics and schemas, the bridge, the four workers and the
        demo's SSE clients, each ready."""
        stack = StackSettings.from_env()
        self.say(f"demo run {self.run_id}: logs in {self.dir / 'logs'}")
        self.children.stack_up(stack)
        emulator_settings = self._start_emulator() if not self.options.accounts else {}
        if self.options.accounts:
            self.users = dict((address, provider) for provider, address in self.options.accounts)
        self.internal_token = secrets.token_urlsafe(32)
        notifier_secret = secrets.token_urlsafe(48)
        bridge_port, self.notifier_port = _free_port(), _free_port()
        self.bridge_url = f"http://127.0.0.1:{bridge_port}"
        self.feed_file = self.dir / "vespa-feed.jsonl"
        # Against the emulator, the emulator's settings replace any provider settings of the
        # shell; against real accounts, the shell's provider settings are the ones used.
        keep = ("OFFICESTREAM_STACK_",) + (("OFFICESTREAM_MICROSOFT_", "OFFICESTREAM_GOOGLE_") if self.options.accounts else ())
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_") or k.startswith(keep)}
        self.env.update(emulator_settings)
        self.env.update(
            OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers, OFFICESTREAM_REGISTRY_URL=stack.registry_url,
            OFFICESTREAM_REDIS_URL=stack.redis_url, OFFICESTREAM_KAFKA_TOPIC_PREFIX=f"demo-{self.run_id}-",
            OFFICESTREAM_BRIDGE_PORT=str(bridge_port), OFFICESTREAM_BRIDGE_INTERNAL_TOKEN=self.internal_token,
            OFFICESTREAM_BRIDGE_STATE_KEY=Fernet.generate_key().decode(),
            OFFICESTREAM_NOTIFIER_PORT=str(self.notifier_port), OFFICESTREAM_NOTIFIER_TOKEN_SECRET=notifier_secret,
            OFFICESTREAM_NOTIFIER_INSTANCE_ID=f"demo-{self.run_id}",
            OFFICESTREAM_VESPA_FEED_FILE=str(self.feed_file), OFFICESTREAM_PROCESSOR_DATA_DIR=str(self.dir / "data"),
            OFFICESTREAM_PROCESSOR_CONTENT_ENDPOINT=f"{self.bridge_url}/internal",
            OFFICESTREAM_PROCESSOR_CONTENT_TOKEN=self.internal_token,
            # People has no push: the bridge polls it; a demo wants to see contacts within seconds.
            # The backstop re-syncs every resource even without a notification.
            OFFICESTREAM_BRIDGE_PEOPLE_POLL_INTERVAL_S="5", OFFICESTREAM_BRIDGE_RECONCILE_INTERVAL_S="30",
        )
        self.env.update(self.options.env_overrides)
        if not self.options.accounts:
            self.env.update(OFFICESTREAM_GOOGLE_GMAIL_PUSH_TOPIC=GMAIL_PUSH_TOPIC,
                            OFFICESTREAM_GOOGLE_PUSH_TOKEN_SECRET=secrets.token_urlsafe(24))
        for setup in (("topics", "create"), ("schemas", "register")):
            self.children.run_once("-".join(setup), officestream_argv(*setup), self.env)
        self.children.start("bridge", officestream_argv("bridge", "serve"), self.env).wait_for_line(
            BRIDGE_READY, timeout_s=90)
        if not self.options.accounts:  # the emulator's Pub/Sub pushes Gmail changes to the bridge
            httpx.post(f"{self.emulator_http}/_emulator/google/pubsub", json={
                "topic": GMAIL_PUSH_TOPIC, "push_endpoint": f"{self.bridge_url}/webhooks/google/gmail?token="
                + pubsub_push_token(SecretStr(self.env["OFFICESTREAM_GOOGLE_PUSH_TOKEN_SECRET"]))}).raise_for_status()
        workers = [self.children.start(name, officestream_argv("worker", name), self.env) for name in WORKERS]
        for worker in workers:
            worker.wait_for_line(WORKER_READY, timeout_s=180)
        self.say(f"bridge {self.bridge_url}; workers ready: {', '.join(WORKERS)}")
        tokens = StreamTokens(SecretStr(notifier_secret), ttl=dt.timedelta(hours=12))
        self.page_tokens = {user: tokens.issue(user) for user in self.users}
        for user, provider in self.users.items():
            self.say(f"live page of {user} ({provider}): http://127.0.0.1:{self.notifier_port}/#token={self.page_tokens[user]}")
        self.sse = SseCounter(f"http://127.0.0.1:{self.notifier_port}", self.page_tokens).start()

    def _start_emulator(self) -> dict[str, str]:
        https, http = _free_port(), _free_port()
        argv = [sys.executable, "-m", "connectors.emulator", "--https-port", str(https), "--http-port", str(http),
                "--users", str(self.options.users), "--emails-per-user", str(self.options.emails_per_user),
                "--cert-dir", str(self.dir / "emulator-certs")]
        emulator = self.children.start("emulator", argv, dict(os.environ))
        text = emulator.wait_for_line("# Google refresh", timeout_s=60)
        lines = text.splitlines()
        mailboxes = next(line for line in lines if line.startswith("mailboxes: ")).removeprefix("mailboxes: ").split(", ")
        # The emulator serves every mailbox on both faces; each user is connected to one provider
        # (half Microsoft, half Google), as a user's mailbox lives at one provider.
        self.users = {user: ("microsoft" if n % 2 == 0 else "google") for n, user in enumerate(mailboxes)}
        self.emulator_http = f"http://127.0.0.1:{http}"
        self.emulator_https = f"https://127.0.0.1:{https}"
        return dict(line.split("=", 1) for line in lines if line.startswith("OFFICESTREAM_"))

    # -- users -----------------------------------------------------------------------------------

    def connect_users(self) -> dict[str, str]:
        """Connect every user through the bridge's internal API (``officestream connect`` does
        the same); job id per user."""
        jobs = {}
        headers = {"Authorization": f"Bearer {self.internal_token}"}
        for user, provider in self.users.items():
            body: dict[str, object] = {"provider": provider, "user": user}
            if provider == "google" and not self.options.accounts:  # the emulator's grant (Microsoft: app-only)
                body["grant"] = refresh_token_for(user)
            answer = httpx.post(f"{self.bridge_url}/internal/integrations", json=body, headers=headers, timeout=120)
            if answer.status_code != 201:
                raise DemoFailed(f"connecting {user} ({provider}) failed: {answer.status_code} {answer.text[:300]}")
            jobs[user] = answer.json()["job_id"]
            self.say(f"connected {user} on {provider}: backfill {jobs[user]}")
        return jobs

    # -- live ------------------------------------------------------------------------------------

    def _stream_live(self) -> None:
        """Advance every mailbox every few seconds until the duration is over or Ctrl-C."""
        duration = self.options.duration_s
        self.say("streaming live changes" + (f" for {duration:.0f}s" if duration else " until Ctrl-C"))
        ends = time.monotonic() + duration if duration else float("inf")
        while not self.stop_requested.is_set() and time.monotonic() < ends:
            if self.options.accounts:  # real mailboxes change by themselves
                self.stop_requested.wait(min(5.0, max(0.0, ends - time.monotonic())))
                self.children.check_alive()
                continue
            self.advance_round()
            self.say(f"round {self.rounds}: every mailbox changed; notifications so far {self.sse.total()}")
            self.children.check_alive()
            self.stop_requested.wait(min(self.options.advance_every_s, max(0.0, ends - time.monotonic())))


    def advance_round(self) -> None:
        """One round of live changes: the emulator changes every mailbox once."""
        for user in self.users:
            httpx.post(f"{self.emulator_http}/_emulator/advance", json={"user": user}, timeout=30).raise_for_status()
        self.rounds += 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
