"""Pub/Sub's OIDC push tokens verified with google-auth: signature by a published key, issuer,
audience, expiry, the push service account; Google's keys cached, refetched for a new key."""

from __future__ import annotations

import pytest

from connectors.google.exceptions import PushRejected
from producers.bridge.push_oidc import PushTokenVerifier
from tests.unit.producers.oidc_keys import AUDIENCE, SERVICE_ACCOUNT, FakeCerts, signed_token


async def test_a_google_signed_token_for_the_audience_is_accepted_and_the_keys_are_cached() -> None:
    certs = FakeCerts()
    verifier = PushTokenVerifier(AUDIENCE, service_account=SERVICE_ACCOUNT, request=certs)
    for _ in range(3):
        claims = await verifier.verify(f"Bearer {signed_token()}")
        assert claims["email"] == SERVICE_ACCOUNT
    assert certs.fetches == 1


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Basic abc", "Bearer not.a.jwt",
    f"Bearer {signed_token(audience='https://elsewhere.example')}",
    f"Bearer {signed_token(issuer='https://evil.example')}",
    f"Bearer {signed_token(expires_in_s=-3600)}",
    f"Bearer {signed_token(key='not-published')}",
    f"Bearer {signed_token(email='intruder@example.com')}",
])
async def test_tokens_google_did_not_sign_for_this_push_are_refused(authorization: str | None) -> None:
    verifier = PushTokenVerifier(AUDIENCE, service_account=SERVICE_ACCOUNT, request=FakeCerts())
    with pytest.raises(PushRejected) as refused:
        await verifier.verify(authorization)
    token = (authorization or "").partition(" ")[2]
    assert not token or token not in str(refused.value)


async def test_without_a_service_account_any_google_token_for_the_audience_passes() -> None:
    verifier = PushTokenVerifier(AUDIENCE, request=FakeCerts())
    assert (await verifier.verify(f"Bearer {signed_token(email='other@example.com')}"))["aud"] == AUDIENCE


async def test_a_token_signed_by_a_key_newer_than_the_cached_ones_refetches_them_once() -> None:
    certs = FakeCerts("google-1", "google-2")
    verifier = PushTokenVerifier(AUDIENCE, request=certs)
    await verifier.verify(f"Bearer {signed_token()}")
    await verifier.verify(f"Bearer {signed_token(key='google-2')}")  # in the cached set: no fetch
    assert certs.fetches == 1
    with pytest.raises(PushRejected, match="unknown signing key"):
        await verifier.verify(f"Bearer {signed_token(key='google-3')}")
    assert certs.fetches == 2  # one refetch, then refused
