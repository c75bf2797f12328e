"""The fault suite's workload: the demo's whole system (``ops/demo``: the provider emulator, the
bridge with its backfill orchestrator, the four faust workers, an SSE client per user) on the
test stack, driven in steps a fault test interleaves with its fault:

    run.start(); run.connect()           # every user connected: backfills begin
    ...the fault, mid-backfill or between live rounds...
    run.live(rounds=3)                   # the emulator changes every mailbox, the bridge syncs
    run.finish(fault="...")              # settle, count every sink, print and record the table

Every process is the one an operator runs (``officestream bridge serve``, ``officestream worker
<service>``, ``python -m connectors.emulator``); a run's topics carry a prefix of their own.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx

from ops.demo.processes import Child
from ops.demo.progress import FINISHED
from ops.demo.run import BRIDGE_READY, WORKER_READY, Demo, DemoOptions
from ops.demo.summary import demo_kafka, settle
from ops.reconcile import Holdings
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde
from tests.faults.effects import SinkCount, count_sinks

#: Where every run's table is appended (one file per session day), besides the test's output:
#: the figures outlive pytest's temporary directories, which keep only the last few sessions.
RESULTS_DIR = Path(__file__).parent / "results"


class FaultRun:
    def __init__(self, run_dir: Path, *, users: int = 4, emails_per_user: int = 40,
                 env: dict[str, str] | None = None, settle_timeout_s: float = 240.0) -> None:
        self.log_lines: list[str] = []
        options = DemoOptions(users=users, emails_per_user=emails_per_user, run_dir=run_dir,
                              settle_timeout_s=settle_timeout_s, env_overrides=tuple((env or {}).items()))
        self.demo = Demo(options, say=lambda line: self.log_lines.append(f"{time.monotonic() - self.t0:6.1f}s {line}"))
        self.t0 = time.monotonic()
        self.jobs: dict[str, str] = {}

    # -- driving ---------------------------------------------------------------------------------

    def start(self) -> FaultRun:
        self.demo.start()
        return self

    def connect(self) -> dict[str, str]:
        """Connect every user: each gets a backfill job (user → job id)."""
        self.jobs = self.demo.connect_users()
        return self.jobs

    def set_aside(self, count: int) -> dict[str, str]:
        """Take the last ``count`` users (one on each provider for two) out of the bridge's
        hands, before ``connect``: they are never connected, their mailboxes never change (the
        live rounds skip them) and their SSE clients still count. Their history is the test's to
        backfill; ``finish(also=...)`` reconciles them. User → provider."""
        aside = dict(list(self.demo.users.items())[-count:])
        self.demo.users = {user: provider for user, provider in self.demo.users.items() if user not in aside}
        return aside

    def live(self, rounds: int, *, every_s: float = 2.0) -> None:
        """``rounds`` rounds of live changes (every mailbox changes once a round)."""
        for _ in range(rounds):
            self.demo.advance_round()
            self.demo.children.check_alive()
            time.sleep(every_s)

    def backfills(self) -> dict[str, dict] | None:
        """Every job's status (user → the bridge's ``/internal/backfill/{job}`` answer); None
        while the bridge cannot answer (killed, or its job store unreadable: the broker down)."""
        headers = {"Authorization": f"Bearer {self.demo.internal_token}"}
        try:
            with httpx.Client(base_url=self.demo.bridge_url, headers=headers, timeout=30) as client:
                answers = {user: client.get(f"/internal/backfill/{job}") for user, job in self.jobs.items()}
        except httpx.HTTPError:
            return None
        if any(answer.status_code != 200 for answer in answers.values()):
            return None
        return {user: answer.json() for user, answer in answers.items()}

    def backfilled_items(self) -> int:
        statuses = self.backfills() or {}
        return sum(p["items"] for s in statuses.values() for p in s.get("progress", {}).values())

    def wait_backfills(self, timeout_s: float = 300.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            statuses = self.backfills()
            if statuses is not None and all(s.get("status") in FINISHED for s in statuses.values()):
                break
            self.demo.children.check_alive()
            assert time.monotonic() < deadline, f"backfills not finished after {timeout_s:.0f}s: {statuses}"
            time.sleep(1.0)
        assert {s["status"] for s in statuses.values()} == {"completed"}, statuses

    # -- the fault -------------------------------------------------------------------------------

    def child(self, name: str) -> Child:
        return self.demo.children.child(name)

    def kill(self, name: str) -> None:
        """``kill -9`` of a child (the emulator, the bridge or a worker) and its process group."""
        self.demo.say(f"FAULT: kill -9 {name}")
        self.child(name).kill()

    def restart(self, name: str) -> None:
        ready = BRIDGE_READY if name == "bridge" else WORKER_READY
        self.demo.children.restart(name, ready_line=ready)
        self.demo.say(f"{name} restarted")

    # -- the count -------------------------------------------------------------------------------

    def finish(self, fault: str, *, also: dict[tuple[str, str], Holdings] | None = None) -> list[SinkCount]:
        """Settle, count every sink, print the table and append it to ``RESULTS_DIR``; ``also``:
        the provider's holdings of users set aside (``set_aside``), counted with the others."""
        started = time.monotonic()
        verdict = settle(self.demo, poll_s=2.0, also=also)
        settled_s = time.monotonic() - started
        time.sleep(3.0)  # the SSE clients read what the notifier sent up to the last effect
        self.demo.sse.stop()
        serde = AvroEventSerde(registry_client(RegistrySettings.from_env(url=self.demo.env["OFFICESTREAM_REGISTRY_URL"])))
        counts = count_sinks(demo_kafka(self.demo), serde, verdict, feed_file=self.demo.feed_file,
                             delivered=self.demo.sse.seen(), repeated=dict(self.demo.sse.duplicates),
                             resynced={user for user, n in self.demo.sse.resyncs.items() if n})
        table = "\n".join([
            f"{fault} (run {self.demo.run_id}, {len(self.demo.users) + len(also or {})} users, {self.demo.rounds} live rounds, "
            f"settled {'in ' + format(settled_s, '.0f') + 's' if verdict.clean else 'NOT within the timeout'})",
            *(f"  {count.line()}" for count in counts)])
        print("\n" + table)
        RESULTS_DIR.mkdir(exist_ok=True)
        with (RESULTS_DIR / f"{dt.date.today():%Y-%m-%d}.txt").open("a") as results:
            results.write(f"{dt.datetime.now(dt.UTC):%H:%M:%S}Z {table}\n")
        if not verdict.clean:
            print(f"  reconciliation gaps: {[g for g in verdict.as_json()['checks'] if not _clean(g)][:5]}")
        return counts

    def stop(self) -> None:
        if hasattr(self.demo, "sse"):
            self.demo.sse.stop()
        self.demo.children.stop_all()

    def log_tail(self, lines: int = 40) -> str:
        """The run's last lines, stamped, without the live page links (they hold stream tokens)."""
        return "\n".join([line for line in self.log_lines if "#token=" not in line][-lines:])


def _clean(check: dict) -> bool:
    return not (check["missing"] or check["extra"] or check["stale"])


def assert_nothing_lost_or_doubled(counts: list[SinkCount]) -> None:
    assert all(c.sent > 0 for c in counts), f"a sink had no work, the run proves nothing: {counts}"
    assert [c for c in counts if c.lost or c.duplicates] == [], "\n".join(c.line() for c in counts)
