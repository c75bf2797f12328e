"""Tokens from the emulated Azure AD through the real msal: app-only, delegated with refresh,
and revoked grants surfacing as ReauthRequired."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from connectors.microsoft.auth import AppCredentials, DelegatedCredentials
from connectors.microsoft.exceptions import (
    AuthConfigurationError,
    GraphRequestError,
    ReauthRequired,
)
from connectors.microsoft.graph_client import GraphClient

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

pytest_plugins = ("tests.integration.microsoft.harness",)


async def test_app_only_token_is_acquired_once_and_cached_by_msal(emulator: Emulator) -> None:
    credentials = AppCredentials(emulator.settings())
    first = await credentials.access_token(emulator.user)
    second = await credentials.access_token(emulator.other_user)
    assert first == second
    assert (await emulator.stats())["grants"] == {"client_credentials": 1}


async def test_app_only_token_reads_any_mailbox(emulator: Emulator) -> None:
    settings = emulator.settings()
    async with GraphClient(settings, AppCredentials(settings)) as client:
        for user in (emulator.user, emulator.other_user):
            folders = await client.get_json(user, f"users/{user}/mailFolders")
            assert "Inbox" in {folder["displayName"] for folder in folders["value"]}


async def test_delegated_token_refreshes_with_the_rotated_refresh_token(emulator: Emulator) -> None:
    credentials = DelegatedCredentials(emulator.settings())
    credentials.add_refresh_token(emulator.user, await emulator.refresh_token(emulator.user))
    first = await credentials.access_token(emulator.user)
    assert await credentials.access_token(emulator.user) == first  # served from msal's cache
    refreshed = await credentials.access_token(emulator.user, force_refresh=True)
    assert refreshed != first
    assert (await emulator.stats())["grants"] == {"refresh_token": 2}


async def test_exported_cache_restores_a_session_without_the_original_refresh_token(emulator: Emulator) -> None:
    settings = emulator.settings()
    original = DelegatedCredentials(settings)
    original.add_refresh_token(emulator.user, await emulator.refresh_token(emulator.user))
    await original.access_token(emulator.user)
    exported = original.export_cache(emulator.user)
    assert exported is not None and original.export_cache(emulator.user) is None  # nothing new since
    restored = DelegatedCredentials(settings)
    restored.add_cache(emulator.user, exported)
    async with GraphClient(settings, restored) as client:
        body = await client.get_json(emulator.user, f"users/{emulator.user}/contacts/delta")
    assert body["value"]


async def test_delegated_token_cannot_read_another_mailbox(emulator: Emulator) -> None:
    settings = emulator.settings()
    credentials = DelegatedCredentials(settings)
    credentials.add_refresh_token(emulator.other_user, await emulator.refresh_token(emulator.user))
    async with GraphClient(settings, credentials) as client:
        with pytest.raises(GraphRequestError) as caught:
            await client.get_json(emulator.other_user, f"users/{emulator.other_user}/mailFolders")
    assert (caught.value.http_status, caught.value.code) == (403, "ErrorAccessDenied")


async def test_revoked_grant_raises_reauth_required_without_leaking_the_token(emulator: Emulator) -> None:
    refresh_token = await emulator.refresh_token(emulator.user)
    await emulator.post("/_emulator/microsoft/revoke", {"user": emulator.user})
    credentials = DelegatedCredentials(emulator.settings())
    credentials.add_refresh_token(emulator.user, refresh_token)
    with pytest.raises(ReauthRequired) as caught:
        await credentials.access_token(emulator.user)
    assert caught.value.reason == "invalid_grant"
    assert caught.value.detail == "AADSTS50173"
    assert refresh_token not in f"{caught.value} {caught.value.detail}"


async def test_revocation_mid_session_surfaces_from_the_graph_client(emulator: Emulator) -> None:
    settings = emulator.settings()
    credentials = DelegatedCredentials(settings)
    credentials.add_refresh_token(emulator.user, await emulator.refresh_token(emulator.user))
    async with GraphClient(settings, credentials) as client:
        await client.get_json(emulator.user, f"users/{emulator.user}/mailFolders")
        await emulator.post("/_emulator/microsoft/revoke", {"user": emulator.user})
        # Graph refuses the revoked access token (401); the forced refresh meets invalid_grant.
        with pytest.raises(ReauthRequired, match="invalid_grant"):
            await client.get_json(emulator.user, f"users/{emulator.user}/mailFolders")


async def test_unknown_mailbox_needs_connecting_first(emulator: Emulator) -> None:
    with pytest.raises(ReauthRequired, match="not_connected"):
        await DelegatedCredentials(emulator.settings()).access_token("nobody@contoso.example")


async def test_wrong_client_secret_is_a_configuration_error(emulator: Emulator) -> None:
    credentials = AppCredentials(emulator.settings(client_secret="wrong"))
    with pytest.raises(AuthConfigurationError, match="invalid_client"):
        await credentials.access_token(emulator.user)
