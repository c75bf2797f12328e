"""The provider emulator for the benchmarks: one mailbox of N messages, served by a child process
so the provider's rendering does not share the measured code's event loop (or its GIL).

Generating a large world is slow (the stdlib email package: about two minutes for 20,000
messages on a 2-core machine), so it is pickled in the temp dir and loaded by later runs in a
second; the cache key covers world.py's source, so a changed generator never serves a stale
world. Generation is reported apart and never timed with the work measured.

The Microsoft face is served over TLS (msal accepts only https authorities; the child writes a
throwaway certificate for the client to trust), the Google face over plain HTTP (as the Google
client libraries reach the emulator in the tests). The child prints one JSON line when it is
ready and stops when its stdin closes (the parent is done or gone).

    with running_emulator(messages=5000, faces=("microsoft",), ready_timeout_s=170) as emulator:
        emulator.microsoft_settings(max_page_size=100)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from connectors.emulator import world as world_module
from connectors.emulator.world import World

FACES = ("microsoft", "google")


def load_world(messages: int, *, users: int = 1, seed: int = 42) -> tuple[World, float, bool]:
    """The world, from the temp-dir cache when an earlier run made it: (world, seconds, cached)."""
    source = Path(world_module.__file__).read_bytes()
    key = hashlib.sha256(source + f"{messages}/{users}/{seed}".encode()).hexdigest()[:16]
    cached = Path(tempfile.gettempdir()) / "officestream-bench" / f"world-{users}x{messages}-{key}.pickle"
    started = time.perf_counter()
    if cached.exists():
        return pickle.loads(cached.read_bytes()), time.perf_counter() - started, True  # noqa: S301 - our own file
    world = World(seed=seed, users=users, emails_per_user=messages)
    elapsed = time.perf_counter() - started
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial")
    partial.write_bytes(pickle.dumps(world))
    partial.replace(cached)  # a run killed mid-write never leaves a truncated cache behind
    return world, elapsed, False


@dataclass(frozen=True)
class RunningEmulator:
    """What the child announced: its URLs, the mailbox, how long the world took."""

    user: str
    world_generation_s: float
    world_cached: bool
    https_url: str | None = None
    ca_file: str | None = None
    http_url: str | None = None

    def microsoft_settings(self, **overrides: Any):  # noqa: ANN201 - MicrosoftSettings, imported lazily
        """App-only credentials of the emulator's demo tenant, trusting its certificate."""
        from connectors.emulator.microsoft.state import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT
        from connectors.microsoft.settings import MicrosoftSettings

        assert self.https_url is not None, "the emulator was started without its Microsoft face"
        return MicrosoftSettings(
            tenant_id=DEMO_TENANT, client_id=DEMO_CLIENT_ID, client_secret=SecretStr(DEMO_CLIENT_SECRET),
            authority_url=self.https_url, graph_url=f"{self.https_url}/v1.0", validate_authority=False,
            ca_bundle=Path(self.ca_file or ""), **overrides)

    def google_settings(self, **overrides: Any):  # noqa: ANN201 - GoogleSettings, imported lazily
        """The emulator's OAuth client and endpoints (the user's refresh token: ``google_refresh_token``)."""
        from connectors.emulator.google.state import CLIENT_ID, CLIENT_SECRET
        from connectors.google.settings import GoogleSettings

        assert self.http_url is not None, "the emulator was started without its Google face"
        return GoogleSettings.from_env({}, api_endpoint=self.http_url, token_uri=f"{self.http_url}/token",
                                       client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **overrides)

    def google_refresh_token(self) -> SecretStr:
        from connectors.emulator.google.state import refresh_token_for

        return SecretStr(refresh_token_for(self.user))

    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST ``body`` to the emulator's control API (``/_emulator/...``) over plain HTTP, or
        GET ``path`` (a query string included) without one."""
        assert self.http_url is not None, "the control API is reached over the Google face's HTTP site"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.http_url}{path}", data=data, method="GET" if data is None else "POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback only
            return json.loads(answer.read() or b"{}")


@contextmanager
def running_emulator(*, messages: int, faces: Sequence[str], ready_timeout_s: float,
                     users: int = 1) -> Iterator[RunningEmulator]:
    """The emulator in a child process for the ``with`` block (``users`` mailboxes of ``messages``
    each); stopped at its end, also on errors."""
    unknown = set(faces) - set(FACES)
    if unknown or not faces:
        raise ValueError(f"faces must be some of {FACES}, got {list(faces)}")
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as tls_dir:
        child = subprocess.Popen(
            [sys.executable, __file__, "--messages", str(messages), "--faces", ",".join(faces), "--tls-dir", tls_dir,
             "--users", str(users)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            yield RunningEmulator(**_ready_line(child, ready_timeout_s))
        finally:
            _stop(child)


def _ready_line(child: subprocess.Popen[str], timeout_s: float) -> dict[str, Any]:
    assert child.stdout is not None
    os.set_blocking(child.stdout.fileno(), False)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line:
            return json.loads(line)
        if child.poll() is not None:
            raise SystemExit(f"the emulator exited with {child.returncode} before it was ready")
        time.sleep(0.1)
    raise SystemExit(f"the emulator was not ready within {timeout_s:.0f}s")


def _stop(child: subprocess.Popen[str]) -> None:
    # Imported here: this file is also the child's script, where ``harness`` is not importable.
    from harness.report import note_child_peak_rss

    note_child_peak_rss("emulator child", child.pid)
    try:
        if child.stdin is not None:
            child.stdin.close()  # the child's signal to clean up and exit
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)


# -- the child ----------------------------------------------------------------------------


async def _serve(messages: int, faces: list[str], tls_dir: Path, users: int = 1) -> None:
    from aiohttp import web

    from connectors.emulator.google import google_face
    from connectors.emulator.microsoft import microsoft_face, self_signed_tls
    from connectors.emulator.server import create_app

    world, generated_s, cached = load_world(messages, users=users)
    app = create_app(world, faces=[{"microsoft": microsoft_face, "google": google_face}[face] for face in faces])
    announced: dict[str, Any] = {"user": next(iter(world.mailboxes)), "world_generation_s": round(generated_s, 2),
                                 "world_cached": cached}
    runner = web.AppRunner(app)
    await runner.setup()
    if "microsoft" in faces:  # msal wants https
        context, ca_file = self_signed_tls(tls_dir)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        announced["https_url"] = f"https://127.0.0.1:{runner.addresses[-1][1]}"
        announced["ca_file"] = str(ca_file)
    if "google" in faces:  # the Google libraries reach the emulator over plain HTTP
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        announced["http_url"] = f"http://127.0.0.1:{runner.addresses[-1][1]}"
    print(json.dumps(announced), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # parent gone or done
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the benchmarks' emulator child (started by running_emulator)")
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--faces", required=True)
    parser.add_argument("--tls-dir", type=Path, required=True)
    parser.add_argument("--users", type=int, default=1)
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.messages, arguments.faces.split(","), arguments.tls_dir, arguments.users))
