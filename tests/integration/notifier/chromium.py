"""Headless Debian chromium for the browser test, driven over the DevTools protocol (no npm, no downloads)."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CHROMIUM_APT_PACKAGE = "chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",  # running as root in a container: the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def chromium_path() -> str:
    """The chromium binary; the test fails (not skips) without it: the browser test is part of the suite."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(f"chromium is not installed: apt-get install -y {CHROMIUM_APT_PACKAGE}", pytrace=False)
    return path


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process, log: Path, timeout_s: float = 30.0) -> int:
    """Chromium writes the port it chose for ``--remote-debugging-port=0`` to ``DevToolsActivePort``."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while not (marker.exists() and marker.read_text().strip()):
        if process.returncode is not None or time.monotonic() > deadline:
            raise AssertionError(f"chromium did not open DevTools (exit {process.returncode}):\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.05)
    return int(marker.read_text().splitlines()[0])


class Page:
    """One page target's DevTools session: just enough of the protocol to evaluate expressions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        await self._ws.send_str(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = await self._ws.receive_json(timeout=30)
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise AssertionError(f"DevTools {method} failed: {reply['error']}")
                return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        """The value of a JS expression in the page; a promise is awaited in the page first."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


@asynccontextmanager
async def open_page(url: str, workdir: Path) -> AsyncIterator[Page]:
    """Start headless chromium on ``url`` and attach to that page; the browser is stopped on exit."""
    profile, log = workdir / "profile", workdir / "chromium.log"
    profile.mkdir()
    with log.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            chromium_path(), *FLAGS, f"--user-data-dir={profile}", url,
            stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
        )
    try:
        port = await _devtools_port(profile, process, log)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            page = next((t for t in targets if t.get("type") == "page" and t.get("url", "").startswith(url.split("#")[0])), None)
            assert page is not None, f"no page target for {url} among {[t.get('url') for t in targets]}"
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield Page(ws)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
