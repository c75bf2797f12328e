"""Closing a sender ends everything of it at once: its librdkafka producer stops connecting to
the brokers (not whenever the garbage collector gets to it: a publisher closed after its cluster
went away kept reconnecting, and logging, for minutes), and a send waiting for room fails."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time

import pytest

from producers.delivery import KafkaSender
from producers.exceptions import PublishFailed, PublisherClosed, UndeliveredOnClose


class CountingListener:
    """A port that accepts connections, counts them and hangs up: what a client that keeps
    trying to reach a broker there does, counted."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


async def test_a_closed_sender_stops_connecting_at_once():
    listener = CountingListener()
    gc.disable()  # only its own release may end the producer, not a collection that happens to run
    try:
        sender = KafkaSender(
            {"bootstrap.servers": f"127.0.0.1:{listener.port}", "reconnect.backoff.ms": 10, "reconnect.backoff.max.ms": 50,
             "log_level": 0},
            max_pending_records=10, max_pending_bytes=1 << 20,
        )
        await sender.start()
        deadline = time.monotonic() + 10
        while listener.accepted < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert listener.accepted >= 3, "the producer never tried to connect"
        await sender.close(1)
        await asyncio.sleep(0.3)  # a connection attempt under way when it closed
        after_close = listener.accepted
        await asyncio.sleep(1.0)
        assert listener.accepted == after_close, f"{listener.accepted - after_close} connections after close"
    finally:
        gc.enable()
        listener.close()


async def test_a_send_waiting_for_room_when_the_sender_closes_fails_instead_of_waiting_forever():
    sender = KafkaSender({"bootstrap.servers": "127.0.0.1:1", "log_level": 0}, max_pending_records=1, max_pending_bytes=1 << 20)
    await sender.start()
    first = await sender.send("t", key=b"k", value=b"v")
    waiting = asyncio.create_task(sender.send("t", key=b"k", value=b"w"))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # no room: the broker never acknowledged the first
    with pytest.raises(UndeliveredOnClose):
        await sender.close(0.1)
    with pytest.raises(PublisherClosed):
        await asyncio.wait_for(waiting, 5)
    assert isinstance(first.exception(), PublishFailed)
