"""Token refresh, invalid_grant and domain-wide delegation through the real google-auth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.emulator.google import refresh_token_for
from connectors.google import ReauthRequired, delegated_credentials, open_account, quota_pacer, user_credentials
from tests.integration.google.fixtures import RecordingSleep, RunningEmulator, account_for, emulator, pristine_world, sleep

__all__ = ["emulator", "pristine_world", "sleep"]  # fixtures


def test_first_call_refreshes_the_access_token_at_the_configured_token_uri(emulator: RunningEmulator,
                                                                          sleep: RecordingSleep) -> None:
    settings = emulator.settings()
    credentials = user_credentials(settings, refresh_token_for(emulator.user))
    account = open_account(settings, credentials, user=emulator.user, pacer=quota_pacer(settings), sleep=sleep)
    assert credentials.token is None
    assert account.gmail.profile()["emailAddress"] == emulator.user
    assert credentials.token is not None and credentials.valid


def test_a_rejected_access_token_is_refreshed_and_the_call_repeated(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    settings = emulator.settings()
    credentials = user_credentials(settings, refresh_token_for(emulator.user))
    account = open_account(settings, credentials, user=emulator.user, pacer=quota_pacer(settings), sleep=sleep)
    account.gmail.profile()
    first = credentials.token
    emulator.control("/_emulator/google/expire-access", {"user": emulator.user})
    assert account.people.list_connections().items  # 401 -> refresh -> retried
    assert credentials.token != first


def test_revoked_grant_raises_reauth_required_without_the_token(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    emulator.control("/_emulator/google/revoke", {"user": emulator.user})
    with pytest.raises(ReauthRequired) as raised:
        account.gmail.profile()
    assert raised.value.reason == "invalid_grant"
    assert raised.value.retriable is False
    assert refresh_token_for(emulator.user) not in str(raised.value)
    assert emulator.user not in str(raised.value)  # the user appears hashed only


def test_revocation_also_stops_a_batch_mid_session(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    ids = account.gmail.list_message_ids().ids[:5]
    emulator.control("/_emulator/google/revoke", {"user": emulator.user})
    with pytest.raises(ReauthRequired):
        account.gmail.get_messages(ids)


def test_service_account_acts_for_the_delegated_subject(emulator: RunningEmulator, sleep: RecordingSleep,
                                                        tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps({
        "type": "service_account", "project_id": "officestream-test", "private_key_id": "k1",
        "private_key": pem.decode(), "client_email": "sync@officestream-test.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": "https://oauth2.googleapis.com/token",
    }))
    other_user = sorted(emulator.world.mailboxes)[1]
    settings = emulator.settings(client_id=None, client_secret=None, service_account_file=str(key_file))
    credentials = delegated_credentials(settings, subject=other_user)
    account = open_account(settings, credentials, user=other_user, pacer=quota_pacer(settings), sleep=sleep)
    assert account.gmail.profile()["emailAddress"] == other_user
