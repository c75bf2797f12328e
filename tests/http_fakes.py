"""Small HTTP servers in a thread, for tests that run real workers against a dependency that
misbehaves: a registry that refuses credentials, a gateway whose backend is gone, a content
endpoint failing for one document. The test's own thread stays free to wait for the worker."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

#: (status, headers, body) for a (method, path, body) request.
Answer = tuple[int, dict[str, str], bytes]
Answering = Callable[[str, str, bytes], Answer]

BAD_GATEWAY: Answer = (502, {"Content-Type": "text/html"}, b"<html><body><h1>502 Bad Gateway</h1></body></html>")


@contextmanager
def http_server(answer: Answering) -> Iterator[str]:
    """Serve ``answer`` on a free loopback port; yields the server's base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = answer(self.command, self.path, self.rfile.read(length) if length else b"")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass  # keep the test output for the test

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="http-fake", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def gateway_to(upstream_url: str) -> Answering:
    """A reverse proxy to ``upstream_url``'s origin that answers 502 with an HTML page while the
    upstream does not answer, as a load balancer in front of a stopped service does."""
    parts = urlsplit(upstream_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    client = httpx.Client(timeout=5)

    def answer(method: str, path: str, body: bytes) -> Answer:
        try:
            response = client.request(method, origin + path, content=body or None, headers={"Content-Type": "application/json"})
        except httpx.TransportError:
            return BAD_GATEWAY
        return response.status_code, {"Content-Type": response.headers.get("content-type", "application/json")}, response.content

    return answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
