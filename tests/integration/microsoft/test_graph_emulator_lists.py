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


async def test_asking_for_a_next_link_again_answers_the_same_page():
    """As Graph does: a page whose answer was lost (or a checkpointed link after a crash) is
    asked for again and must not skip anything."""
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
            first = (await http.get(f"{url}/v1.0/users/{mailbox}/mailFolders/inbox/messages/delta", headers=headers)).json()
            link = first["@odata.nextLink"]
            once = (await http.get(link, headers=headers)).json()
            again = (await http.get(link, headers=headers)).json()
        assert [m["id"] for m in once["value"]] == [m["id"] for m in again["value"]] and once["value"]
        assert once["@odata.nextLink"] == again["@odata.nextLink"] != link
    finally:
        await runner.cleanup()
