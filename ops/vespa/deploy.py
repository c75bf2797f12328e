"""Deploying the application package to a running Vespa through its config server's deploy API
(``POST /application/v2/tenant/default/prepareandactivate`` with the package as a zip): what
docker-compose's one-shot ``vespa-deploy`` service runs, so the loader finds its schemas.

Deploying the same package again is harmless (Vespa activates an identical session), so the
one-shot may run on every ``docker compose up``.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from ops.vespa.exceptions import DeployFailed

DEPLOY_PATH = "/application/v2/tenant/default/prepareandactivate"
HEALTH_PATH = "/state/v1/health"
POLL_S = 2.0


def package_zip(application: Path) -> bytes:
    """The package folder as a zip, paths relative to it (``services.xml`` at the root)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in application.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(application).as_posix())
    return buffer.getvalue()


def deploy(client: httpx.Client, config_server: str, application: Path, *, wait_s: float,
           sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> str:
    """Wait up to ``wait_s`` for the config server, deploy, return Vespa's message."""
    base = config_server.rstrip("/")
    _await_up(client, f"{base}{HEALTH_PATH}", wait_s, sleep, clock)
    try:
        answer = client.post(f"{base}{DEPLOY_PATH}", content=package_zip(application),
                             headers={"Content-Type": "application/zip"})
    except httpx.HTTPError as exc:
        raise DeployFailed(f"deploy to {base}: {type(exc).__name__}: {exc}") from exc
    if answer.status_code != 200:
        raise DeployFailed(f"Vespa refused the package (HTTP {answer.status_code}): {_message(answer)}")
    return _message(answer)


def _await_up(client: httpx.Client, url: str, wait_s: float, sleep: Callable[[float], None],
              clock: Callable[[], float]) -> None:
    deadline = clock() + wait_s
    while True:
        try:
            answer = client.get(url)
            if answer.status_code == 200 and answer.json().get("status", {}).get("code") == "up":
                return
            why = f"HTTP {answer.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            why = f"{type(exc).__name__}: {exc}"
        if clock() > deadline:
            raise DeployFailed(f"the config server at {url} is not up after {wait_s:.0f}s ({why})")
        sleep(POLL_S)


def _message(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("message", answer.text))
    except ValueError:
        return answer.text.strip()
