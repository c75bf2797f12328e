"""The streaming bridge: provider change -> update event on Kafka, and webhook intake, in one run.

The bridge runs in this process as ``officestream bridge serve`` builds it (``build_bridge``:
the real webhooks, ``LiveSync``, publisher and integration store) on the run's own topics; the
provider emulator (Microsoft face, app-only) runs in a child process with ``--users`` mailboxes
of ``--messages`` each. Every user is connected through the orchestrator (mail only: one Graph
subscription each, the backfill, the hand-off), then:

(a) Latency. ``--rate`` emulator rounds per second for ``--seconds``, spread over every user in
    turn (``POST /_emulator/advance``: a new message, a read, a move, a delete; the emulator
    POSTs the Graph change notifications to the bridge before it answers). Measured per round:
    from the advance call to the new message's ``EmailUpdateEvent`` returned by a plain Kafka
    consumer polling ``email-updates`` (a thread of this process); a round that deletes its own new
    message (the emulator picks the delete at random) has nothing to time and is counted apart.
    The webhook's answer time is
    what the bridge's handler took (its ``officestream_bridge_webhook_seconds`` observations).
    Goals: p50 <= 50 ms, p99 <= 250 ms, webhook answered p99 <= 100 ms.
(b) Intake. Valid change notifications (one per POST, a real subscription id and clientState)
    POSTed by ``--clients`` concurrent aiohttp clients for ``--intake-s`` seconds to
    ``/webhooks/microsoft``, against a bare aiohttp endpoint that answers 202 and does nothing,
    served by the same process; rounds alternate. The bridge's answers are 202 with the sync
    requested (coalesced: the user's mail syncs keep running meanwhile). Goal: the ratio of
    notifications/s bridge/bare >= 0.5 (median of the per-round ratios). A third variant, the
    same handler with its sync requests dropped, shows what the syncs running meanwhile cost.

Run: ``.venv/bin/python bench/bridge_bench.py [--users 100] [--rate 10] [--seconds 40]`` with
the local stack up. Figures go to stdout and ``bench/results/bridge.json``; the run's topics and
subjects (prefix ``bench-bridge-<12 hex>-``) are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from confluent_kafka import OFFSET_END, Consumer, TopicPartition
from cryptography.fernet import Fernet
from harness.emulator import RunningEmulator, running_emulator
from harness.latency import distribution
from harness.report import free_port, load_line, machine_info, write_json
from harness.stack import stack_for_run
from prometheus_client import CollectorRegistry

from connectors.google.settings import GoogleSettings
from connectors.kafka.topics import EMAIL_UPDATES, TOPICS
from producers.bridge.app import Bridge, run_bridge
from producers.bridge.metrics import BridgeMetrics
from producers.bridge.settings import BridgeSettings
from producers.bridge.wiring import build_bridge
from producers.integrations.state import IntegrationStatus
from producers.orchestrator import ConnectRequest
from producers.settings import ProducerSettings
from schemas.models import DocType, Provider
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

GOALS = {"p50_ms": 50.0, "p99_ms": 250.0, "webhook_p99_ms": 100.0, "intake_ratio": 0.5}


class AnswerTimes(BridgeMetrics):
    """The bridge's metrics on a private registry, keeping every webhook answer time."""

    def __init__(self) -> None:
        super().__init__(CollectorRegistry())
        self.seconds: list[float] = []

    def answered(self, provider: str, seconds: float) -> None:
        self.seconds.append(seconds)
        super().answered(provider, seconds)


class UpdateWatcher(threading.Thread):
    """Polls ``email-updates`` from its end; notes when a wanted message id first shows up."""

    def __init__(self, kafka: Any, topic: str) -> None:
        super().__init__(name="bench-update-watcher", daemon=True)
        self._consumer = Consumer(kafka.librdkafka_config(**{"group.id": f"bench-{secrets.token_hex(4)}",
                                                             "enable.auto.commit": False}))
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self._consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in partitions])
        self._lock = threading.Lock()
        self._wanted: dict[bytes, dict[bytes, float]] = {}  # user -> item id -> sent at
        self.latency_ms: list[float] = []
        self._stopping = threading.Event()

    def want(self, user: str, item_id: str, sent_at: float) -> None:
        with self._lock:
            self._wanted.setdefault(user.encode(), {})[item_id.encode()] = sent_at

    def pending(self) -> int:
        with self._lock:
            return sum(len(items) for items in self._wanted.values())

    def missing(self) -> list[str]:
        with self._lock:
            return [f"{user.decode()}/{item.decode()}" for user, items in self._wanted.items() for item in items]

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                message = self._consumer.poll(0.1)
                seen = time.perf_counter()
                if message is None or message.error() is not None:
                    continue
                with self._lock:
                    items = self._wanted.get(message.key() or b"", {})
                    for item_id in [i for i in items if i in (message.value() or b"")]:
                        self.latency_ms.append((seen - items.pop(item_id)) * 1000)
        finally:
            self._consumer.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(10)


async def start_bridge(stack: Any, emulator: RunningEmulator) -> tuple[Bridge, str, asyncio.Event, asyncio.Task[None]]:
    port = free_port()
    settings = BridgeSettings.from_env({}, host="127.0.0.1", port=port, internal_token=secrets.token_urlsafe(24),
                                       state_key=Fernet.generate_key().decode(), reconcile_interval_s=3600,
                                       people_poll_interval_s=3600)
    redis = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    bridge = build_bridge(settings=settings, kafka=stack.kafka, redis=redis, redis_settings=stack.redis,
                          serde=AvroEventSerde(registry_client(stack.registry), auto_register=True),
                          producer=ProducerSettings.from_env(), microsoft=emulator.microsoft_settings(),
                          google=GoogleSettings.from_env({}))
    bridge.queue_concurrency = 8
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_bridge(bridge, host="127.0.0.1", port=port, stop=stop, on_ready=ready.set_result))
    await asyncio.wait([task, ready], timeout=120, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    return bridge, ready.result(), stop, task


async def connect_all(bridge: Bridge, users: list[str]) -> float:
    started = time.perf_counter()
    gate = asyncio.Semaphore(8)

    async def connect(user: str) -> None:
        async with gate:
            await bridge.orchestrator.connect(ConnectRequest(provider=Provider.microsoft, user_id=user,
                                                             doc_types=(DocType.email,)))

    await asyncio.gather(*(connect(user) for user in users))
    keys = [f"microsoft:{user}" for user in users]
    while any(bridge.integrations.get(key).status is not IntegrationStatus.live for key in keys):
        if time.perf_counter() - started > 300:
            raise SystemExit("bridge bench: the backfills did not finish within 300 s")
        await asyncio.sleep(0.2)
    await bridge.live.drain()
    return time.perf_counter() - started


async def latency_phase(emulator: RunningEmulator, watcher: UpdateWatcher, users: list[str], *, rate: float,
                        seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="bench-advance")

    gone_at_once = 0

    def advance(user: str) -> None:
        nonlocal gone_at_once
        sent = time.perf_counter()
        changes = emulator.control("/_emulator/advance", {"user": user})["changes"]
        created = next(c["item_id"] for c in changes if c["kind"] == "email" and c["change"] == "created")
        if any(c["item_id"] == created and c["change"] == "deleted" for c in changes):
            gone_at_once += 1  # the round deleted its own new message: Graph's delta never shows it
            return
        watcher.want(user, created, sent)

    started, rounds, calls = time.perf_counter(), int(rate * seconds), []
    for index in range(rounds):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        calls.append(loop.run_in_executor(pool, advance, users[index % len(users)]))
    await asyncio.gather(*calls)
    deadline = time.perf_counter() + 30
    while watcher.pending() and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    pool.shutdown()
    return {"rounds": rounds, "seconds": round(time.perf_counter() - started, 1), "missing": watcher.pending(),
            "missing_items": watcher.missing()[:20], "created_and_deleted_in_one_round": gone_at_once,
            "latency_ms": distribution(watcher.latency_ms)}


async def post_for(url: str, body: bytes, *, clients: int, seconds: float) -> tuple[float, int]:
    """Notifications/s answered 202 by ``url``, and how many answers were anything else."""
    accepted = refused = 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:
        async def client() -> None:
            nonlocal accepted, refused
            while time.perf_counter() < deadline:
                async with http.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                    accepted += answer.status == 202
                    refused += answer.status != 202

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
    return accepted / (time.perf_counter() - started), refused


class _NoSyncs:
    def request(self, key: str, resource: str, *, reason: str, trace: object = None) -> None:
        return None


async def intake_phase(bridge: Bridge, url: str, user: str, *, clients: int, seconds: float, rounds: int) -> dict[str, Any]:
    async def bare_202(_: web.Request) -> web.Response:
        return web.Response(status=202)

    bare = web.Application()
    bare.router.add_post("/webhooks/microsoft", bare_202)
    runner = web.AppRunner(bare)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    watch = bridge.integrations.get(f"microsoft:{user}").watches[0]
    resource = f"Users/{user}/Messages/bench-message"
    body = json.dumps({"value": [{
        "subscriptionId": watch.id, "subscriptionExpirationDateTime": watch.expires_at.isoformat(),
        "changeType": "updated", "resource": resource, "tenantId": "bench", "clientState": watch.client_state.get_secret_value(),
        "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "@odata.id": resource, "id": "bench-message"}}]}).encode()
    figures: dict[str, list[float]] = {"bare": [], "bridge": [], "intake-only": [], "ratio": []}
    refused = 0
    routes = bridge.webhooks
    assert routes is not None
    live = routes.live
    try:
        for index in range(rounds):
            order = ("bare", "bridge", "intake-only")[::1 if index % 2 == 0 else -1]
            rates = {}
            for variant in order:
                # intake-only: the same handler, the sync requests dropped (what the syncs cost the intake)
                routes.live = _NoSyncs() if variant == "intake-only" else live
                target = f"http://127.0.0.1:{port}/webhooks/microsoft" if variant == "bare" else f"{url}/webhooks/microsoft"
                await bridge.live.drain()  # no sync left running from the previous variant
                rates[variant], bad = await post_for(target, body, clients=clients, seconds=seconds)
                refused += bad
                figures[variant].append(rates[variant])
            figures["ratio"].append(rates["bridge"] / rates["bare"])
    finally:
        routes.live = live
        await runner.cleanup()
        await bridge.live.drain()
    return {"rounds": rounds, "clients": clients, "seconds_per_variant": seconds, "non_202": refused,
            "bare_per_s": statistics.median(figures["bare"]), "bridge_per_s": statistics.median(figures["bridge"]),
            "intake_only_per_s": statistics.median(figures["intake-only"]),
            "intake_only_ratio": statistics.median(i / b for i, b in zip(figures["intake-only"], figures["bare"])),
            "ratio_median": statistics.median(figures["ratio"]), "ratios": [round(r, 3) for r in figures["ratio"]]}


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    topics = {spec.name for spec in TOPICS}
    with stack_for_run("bridge", topics, keep=arguments.keep) as stack, \
            running_emulator(messages=arguments.messages, users=arguments.users, faces=("microsoft", "google"),
                             ready_timeout_s=300) as emulator:
        users = emulator.control("/_emulator/users")["users"]
        bridge, url, stop, task = await start_bridge(stack, emulator)
        answers = AnswerTimes()
        assert bridge.webhooks is not None
        bridge.webhooks.metrics = answers
        try:
            connect_s = await connect_all(bridge, users)
            print(f"{len(users)} users connected, backfilled and live in {connect_s:.1f} s", flush=True)
            watcher = UpdateWatcher(stack.kafka, stack.kafka.topic(EMAIL_UPDATES))
            watcher.start()
            answers.seconds.clear()
            latency = await latency_phase(emulator, watcher, users, rate=arguments.rate, seconds=arguments.seconds)
            latency["webhook_answer_ms"] = distribution([s * 1000 for s in answers.seconds])
            watcher.stop()
            intake = await intake_phase(bridge, url, users[0], clients=arguments.clients, seconds=arguments.intake_s,
                                        rounds=arguments.intake_rounds)
        finally:
            stop.set()
            await task
    return {"users": len(users), "connect_s": round(connect_s, 1), "latency": latency, "intake": intake}


def report(figures: dict[str, Any], arguments: argparse.Namespace, machine: dict[str, Any]) -> None:
    latency, intake = figures["latency"], figures["intake"]
    checks = {
        "p50_ms": latency["latency_ms"]["p50"], "p99_ms": latency["latency_ms"]["p99"],
        "webhook_p99_ms": latency["webhook_answer_ms"]["p99"], "intake_ratio": intake["ratio_median"],
    }
    print(f"\n{load_line(machine)}")
    print(f"(a) change -> update event, {latency['rounds']} rounds at {arguments.rate}/s over {figures['users']} users "
          f"({latency['created_and_deleted_in_one_round']} new messages deleted in their own round, not timed; "
          f"{latency['missing']} never seen):")
    for name, values in (("change -> event", latency["latency_ms"]), ("webhook answer", latency["webhook_answer_ms"])):
        print(f"    {name:<16} p50 {values['p50'] or 0:8.1f} ms  p95 {values['p95'] or 0:8.1f} ms  "
              f"p99 {values['p99'] or 0:8.1f} ms  max {values['max'] or 0:8.1f} ms  (n={values['count']})")
    print(f"(b) intake: bridge {intake['bridge_per_s']:.0f}/s, bare 202 {intake['bare_per_s']:.0f}/s, "
          f"ratio {intake['ratio_median']:.2f} (rounds {intake['ratios']}), non-202 answers {intake['non_202']}")
    print(f"    the same handler with the sync requests dropped: {intake['intake_only_per_s']:.0f}/s, "
          f"ratio {intake['intake_only_ratio']:.2f} (what the syncs running meanwhile cost the intake)")
    for name, value in checks.items():
        goal = GOALS[name]
        met = value is not None and (value >= goal if name == "intake_ratio" else value <= goal)
        print(f"    {name:<15} {value if value is not None else float('nan'):8.2f}  goal "
              f"{'>=' if name == 'intake_ratio' else '<='} {goal:<6} {'PASS' if met else 'FAIL'}")
    figures["goals"] = {name: {"value": value, "goal": GOALS[name]} for name, value in checks.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5, help="messages per mailbox before the run")
    parser.add_argument("--rate", type=float, default=10.0, help="emulator rounds per second (a)")
    parser.add_argument("--seconds", type=float, default=40.0, help="duration of (a)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent webhook posters (b)")
    parser.add_argument("--intake-s", type=float, default=4.0, help="seconds per variant and round (b)")
    parser.add_argument("--intake-rounds", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the run's topics and subjects")
    arguments = parser.parse_args(argv)
    machine = machine_info()
    figures = asyncio.run(run(arguments))
    report(figures, arguments, machine)
    # The bridge runs in this process: its peak RSS is the benchmark process's (write_json adds it).
    path = write_json("bridge", {"parameters": vars(arguments), "machine": machine, **figures})
    print(f"figures written to {path}")


if __name__ == "__main__":
    sys.exit(main())
