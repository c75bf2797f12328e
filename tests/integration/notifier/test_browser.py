"""The live page in a real (headless) browser: a notification published to the hub appears in the DOM."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.notifier.chromium import Page, open_page
from tests.integration.notifier.serving import Serve, eventually, note, serve  # noqa: F401


async def test_the_page_shows_a_published_notification_live(serve: Serve, tmp_path: Path) -> None:
    served = await serve()
    token = served.tokens.issue("ada")
    subject = "Parcel 1Z999AA10123456784 <b>out for delivery</b>"
    async with open_page(served.url(f"/#token={token}"), tmp_path) as page:
        await eventually(lambda: served.hub.connections("ada") == 1, timeout_s=20, what="the page's EventSource to subscribe")
        served.hub.publish(note("bob", 1, subject="not for ada"))
        mine = note("ada", 2, subject=subject)
        served.hub.publish(mine)
        shown = await _until_shown(page, mine.id)
        status = await page.evaluate("document.getElementById('status').dataset.state")
        items = await page.evaluate("document.querySelectorAll('#notifications li').length")
        address = await page.evaluate("location.href")
    assert subject in shown  # as text: the markup in the subject was not interpreted
    assert (status, items) == ("open", 1)
    assert token not in address  # the page took the token out of the address bar


async def _until_shown(page: Page, notification_id: str, timeout_ms: int = 10_000) -> str:
    """The text of the list item for ``notification_id``: the page resolves once it renders it."""
    selector = json.dumps(f'li[data-id="{notification_id}"] .summary')
    text = await page.evaluate(
        f"""new Promise(resolve => {{
            const list = document.getElementById('notifications');
            const found = () => {{
                const item = document.querySelector({selector});
                if (item) {{ observer.disconnect(); resolve(item.textContent); }}
                return item;
            }};
            const observer = new MutationObserver(found);
            if (!found()) observer.observe(list, {{childList: true, subtree: true}});
            setTimeout(() => {{ observer.disconnect(); resolve(null); }}, {timeout_ms});
        }})"""
    )
    if text is None:
        raise AssertionError(f"notification {notification_id} did not appear in the page within {timeout_ms} ms")
    return str(text)
