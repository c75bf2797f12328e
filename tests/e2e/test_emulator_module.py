"""`python -m connectors.emulator` as a user runs it: both faces answer the real client libraries
configured from the settings it prints."""

from __future__ import annotations

import asyncio

import httpx

from connectors.emulator.google.state import refresh_token_for
from connectors.google.account import open_account, quota_pacer
from connectors.google.auth import user_credentials
from connectors.google.gmail_sync import full_sync
from connectors.google.settings import GoogleSettings
from connectors.microsoft.auth import AppCredentials
from connectors.microsoft.delta import messages_in_folder, read_round
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.settings import MicrosoftSettings
from tests.emulator_process import start_emulator


def test_emulator_module_serves_graph_and_gmail_to_the_real_clients(tmp_path):
    process, env, [mailbox] = start_emulator(tmp_path)
    try:
        microsoft = MicrosoftSettings.from_env({k: v for k, v in env.items() if k.startswith("OFFICESTREAM_MICROSOFT_")})

        async def crawl_inbox() -> list[dict]:
            client = GraphClient(microsoft, AppCredentials(microsoft))
            entries, delta_link, _ = await read_round(client, mailbox, messages_in_folder(mailbox, "inbox"))
            assert delta_link
            return entries

        inbox = asyncio.run(crawl_inbox())
        assert len(inbox) == 30 and all(entry["subject"] for entry in inbox)

        google = GoogleSettings.from_env({k: v for k, v in env.items() if k.startswith("OFFICESTREAM_GOOGLE_")})
        account = open_account(google, user_credentials(google, refresh_token_for(mailbox)), user=mailbox, pacer=quota_pacer(google))
        emails = [email for batch in full_sync(account.gmail) for email in batch.records]
        assert len(emails) == 30 and {e.provider.value for e in emails} == {"google"}
        users = httpx.get(env["OFFICESTREAM_GOOGLE_API_ENDPOINT"] + "/_emulator/users").json()["users"]
        assert users == [mailbox]
    finally:
        process.terminate()
        assert process.wait(10) == 0
