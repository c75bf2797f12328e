"""Plain (non-delta) Graph lists page with $skiptoken through to the end."""

from __future__ import annotations

import httpx

from connectors.emulator.microsoft import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, microsoft_face
from connectors.emulator.server import create_app, start
from connectors.emulator.world import World


async def test_following_next_links_of_a_plain_list_reaches_every_message_once():
    world = World(seed=3, users=1, emails_per_user=25)
    [mailbox] = world.mailboxes
    runner, url = await start(create_app(world, faces=[microsoft_face]))
    try:
        async with httpx.AsyncClient() as http:
            token = (await http.post(f"{url}/{DEMO_TENANT}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                "scope": "https://graph.microsoft.com/.default",
            })).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Prefer": "odata.maxpagesize=10"}
            link, seen = f"{url}/v1.0/users/{mailbox}/messages", []
            for _ in range(10):
                page = (await http.get(link, headers=headers)).json()
                seen += [m["id"] for m in page["value"]]
                link = page.get("@odata.nextLink")
                if link is None:
                    break
        assert link is None and len(seen) == 25 == len(set(seen))
    finally:
        await runner.cleanup()
