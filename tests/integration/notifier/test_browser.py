"""The live page in a real (headless) browser, against an in-process notifier: live notifications
appear in the feed, and a refused reconnect (429) is retried after a back-off that resumes
after the last notification seen."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
from playwright.async_api import Page

from tests.integration.notifier.chromium import open_page
from tests.integration.notifier.serving import Serve, eventually, http, note, serve  # noqa: F401

WAIT_MS = 30_000


async def wait_for_state(page: Page, state: str) -> None:
    await page.locator(f"#status[data-state={json.dumps(state)}]").wait_for(timeout=WAIT_MS)


def feed_item(notification_id: str) -> str:
    return f'#notifications li[data-id="{notification_id}"]'


async def test_the_page_shows_a_published_notification_live(serve: Serve, tmp_path: Path) -> None:
    served = await serve()
    token = served.tokens.issue("ada")
    subject = "Parcel 1Z999AA10123456784 <b>out for delivery</b>"
    errors: list[str] = []
    async with open_page(served.url(f"/#token={token}"), tmp_path, errors=errors) as page:
        await eventually(lambda: served.hub.connections("ada") == 1, timeout_s=20, what="the page's EventSource to subscribe")
        served.hub.publish(note("bob", 1, subject="not for ada"))
        mine = note("ada", 2, subject=subject)
        served.hub.publish(mine)
        shown = page.locator(feed_item(mine.id))
        await shown.wait_for(timeout=WAIT_MS)
        summary = await shown.locator(".summary").text_content()
        headline = await shown.locator(".headline").text_content()
        status = await page.evaluate("document.getElementById('status').dataset.state")
        items = await page.locator("#notifications li").count()
        address = page.url
    assert errors == []  # no script error, no Content-Security-Policy violation
    assert summary == subject  # as text: the markup in the subject was not interpreted
    assert headline == "New email"
    assert (status, items) == ("open", 1)
    assert token not in address  # the page took the token out of the address bar


async def test_a_refused_reconnect_backs_off_then_resumes_after_the_last_notification_seen(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path  # noqa: F811
) -> None:
    # One connection per user: while the test holds it, the page's reconnect is refused (429),
    # which EventSource never retries by itself.
    served = await serve(max_connections_per_user=1, client_retry_ms=1500)
    token = served.tokens.issue("ada")
    first, missed = note("ada", 1, subject="before the drop"), note("ada", 2, subject="while refused")
    async with open_page(served.url(f"/#token={token}"), tmp_path) as page:
        await wait_for_state(page, "open")
        served.hub.publish(first)
        await page.locator(feed_item(first.id)).wait_for(timeout=WAIT_MS)
        served.hub.close_all()  # the stream ends: EventSource reconnects after its retry delay
        held = await http.get(served.url("/events"), params={"token": token})
        assert held.status == 200
        await wait_for_state(page, "waiting")
        waiting_text = await page.locator("#status").text_content()
        served.hub.publish(missed)
        held.close()
        await page.locator(feed_item(missed.id)).wait_for(timeout=WAIT_MS)
        await wait_for_state(page, "open")
        shown = await page.locator("#notifications li").evaluate_all("items => items.map(i => i.dataset.id)")
    assert served.hub.refused_user_limit >= 1
    assert "retrying in" in (waiting_text or "")
    assert shown == [missed.id, first.id]  # newest first, nothing shown twice
