"""The live page in a real (headless) browser, against an in-process notifier: live notifications
appear in the feed, a refused reconnect (429) is retried after a back-off that resumes after
the last notification seen, and the meetings ahead follow batches, changes and cancellations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import aiohttp
from playwright.async_api import Page

from processors.notifier.notifications import notification_for
from schemas.models import CalendarBatchEvent, EventKind, EventTime, MeetingUpdateKind
from tests import factories
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


async def test_meetings_ahead_come_from_batches_and_changes_and_leave_when_cancelled_deleted_or_over(
    serve: Serve, tmp_path: Path
) -> None:
    served = await serve()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    hours = lambda n: EventTime(at=now + dt.timedelta(hours=n), time_zone="UTC")  # noqa: E731
    single = {"kind": EventKind.single, "recurrence": []}
    batch = CalendarBatchEvent(
        metadata=factories.metadata("CalendarBatchEvent", user_id="ada", occurred_at=now - dt.timedelta(hours=5), now=now),
        batch_index=0, calendar_events=[
            factories.calendar_event("planning", title="Planning", start=hours(24), end=hours(25), **single),
            factories.calendar_event("over", title="Already over", start=hours(-3), end=hours(-2), **single),
            factories.calendar_event("far", title="In ten days", start=hours(240), end=hours(241), **single),
            factories.calendar_event("retro", title="Retro", start=hours(72), end=hours(73), **single),
        ],
    )
    created = factories.meeting_update(user_id="ada")
    standup = created.context.model_copy(update={  # type: ignore[union-attr]
        "event_id": "standup", "title": "Standup", "start": hours(48), "end": hours(49), "kind": EventKind.occurrence,
    })
    created = created.model_copy(update={"context": standup})
    cancelled = created.model_copy(update={
        "kind": MeetingUpdateKind.cancelled, "context": standup.model_copy(update={"is_cancelled": True}),
        "metadata": factories.metadata("MeetingUpdateEvent", user_id="ada", occurred_at=now, now=now),
    })
    deleted = factories.meeting_update(user_id="ada", deleted=True)
    deleted = deleted.model_copy(update={
        "tombstone": deleted.tombstone.model_copy(update={"event_id": "retro"}),  # type: ignore[union-attr]
        "metadata": factories.metadata("MeetingUpdateEvent", user_id="ada", occurred_at=now + dt.timedelta(seconds=1), now=now),
    })
    token = served.tokens.issue("ada")
    async with open_page(served.url(f"/#token={token}"), tmp_path) as page:
        await wait_for_state(page, "open")
        for event in (batch, created):
            served.hub.publish(notification_for(event))  # type: ignore[arg-type]
        await page.locator('#meetings li[data-id="standup"]').wait_for(timeout=WAIT_MS)
        before = await page.locator("#meetings .title").all_inner_texts()
        for event in (cancelled, deleted):
            served.hub.publish(notification_for(event))  # type: ignore[arg-type]
        await page.locator(feed_item(notification_for(deleted).id)).wait_for(timeout=WAIT_MS)  # type: ignore[union-attr]
        after = await page.locator("#meetings .title").all_inner_texts()
    assert before == ["Planning", "Standup", "Retro"]  # by start; the one over and the one beyond 7 days left out
    assert after == ["Planning"]
