"""Headless Debian chromium for the live page's browser tests, driven by playwright.

Playwright is only the driver here: the browser is Debian's ``chromium`` package (installed by
ops/bootstrap.sh, or by ``chromium_path`` when a test finds it missing), never a browser
build of playwright's own (``playwright install`` downloads, which this project never does).
Every browser gets a fresh profile under the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

CHROMIUM_APT_PACKAGE = "chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",  # running as root in a container: the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)
VIEWPORT = {"width": 1280, "height": 900}


def _installed() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _apt_install() -> str:
    """Install Debian's chromium (root with apt-get only); the output's tail if it failed."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root, or no apt-get"
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", CHROMIUM_APT_PACKAGE]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            return (done.stdout + done.stderr)[-500:]
    return ""


def chromium_path() -> str:
    """The chromium binary, installed first when missing (as ops/bootstrap.sh does); the test is
    skipped, with the reason, only when it cannot be installed on this machine."""
    path = _installed()
    if path is None:
        failure = _apt_install()
        path = _installed()
        if path is None:
            pytest.skip(f"chromium is not installed and could not be (apt-get install -y {CHROMIUM_APT_PACKAGE}): {failure}")
    return path


@asynccontextmanager
async def open_page(url: str, workdir: Path, *, errors: list[str] | None = None) -> AsyncIterator[Page]:
    """Chromium on ``url`` with a fresh profile in ``workdir``; the browser is stopped on exit.

    ``errors`` collects the page's uncaught exceptions and console errors (a Content-Security-
    Policy violation is one), from before the page loads."""
    executable = chromium_path()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(workdir / "chromium-profile"), executable_path=executable, headless=True, args=list(FLAGS),
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            if errors is not None:
                page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
                page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            await page.goto(url)
            yield page
        finally:
            await context.close()
