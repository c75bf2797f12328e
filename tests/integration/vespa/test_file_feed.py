"""File mode: operations appended as JSON Lines in the format ``vespa feed`` reads."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.vespa import (
    DocumentId,
    FeedOperation,
    FeedOutcome,
    FileFeedClient,
    HttpFeedClient,
    VespaSettings,
    create_feed_client,
)
from connectors.vespa.file_feed import drop_torn_tail
from processors.vespa_loader.documents import put_operation, remove_operation
from schemas.models import DocType
from tests import factories

OPERATION_KEYS = {"put", "update", "remove"}


def read_feed(path: Path) -> list[dict]:
    """Parse the file as ``vespa feed`` does with JSONL input: one JSON object per line."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.decode().splitlines()]


def assert_is_vespa_feed_operation(line: dict) -> None:
    [kind] = OPERATION_KEYS & set(line)
    assert DocumentId.parse(line[kind])
    assert set(line) <= {kind, "fields", "condition", "create"}
    if kind == "remove":
        assert "fields" not in line
    elif kind == "update":
        assert all(set(operation) == {"assign"} for operation in line["fields"].values())
    else:
        assert isinstance(line["fields"], dict) and line["fields"]


async def test_each_operation_is_one_json_line_vespa_feed_accepts(tmp_path: Path) -> None:
    path = tmp_path / "feeds" / "vespa.jsonl"
    operations = [
        put_operation(factories.email(), user_id="user-1", namespace="officestream"),
        put_operation(factories.calendar_event(), user_id="user-1", namespace="officestream"),
        FeedOperation.update(DocumentId.parse("id:officestream:email:g=user-1:msg-1"), {"is_read": True}),
        remove_operation(DocType.contact, "people/c1", user_id="user-1", namespace="officestream"),
    ]
    async with FileFeedClient(path) as client:
        results = await client.feed(operations)
    assert [r.outcome for r in results] == [FeedOutcome.applied] * 4
    lines = read_feed(path)
    for line in lines:
        assert_is_vespa_feed_operation(line)
    assert lines == [op.feed_json() for op in operations]
    assert lines[0]["put"] == "id:officestream:email:g=user-1:msg-1"
    assert lines[3] == {"remove": "id:officestream:contact:g=user-1:people/c1"}


async def test_feeds_append_across_calls_and_restarts(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    first = put_operation(factories.email("m1"), user_id="u", namespace="officestream")
    second = put_operation(factories.email("m2"), user_id="u", namespace="officestream")
    async with FileFeedClient(path) as client:
        await client.feed([first])
    async with FileFeedClient(path) as client:
        await client.feed([second])
        assert await client.feed([]) == []
    assert [line["put"] for line in read_feed(path)] == [str(first.doc_id), str(second.doc_id)]


async def test_a_torn_last_line_from_a_crash_is_dropped_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    kept = put_operation(factories.email("m1"), user_id="u", namespace="officestream")
    path.write_text(json.dumps(kept.feed_json()) + "\n" + '{"put": "id:officestream:email:g=u:m2", "fie')
    after = put_operation(factories.email("m3"), user_id="u", namespace="officestream")
    async with FileFeedClient(path) as client:
        await client.feed([after])
    assert [line["put"] for line in read_feed(path)] == [str(kept.doc_id), str(after.doc_id)]


def test_repairing_a_file_that_is_one_torn_line_empties_it(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'{"remove": "id:' * 10_000)
    assert drop_torn_tail(path) == 150_000
    assert path.read_bytes() == b""
    assert drop_torn_tail(tmp_path / "absent.jsonl") == 0


def test_the_factory_feeds_the_file_without_a_url_and_vespa_with_one(tmp_path: Path) -> None:
    file_client = create_feed_client(VespaSettings.from_env({"OFFICESTREAM_VESPA_FEED_FILE": str(tmp_path / "f.jsonl")}))
    http_client = create_feed_client(VespaSettings.from_env({"OFFICESTREAM_VESPA_URL": "http://127.0.0.1:8080"}))
    assert isinstance(file_client, FileFeedClient) and file_client.path == tmp_path / "f.jsonl"
    assert isinstance(http_client, HttpFeedClient)
    assert not (tmp_path / "f.jsonl").exists()  # nothing is opened before the first feed
