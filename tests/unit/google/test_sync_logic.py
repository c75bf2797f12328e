"""Pure pieces of the sync: history folding, date queries, token sync paging and fallback,
endpoint composition, settings."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.google.changes import Deletion
from connectors.google.exceptions import CursorExpired, NormalizationError
from connectors.google.gmail import date_query, fold_history
from connectors.google.services import api_endpoint, gmail_batch_uri
from connectors.google.settings import GoogleSettings
from connectors.google.sync_tokens import TokenPage, item_id, token_sync
from schemas.envsettings import SettingsError


def added(message_id: str) -> dict:
    return {"message": {"id": message_id, "threadId": "t"}}


def test_history_folds_to_each_messages_last_state() -> None:
    records = [
        {"id": "1", "messagesAdded": [added("a"), added("b")]},
        {"id": "2", "labelsRemoved": [{**added("a"), "labelIds": ["UNREAD"]}]},
        {"id": "3", "messagesDeleted": [added("b")]},
        {"id": "4", "labelsAdded": [{**added("c"), "labelIds": ["STARRED"]}]},
    ]
    assert fold_history(records) == {"a": "changed", "b": "deleted", "c": "changed"}


def test_date_query_uses_epoch_seconds() -> None:
    after = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert date_query(after, after + dt.timedelta(days=1)) == "after:1793491200 before:1793577600"
    assert date_query(None, None) is None
    assert date_query(after=after) == "after:1793491200"


class Pages:
    """A listing of two pages; a given sync token may be declared expired."""

    def __init__(self, expired: str | None = None) -> None:
        self.expired = expired
        self.calls: list[tuple[str | None, str | None]] = []

    def __call__(self, sync_token: str | None, page_token: str | None) -> TokenPage:
        self.calls.append((sync_token, page_token))
        if sync_token is not None and sync_token == self.expired:
            raise CursorExpired("expired")
        if page_token is None:
            return TokenPage([{"id": "1"}, {"id": "gone"}], "p2", None)
        return TokenPage([{"id": "2"}, {"id": "bad"}], None, f"next-after-{sync_token}")


def to_record(item: dict) -> dict | Deletion:
    if item["id"] == "gone":
        return Deletion(kind="event", id="gone")
    if item["id"] == "bad":
        raise NormalizationError("bad item")
    return item


def test_token_sync_pages_through_and_puts_the_cursor_on_the_last_batch() -> None:
    pages, skipped = Pages(), []
    batches = list(token_sync(pages, to_record, "t1", id_of=item_id("id"),
                              on_unreadable=lambda i, e: skipped.append(i)))  # type: ignore[arg-type]
    assert [(b.records, b.deleted_ids, b.cursor, b.full_resync) for b in batches] == [
        ([{"id": "1"}], ["gone"], None, False), ([{"id": "2"}], [], "next-after-t1", False)]
    assert pages.calls == [("t1", None), ("t1", "p2")] and skipped == ["bad"]


def test_token_sync_restarts_without_the_token_when_it_expired() -> None:
    pages = Pages(expired="old")
    batches = list(token_sync(pages, to_record, "old", id_of=item_id("id"), on_unreadable=lambda i, e: None))  # type: ignore[arg-type]
    assert all(b.full_resync for b in batches)
    assert pages.calls == [("old", None), (None, None), (None, "p2")]
    assert batches[-1].cursor == "next-after-None"


def test_unreadable_items_raise_without_a_policy() -> None:
    with pytest.raises(NormalizationError):
        list(token_sync(Pages(), to_record, None, id_of=item_id("id")))  # type: ignore[arg-type]


def test_endpoint_override_carries_each_apis_service_path() -> None:
    settings = GoogleSettings.from_env({}, api_endpoint="http://127.0.0.1:8080/", token_uri="http://127.0.0.1:8080/token")
    assert api_endpoint(settings, "gmail", "v1") == "http://127.0.0.1:8080/"
    assert api_endpoint(settings, "calendar", "v3") == "http://127.0.0.1:8080/calendar/v3/"
    assert api_endpoint(settings, "people", "v1") == "http://127.0.0.1:8080/"
    assert gmail_batch_uri(settings) == "http://127.0.0.1:8080/batch/gmail/v1"
    google = GoogleSettings.from_env({})
    assert api_endpoint(google, "calendar", "v3") is None
    assert gmail_batch_uri(google) == "https://gmail.googleapis.com/batch/gmail/v1"


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"OFFICESTREAM_GOOGLE_API_ENDPOINT": "http://127.0.0.1:1"}, "OFFICESTREAM_GOOGLE_TOKEN_URI"),
        ({"OFFICESTREAM_GOOGLE_DELEGATED_SUBJECT": "ada@contoso.example"}, "OFFICESTREAM_GOOGLE_SERVICE_ACCOUNT_FILE"),
        ({"OFFICESTREAM_GOOGLE_CLIENT_ID": "x"}, "OFFICESTREAM_GOOGLE_CLIENT_SECRET"),
        ({"OFFICESTREAM_GOOGLE_BATCH_SIZE": "80"}, "OFFICESTREAM_GOOGLE_BATCH_SIZE"),
        ({"OFFICESTREAM_GOOGLE_GMAIL_PUSH_TOPIC": "gmail"}, "projects/<project>/topics/<topic>"),
        ({"OFFICESTREAM_GOOGLE_TOKEN_URL": "x"}, "unknown setting OFFICESTREAM_GOOGLE_TOKEN_URL"),
    ],
)
def test_conflicting_or_unknown_settings_are_refused_by_name(environ: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        GoogleSettings.from_env(environ)


def test_settings_read_scopes_and_keep_secrets_secret() -> None:
    settings = GoogleSettings.from_env({"OFFICESTREAM_GOOGLE_SCOPES": "a, b c", "OFFICESTREAM_GOOGLE_CLIENT_ID": "id",
                                        "OFFICESTREAM_GOOGLE_CLIENT_SECRET": "hush"})
    assert settings.scopes == ("a", "b", "c")
    assert "hush" not in repr(settings)
