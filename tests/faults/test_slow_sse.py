"""A slow and a stalled SSE client beside fast ones on the real notifier worker, while e-mail
updates stream through Kafka (some delivered twice).

The fast clients (two tabs of the slow clients' own user, and two other users) receive every
notification of their user exactly once and on time. What happens to the slow ones: each
connection may have ``queue_size`` notifications waiting (a bounded buffer); one more and the
notifier drops the connection, closing its socket (a write blocked for ``write_timeout_s``
would too). The dropped client loses nothing: reconnecting with the ``Last-Event-ID`` of the
last frame it read, it gets exactly the rest from the replay buffer."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import time
from collections import Counter

import aiohttp
import pytest
from confluent_kafka import Producer
from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.notifier.tokens import StreamTokens
from schemas.models import ChangeType, EmailUpdateEvent
from schemas.serde import AvroEventSerde
from tests import factories
from tests.integration.bridge.harness import free_port
from tests.integration.notifier.serving import SseReader
from tests.integration.notifier.test_slow_clients import open_stalled_stream
from tests.workers import notifier_worker

pytestmark = [pytest.mark.integration, pytest.mark.faults]

SECRET = "faults-sse-secret-" + "x" * 32
SLOW_USER, OTHERS = "sse-user-0", ["sse-user-1", "sse-user-2"]
#: Notifications per user: the slow clients' user gets enough that a stalled connection's
#: buffers fill (a loopback connection's kernel buffers take about 2.9 MB before a write
#: blocks, measured with aiohttp here), the others fewer.
EVENTS = {SLOW_USER: 1200, OTHERS[0]: 150, OTHERS[1]: 150}
#: Frames of about 3.5 KB (a long thread id; a notification may hold 4 KiB).
THREAD_ID_CHARS = 3000
#: Every this-many-th event is produced twice (a redelivery): the notifier must send it once.
REDELIVER_EVERY = 15
QUEUE_SIZE = 16
#: The slowest a frame may reach a fast client after its event happened (a loaded 2-core machine).
ON_TIME_S = 10.0


def email_event(user: str, n: int) -> EmailUpdateEvent:
    now = dt.datetime.now(dt.UTC)
    email = factories.email(f"{user}-e{n}", subject=f"Mail {n}", thread_id=f"thread-{n}-".ljust(THREAD_ID_CHARS, "t"))
    return EmailUpdateEvent(metadata=factories.metadata("EmailUpdateEvent", user_id=user, occurred_at=now, now=now),
                            change_type=ChangeType.created, email_id=email.id, email=email)


async def stream_steadily(kafka: KafkaSettings, serde: AvroEventSerde, users: list[str]) -> None:
    """``EVENTS[user]`` e-mails per user, a few each 10 ms, stamped as they are sent."""
    topic = kafka.topic("email-updates")
    producer = Producer(kafka.producer_config())
    for n in range(max(EVENTS.values())):
        for user in [u for u in users if n < EVENTS[u]]:
            value = serde.encode(topic, email_event(user, n))
            for _ in range(2 if n % REDELIVER_EVERY == 0 else 1):
                producer.produce(topic, key=user.encode(), value=value)
        producer.poll(0)
        await asyncio.sleep(0.01)
    assert await asyncio.to_thread(producer.flush, 30) == 0


class FastClient:
    """An EventSource that keeps up: every notification it reads, with its delay."""

    def __init__(self, name: str, response: aiohttp.ClientResponse) -> None:
        self.name, self.stream = name, SseReader(response)
        self.ids: Counter[str] = Counter()
        self.emails: Counter[str] = Counter()
        self.delays: list[float] = []

    async def read_until(self, email_ids: set[str], *, timeout_s: float = 120) -> None:
        async with asyncio.timeout(timeout_s):
            while not email_ids <= set(self.emails):
                body = await self.stream.notification(timeout=timeout_s)
                self.ids[body["id"]] += 1
                self.emails[body["payload"]["email_id"]] += 1
                self.delays.append(time.time() - dt.datetime.fromisoformat(body["created_at"]).timestamp())


class SlowClient:
    """A client that reads ``chunk`` bytes per ``pause_s`` (or nothing, ``stalled``), until the
    server closes its connection; what it read is kept for resuming."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, chunk: int, pause_s: float):
        self.reader, self.writer, self.chunk, self.pause_s = reader, writer, chunk, pause_s
        self.data = b""
        self.closed_by_server = asyncio.Event()

    async def run(self) -> None:
        try:
            while self.chunk == 0 or await self._read_some():
                await asyncio.sleep(self.pause_s)
        except ConnectionResetError:
            pass
        self.closed_by_server.set()

    async def _read_some(self) -> bool:
        piece = await self.reader.read(self.chunk)
        self.data += piece
        return bool(piece)

    async def drain_after_stall(self) -> None:
        """Once the server dropped it, the client reads at full speed: what was already in the
        sockets' buffers, then the end of the stream (``run`` returns)."""
        self.chunk, self.pause_s = 65536, 0
        await self.run()

    def notifications(self) -> list[dict]:
        """The notifications in the complete SSE frames read (the last frame may be cut short)."""
        frames = dechunked(self.data).decode(errors="replace").split("\n\n")[:-1]
        return [json.loads("\n".join(line[len("data: "):] for line in frame.split("\n") if line.startswith("data: ")))
                for frame in frames if "event: notification" in frame.split("\n")]

    def last_complete_id(self) -> str | None:
        read = self.notifications()
        return read[-1]["id"] if read else None

    def emails_read(self) -> Counter[str]:
        return Counter(n["payload"]["email_id"] for n in self.notifications())


async def warm_up(kafka: KafkaSettings, serde: AvroEventSerde, http: aiohttp.ClientSession, base: str,
                  tokens: StreamTokens) -> None:
    """The notifier reads from the end of the topics (``latest``): one event seen on a stream of
    a user of its own shows its partitions are assigned before the counted ones are sent."""
    user, topic = "sse-warm-up", kafka.topic("email-updates")
    async with http.get(f"{base}/events", params={"token": tokens.issue(user)}) as response:
        stream = SseReader(response)
        await stream.frame()
        producer = Producer(kafka.producer_config())
        while True:
            producer.produce(topic, key=user.encode(), value=serde.encode(topic, email_event(user, 0)))
            await asyncio.to_thread(producer.flush, 10)
            try:
                await stream.notification(timeout=2)
                return
            except TimeoutError:
                continue  # not assigned yet: that one was skipped


async def wait_healthz(http: aiohttp.ClientSession, base: str, done, what: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        async with http.get(f"{base}/healthz") as response:
            health = await response.json()
        if done(health):
            return health
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {health}"
        await asyncio.sleep(0.1)


async def resume(http: aiohttp.ClientSession, base: str, token: str, slow: SlowClient) -> Counter[str]:
    """The dropped client reconnecting as EventSource does, with the last id it read: the rest of
    its user's notifications, exactly (a ``resync`` would mean it could not resume exactly)."""
    last = slow.last_complete_id()
    assert last is not None, "the slow client read no notification before it was dropped"
    missing = expected_emails(SLOW_USER) - set(slow.emails_read())
    read: Counter[str] = Counter()
    async with http.get(f"{base}/events", params={"token": token}, headers={"Last-Event-ID": last}) as response:
        stream = SseReader(response)
        async with asyncio.timeout(60):
            while not missing <= set(read):
                frame = await stream.frame(timeout=60)
                assert frame.event != "resync", "the slow client could not resume exactly"
                if frame.event == "notification":
                    read[frame.json()["payload"]["email_id"]] += 1
    return read


def dechunked(response: bytes) -> bytes:
    """The body of a (possibly cut short) HTTP/1.1 response, chunked transfer coding undone."""
    head, _, body = response.partition(b"\r\n\r\n")
    if b"chunked" not in head.lower():
        return body
    out = b""
    while True:
        size_line, found, rest = body.partition(b"\r\n")
        if not found or not (size := int(size_line.split(b";")[0], 16)):
            return out
        out += rest[:size]
        body = rest[size + 2:]


def expected_emails(user: str) -> set[str]:
    return {f"{user}-e{n}" for n in range(EVENTS[user])}


def report(sink: str, sent: int, received: Counter[str], wanted: set[str]) -> tuple[set[str], dict[str, int]]:
    lost, duplicates = wanted - set(received), {k: n for k, n in received.items() if n > 1}
    print(f"{sink}: sent {sent} / received {sum(received.values())} / lost {len(lost)} / "
          f"duplicate effects {len(duplicates)}")
    return lost, duplicates


async def open_fast_clients(http: aiohttp.ClientSession, base: str, tokens: StreamTokens) -> list[tuple[str, FastClient]]:
    """Two tabs of the slow clients' user and one stream of each other user, all subscribed."""
    fast = []
    for name, user in [("tab-1", SLOW_USER), ("tab-2", SLOW_USER), *[(u, u) for u in OTHERS]]:
        response = await http.get(f"{base}/events", params={"token": tokens.issue(user)})
        assert response.status == 200
        client = FastClient(name, response)
        assert (await client.stream.frame()).retry is not None  # sent once subscribed
        fast.append((user, client))
    return fast


def assert_every_frame_once_and_on_time(fast: list[tuple[str, FastClient]]) -> None:
    failures = []
    for user, client in fast:
        lost, duplicates = report(f"fast client {client.name} ({user})", EVENTS[user], client.emails,
                                  expected_emails(user))
        doubled_ids = {i: n for i, n in client.ids.items() if n > 1}
        if lost or duplicates or doubled_ids:
            failures.append((client.name, sorted(lost)[:3], duplicates, doubled_ids))
    assert not failures, failures
    delays = sorted(d for _, c in fast for d in c.delays)
    p99 = delays[int(0.99 * (len(delays) - 1))]
    print(f"fast clients: event-to-frame delay p50 {statistics.median(delays) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms")
    assert delays[-1] < ON_TIME_S, "a fast client was held up"


async def test_a_slow_and_a_stalled_client_are_dropped_while_the_fast_ones_get_every_frame_once_and_on_time(
        stack, serde, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    port = free_port()
    worker = notifier_worker(
        stack, topic_prefix, tmp_path, port=port, secret=SECRET, instance_id="faults-sse",
        OFFICESTREAM_NOTIFIER_QUEUE_SIZE=str(QUEUE_SIZE), OFFICESTREAM_NOTIFIER_WRITE_TIMEOUT_S="5",
        OFFICESTREAM_NOTIFIER_BUFFER_SIZE=str(2 * max(EVENTS.values())),
    ).start()
    tokens = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=10))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=60)) as http:
            fast = await open_fast_clients(http, base, tokens)
            await warm_up(kafka, serde, http, base, tokens)
            stalled = SlowClient(*await open_stalled_stream(base, tokens.issue(SLOW_USER)), chunk=0, pause_s=0.5)
            slow = SlowClient(*await open_stalled_stream(base, tokens.issue(SLOW_USER)), chunk=512, pause_s=0.5)
            slow_task, stalled_task = asyncio.create_task(slow.run()), asyncio.create_task(stalled.run())
            await wait_healthz(http, base, lambda h: h["connections"] >= 6, "the slow clients subscribed")
            readers = [asyncio.create_task(c.read_until(expected_emails(u))) for u, c in fast]
            await stream_steadily(kafka, serde, [SLOW_USER, *OTHERS])
            await asyncio.gather(*readers)
            health = await wait_healthz(http, base, lambda h: h["dropped_slow_connections"] >= 2,
                                        "the slow and the stalled client dropped")
            for task in (slow_task, stalled_task):
                task.cancel()
            async with asyncio.timeout(30):  # what the kernel held for them, then the end of the stream
                await asyncio.gather(slow.drain_after_stall(), stalled.drain_after_stall())
            health = await wait_healthz(http, base, lambda h: h["connections"] == len(fast),
                                        "the dropped connections released, the fast ones still open")
            resumed = await resume(http, base, tokens.issue(SLOW_USER), slow)
    finally:
        worker.stop()

    print(f"notifier: {health}")
    # Both at their bounded queue (a write timeout ends a stream without this line).
    assert worker.log_text().count("notifier dropped slow connection") == 2
    assert_every_frame_once_and_on_time(fast)
    before = slow.emails_read()
    lost, duplicates = report("slow client, dropped then resumed", EVENTS[SLOW_USER], before + resumed,
                              expected_emails(SLOW_USER))
    assert sum(before.values()) < EVENTS[SLOW_USER], "the slow client kept up: it was never slow"
    assert not lost and not duplicates
    assert stalled.emails_read().total() < EVENTS[SLOW_USER]

