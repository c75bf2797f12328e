"""What the Graph client sends, without a network: links, delta queries, paging headers.

httpx's MockTransport stands in for Graph here only to observe the requests; the behaviour
against a server is tested in tests/integration/microsoft.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from connectors.microsoft import delta
from connectors.microsoft.exceptions import GraphRequestError
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.settings import MicrosoftSettings


class StaticToken:
    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        return "token-for-tests"


def _client(handler: httpx.MockTransport) -> GraphClient:
    settings = MicrosoftSettings(max_page_size=2)
    return GraphClient(settings, StaticToken(), http=httpx.AsyncClient(transport=handler))


def test_links_off_the_graph_origin_are_refused_so_the_token_never_leaves() -> None:
    client = _client(httpx.MockTransport(lambda request: httpx.Response(200)))
    assert client.url("users/a@b.example/messages") == "https://graph.microsoft.com/v1.0/users/a@b.example/messages"
    assert client.url("https://graph.microsoft.com/v1.0/x?$skiptoken=1") == "https://graph.microsoft.com/v1.0/x?$skiptoken=1"
    with pytest.raises(GraphRequestError, match="off the Graph origin"):
        client.url("https://attacker.example/v1.0/x")


async def test_pages_follow_next_links_with_paging_and_immutable_id_preferences() -> None:
    seen: list[httpx.Request] = []

    def graph(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "$skiptoken" in str(request.url):
            return httpx.Response(200, json={"value": [{"id": "3"}], "@odata.deltaLink": "https://graph.microsoft.com/v1.0/d?$deltatoken=9"})
        return httpx.Response(200, json={"value": [{"id": "1"}, {"id": "2"}],
                                         "@odata.nextLink": "https://graph.microsoft.com/v1.0/d?$skiptoken=2"})

    async with _client(httpx.MockTransport(graph)) as client:
        resource = delta.messages_in_folder("ada@contoso.example", "inbox")
        pages = [page async for page in delta.delta_round(client, "ada@contoso.example", resource)]
    assert [len(page.entries) for page in pages] == [2, 1] and pages[-1].delta_link.endswith("$deltatoken=9")
    assert seen[0].url.path == "/v1.0/users/ada@contoso.example/mailFolders/inbox/messages/delta"
    assert seen[0].url.params["$select"] == delta.MESSAGE_SELECT
    assert all(r.headers["Prefer"] == 'IdType="ImmutableId", odata.maxpagesize=2' for r in seen)
    assert all(r.headers["Authorization"] == "Bearer token-for-tests" for r in seen)
    assert "$select" not in seen[1].url.params  # the link encodes the query


async def test_graph_error_keeps_the_code_and_hashes_the_mailbox() -> None:
    answer = httpx.Response(404, json={"error": {"code": "ErrorItemNotFound", "message": "ada@contoso.example not found"}})
    async with _client(httpx.MockTransport(lambda request: answer)) as client:
        with pytest.raises(GraphRequestError) as caught:
            await client.get_json("ada@contoso.example", "users/ada@contoso.example/messages/x")
    assert caught.value.code == "ErrorItemNotFound" and caught.value.http_status == 404
    assert "ada@contoso.example" not in str(caught.value)


def test_calendar_view_window_is_sent_as_utc_instants() -> None:
    resource = delta.calendar_view("ada@contoso.example", dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                                   dt.datetime(2026, 2, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert dict(resource.params) == {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2026-01-31T23:00:00Z"}


def test_calendar_window_is_whole_days_around_now() -> None:
    start, end = delta.calendar_window(dt.datetime(2026, 3, 5, 17, 30, tzinfo=dt.UTC), past_days=1, future_days=2)
    assert (start, end) == (dt.datetime(2026, 3, 4, tzinfo=dt.UTC), dt.datetime(2026, 3, 7, tzinfo=dt.UTC))
