"""The interactive consent flows of `officestream connect`, against the emulator's OAuth endpoints
(the real providers cannot be reached here): msal's device-code flow, and google-auth-oauthlib's
installed-app flow with a loopback redirect. Each leaves a grant the bridge then uses."""

from __future__ import annotations

import asyncio
import re
import threading
import webbrowser

import httpx

from connectors.emulator.google import refresh_token_for
from connectors.google.account import open_account, quota_pacer
from connectors.google.auth import user_credentials
from connectors.microsoft.graph_client import GraphClient
from producers.integrations.consent import google_installed_app_flow, microsoft_device_flow
from producers.integrations.state import Integration
from producers.integrations.tokens import IntegrationTokens, is_token_cache
from schemas.models import Provider
from tests.integration.bridge.harness import free_port
from tests.integration.google.fixtures import emulator as google_emulator  # noqa: F401
from tests.integration.google.fixtures import pristine_world as google_world  # noqa: F401
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: F401


async def test_the_device_code_flow_leaves_a_token_cache_the_bridge_refreshes(emulator):
    settings = emulator.settings()
    shown: list[str] = []
    flow = asyncio.create_task(asyncio.to_thread(microsoft_device_flow, settings, show=shown.append))
    while not shown:
        await asyncio.sleep(0.05)
    user_code = re.search(r"enter the code (\w+)", shown[0]).group(1)
    assert "/devicelogin" in shown[0]
    # The user signs in on another device, while msal polls (authorization_pending until then).
    await emulator.post("/_emulator/microsoft/device", {"user_code": user_code, "user": emulator.user})
    grant = await asyncio.wait_for(flow, 30)
    assert grant.account_email == emulator.user and is_token_cache(grant.secret.get_secret_value())

    tokens = IntegrationTokens(settings)
    tokens.register(Integration(user_id=emulator.user, provider=Provider.microsoft, refresh_token=grant.secret,
                                created_at=emulator.world.now, updated_at=emulator.world.now))
    await tokens.access_token(emulator.user, force_refresh=True)  # the confidential client refreshes it
    async with GraphClient(settings, tokens) as graph:
        folders = await graph.get_json(emulator.user, f"users/{emulator.user}/mailFolders")
    assert folders["value"]
    assert (await emulator.stats())["grants"]["refresh_token"] == 1


class FollowingBrowser(webbrowser.BaseBrowser):
    """A browser whose user consents at once: it follows the consent page's redirect to the
    flow's loopback server (in a thread: the flow starts serving after opening the browser)."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True).start()
        return True


async def test_the_installed_app_flow_leaves_a_refresh_token_for_the_user(google_emulator, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator's token endpoint is plain http
    webbrowser.register("officestream-consenting", None, FollowingBrowser("officestream-consenting"))
    settings = google_emulator.settings()
    grant = await asyncio.to_thread(google_installed_app_flow, settings, auth_uri=f"{google_emulator.url}/o/oauth2/auth",
                                    port=free_port(), login_hint=google_emulator.user, browser="officestream-consenting")
    assert grant.secret.get_secret_value() == refresh_token_for(google_emulator.user)
    assert set(grant.scopes) == set(settings.scopes)
    account = open_account(settings, user_credentials(settings, grant.secret), user=google_emulator.user,
                           pacer=quota_pacer(settings))
    profile = await asyncio.to_thread(account.gmail.profile)
    assert profile["emailAddress"] == google_emulator.user
