"""Stream tokens: issued for one user, refused when forged, tampered, foreign or expired."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr

from processors.notifier.exceptions import ExpiredToken, InvalidToken
from processors.notifier.tokens import AUDIENCE, StreamTokens

SECRET = SecretStr("s" * 40)
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def tokens(clock: Clock | None = None, secret: SecretStr = SECRET) -> StreamTokens:
    return StreamTokens(secret, ttl=timedelta(minutes=10), clock=clock or Clock(T0))


def test_a_token_verifies_to_the_user_it_was_issued_for() -> None:
    verified = tokens().verify(tokens().issue("ada"))
    assert verified.user_id == "ada"
    assert verified.expires_at == T0 + timedelta(minutes=10)


def test_a_token_signed_with_another_secret_is_invalid() -> None:
    forged = tokens(secret=SecretStr("x" * 40)).issue("ada")
    with pytest.raises(InvalidToken):
        tokens().verify(forged)


def test_a_token_whose_claims_were_edited_is_invalid() -> None:
    header, claims, signature = tokens().issue("ada").split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    decoded["sub"] = "bob"
    edited = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        tokens().verify(f"{header}.{edited}.{signature}")


def test_an_unsigned_alg_none_token_is_invalid() -> None:
    unsigned = jwt.encode({"sub": "ada", "aud": AUDIENCE, "exp": int((T0 + timedelta(hours=1)).timestamp())}, None, algorithm="none")
    with pytest.raises(InvalidToken):
        tokens().verify(unsigned)


def test_a_token_for_another_audience_is_invalid() -> None:
    other = jwt.encode({"sub": "ada", "aud": "billing", "exp": int((T0 + timedelta(hours=1)).timestamp())}, SECRET.get_secret_value(), algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens().verify(other)


def test_a_token_without_expiry_is_invalid() -> None:
    endless = jwt.encode({"sub": "ada", "aud": AUDIENCE}, SECRET.get_secret_value(), algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens().verify(endless)


def test_garbage_is_invalid_and_the_error_does_not_quote_it() -> None:
    with pytest.raises(InvalidToken) as raised:
        tokens().verify("not-a-jwt-secretish")
    assert "secretish" not in str(raised.value)


def test_a_token_expires_at_its_ttl_and_not_before() -> None:
    clock = Clock(T0)
    token = tokens(clock).issue("ada")
    clock.now = T0 + timedelta(minutes=10) - timedelta(seconds=1)
    assert tokens(clock).verify(token).user_id == "ada"
    clock.now = T0 + timedelta(minutes=10)
    with pytest.raises(ExpiredToken):
        tokens(clock).verify(token)


def test_seconds_left_counts_down_with_the_clock() -> None:
    clock = Clock(T0)
    issuer = tokens(clock)
    verified = issuer.verify(issuer.issue("ada", ttl=timedelta(seconds=30)))
    clock.now = T0 + timedelta(seconds=20)
    assert issuer.seconds_left(verified) == pytest.approx(10.0)
    clock.now = T0 + timedelta(seconds=45)
    assert issuer.seconds_left(verified) == 0.0


def test_an_empty_user_id_gets_no_token() -> None:
    with pytest.raises(ValueError):
        tokens().issue("")
