"""The server around the streams: health, the page, tokens kept out of access logs, prompt shutdown."""

from __future__ import annotations

import asyncio
import logging
import uuid

import aiohttp
import pytest

from processors.notifier.announced import AnnouncedVersions
from processors.notifier.assignment import AssignmentWatch
from schemas.models import ChangeType
from tests import factories
from tests.integration.notifier.serving import OpenStream, Serve, http, note, serve, streams  # noqa: F401


async def test_healthz_reports_connections_and_drops(serve: Serve, http: aiohttp.ClientSession, streams: OpenStream) -> None:
    served = await serve()
    await streams(served.url(f"/events?token={served.tokens.issue('ada')}"))
    served.hub.publish(note("ada", 1))
    async with http.get(served.url("/healthz")) as response:
        body = await response.json()
    assert response.status == 200
    assert (body["status"], body["connections"], body["published"], body["dropped_slow_connections"]) == ("ok", 1, 1, 0)


async def test_healthz_counts_the_raw_changes_skipped_as_told_already(serve: Serve, http: aiohttp.ClientSession) -> None:
    announced = AnnouncedVersions(100)
    served = await serve(announced=announced)
    deleted = factories.email_update(ChangeType.deleted, user_id="ada")
    again = deleted.model_copy(update={"metadata": deleted.metadata.model_copy(update={"event_id": uuid.uuid4()})})
    assert (announced.is_news(deleted), announced.is_news(again)) == (True, False)
    async with http.get(served.url("/healthz")) as response:
        assert (await response.json())["stale_changes_skipped"] == 1


async def test_healthz_answers_503_while_the_instance_reads_only_some_partitions(serve: Serve, http: aiohttp.ClientSession) -> None:
    watch = AssignmentWatch(instance_id="web-1", group="client-sse.web-1")
    served = await serve(assignment=watch)
    async with http.get(served.url("/healthz")) as response:  # not assigned yet: nothing to say
        assert (response.status, (await response.json())["partitions"]) == (200, None)
    watch.update([("email-updates", p) for p in range(3)], {"email-updates": 6})
    async with http.get(served.url("/healthz")) as response:
        body = await response.json()
    assert (response.status, body["status"]) == (503, "incomplete_assignment")
    assert body["partitions"] == {"assigned": 3, "expected": 6, "complete": False,
                                  "missing": ["email-updates[3]", "email-updates[4]", "email-updates[5]"]}
    watch.update([("email-updates", p) for p in range(6)], {"email-updates": 6})  # the other member left
    async with http.get(served.url("/healthz")) as response:
        assert (response.status, (await response.json())["status"]) == (200, "ok")


async def test_the_page_and_its_script_are_served_with_a_strict_policy(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    async with http.get(served.url("/")) as page, http.get(served.url("/notifier.js")) as script:
        html, js = await page.text(), await script.text()
        assert page.content_type == "text/html" and script.content_type == "application/javascript"
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
    assert '<script src="/notifier.js">' in html and '<link rel="stylesheet" href="/notifier.css">' in html
    assert "new EventSource('/events?token='" in js
    async with http.get(served.url("/notifier.css")) as styles:
        assert (styles.status, styles.content_type) == (200, "text/css")
        # Styles from the page's own files only: an injected style attribute is refused too.
        assert "style-src 'self';" in styles.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in styles.headers["Content-Security-Policy"]


async def test_the_access_log_never_shows_the_token(serve: Serve, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture) -> None:
    served = await serve()
    token = served.tokens.issue("ada")
    with caplog.at_level(logging.INFO, logger="processors.notifier.access"):
        async with http.get(served.url(f"/healthz?token={token}")) as response:
            assert response.status == 200
        async with http.get(served.url(f"/events?token={token}x")) as response:
            assert response.status == 401
    access_lines = [r.getMessage() for r in caplog.records if r.name == "processors.notifier.access"]
    assert len(access_lines) == 2
    assert all("token=***" in line and token not in line for line in access_lines)


async def test_stopping_the_server_ends_open_streams_promptly(serve: Serve, streams: OpenStream) -> None:
    served = await serve(heartbeat_s=30, shutdown_timeout_s=30)
    stream = await streams(served.url(f"/events?token={served.tokens.issue('ada')}"))
    async with asyncio.timeout(5):  # far below the 30 s graceful-shutdown budget
        await served.runner.cleanup()
    with pytest.raises((EOFError, aiohttp.ClientError)):
        await stream.frame(timeout=5)


async def test_only_allowed_origins_may_read_the_stream_cross_origin(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve(allowed_origins="https://app.example.com")
    url = served.url(f"/events?token={served.tokens.issue('ada')}")
    async with http.get(url, headers={"Origin": "https://app.example.com"}) as allowed:
        assert allowed.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
        assert "Access-Control-Allow-Credentials" not in allowed.headers
    async with http.get(url, headers={"Origin": "https://evil.example"}) as other:
        assert "Access-Control-Allow-Origin" not in other.headers


async def test_a_cross_origin_preflight_allows_the_authorization_header(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve(allowed_origins="https://app.example.com")
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    async with http.options(served.url("/events"), headers=preflight) as response:
        assert response.status == 200
        assert "AUTHORIZATION" in response.headers["Access-Control-Allow-Headers"].upper()
