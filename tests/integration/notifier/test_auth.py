"""401 for a missing, malformed, forged or expired token; 403 for a valid token asking for another user."""

from __future__ import annotations

import datetime as dt

import aiohttp
import pytest
from pydantic import SecretStr

from processors.notifier.tokens import StreamTokens
from tests.integration.notifier.serving import SECRET, Serve, http, serve  # noqa: F401


def expired_token(user_id: str) -> str:
    issued_long_ago = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=5), clock=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    return issued_long_ago.issue(user_id)


def forged_token(user_id: str) -> str:
    return StreamTokens(SecretStr("another-secret-that-is-long-enough-xx"), ttl=dt.timedelta(minutes=5)).issue(user_id)


@pytest.mark.parametrize("path", ["/events", "/ws"])
@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda served: "", id="missing"),
        pytest.param(lambda served: "?token=garbage", id="malformed"),
        pytest.param(lambda served: "?token=" + forged_token("ada"), id="forged"),
        pytest.param(lambda served: "?token=" + expired_token("ada"), id="expired"),
    ],
)
async def test_a_request_without_a_valid_token_is_unauthorized(serve: Serve, http: aiohttp.ClientSession, path: str, query) -> None:  # type: ignore[no-untyped-def]
    served = await serve()
    async with http.get(served.url(path + query(served))) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert served.hub.connections() == 0


async def test_an_expired_bearer_header_is_unauthorized(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    async with http.get(served.url("/events"), headers={"Authorization": f"Bearer {expired_token('ada')}"}) as response:
        assert response.status == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/events", "/ws"])
async def test_a_valid_token_asking_for_another_users_stream_is_forbidden(serve: Serve, http: aiohttp.ClientSession, path: str) -> None:
    served = await serve()
    async with http.get(served.url(f"{path}?token={served.tokens.issue('ada')}&user_id=bob")) as response:
        assert response.status == 403
    assert served.hub.connections() == 0


async def test_a_valid_token_naming_its_own_user_is_accepted(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    async with http.get(served.url(f"/events?token={served.tokens.issue('ada')}&user_id=ada")) as response:
        assert response.status == 200
        assert served.hub.connections("ada") == 1
