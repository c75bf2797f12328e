"""A client that stops reading is dropped; a fast client of the same user keeps receiving."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from tests.integration.notifier.serving import OpenStream, Serve, http, note, serve, streams  # noqa: F401

PAYLOAD_CHARS = 16_000


async def open_stalled_stream(base_url: str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """An SSE request on a socket with a tiny receive buffer, then never read: the slowest client."""
    parts = urlsplit(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    writer.write(f"GET /events?token={token} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def test_a_stalled_client_is_dropped_while_a_fast_one_keeps_receiving(serve: Serve, streams: OpenStream) -> None:
    served = await serve(queue_size=4, write_timeout_s=30)
    token = served.tokens.issue("ada")
    fast = await streams(served.url(f"/events?token={token}"))
    stalled_reader, stalled_writer = await open_stalled_stream(served.base_url, token)
    n = 0
    while served.hub.dropped == 0:
        # Each is awaited on the fast stream, so the fast client is never behind by more than one.
        assert n < 2000, "the stalled client was never dropped"
        if served.hub.connections("ada") < 2:  # the stalled request is not subscribed yet
            await asyncio.sleep(0.01)
            continue
        notification = note("ada", n, filler="x" * PAYLOAD_CHARS)
        served.hub.publish(notification)
        assert (await fast.notification())["id"] == notification.id
        n += 1
    assert served.hub.connections("ada") == 1
    after_drop = note("ada", n + 1)
    served.hub.publish(after_drop)
    assert (await fast.notification())["id"] == after_drop.id
    # The dropped client's socket is closed by the server: reading it ends.
    async with asyncio.timeout(10):
        try:
            while await stalled_reader.read(65536):
                pass
        except ConnectionResetError:
            pass
    stalled_writer.close()
