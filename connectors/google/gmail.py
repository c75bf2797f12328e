"""Gmail API calls for one user: profile, message listing (paged, ``q`` for date ranges),
message fetches through batch requests (at most ``batch_size`` per batch, parts that were
throttled retried in a later batch), history since a ``startHistoryId``, watch and stop.

Blocking (httplib2): call from a worker thread (``asyncio.to_thread``), one client per thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from googleapiclient.errors import HttpError

from connectors.google.calls import Caller
from connectors.google.errors import GoogleErrorInfo, describe_http_error, is_quota, is_transient, to_exception
from connectors.google.exceptions import QuotaExceeded
from connectors.google.quota import GMAIL_UNITS
from connectors.google.services import GoogleServices

MessageFormat = Literal["full", "raw", "minimal", "metadata"]


@dataclass(frozen=True, slots=True)
class MessageIdPage:
    ids: list[str]
    next_page_token: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    #: message id -> "changed" | "deleted", folded over this page's records in order.
    changes: dict[str, str]
    next_page_token: str | None
    history_id: str


@dataclass(frozen=True, slots=True)
class Watch:
    history_id: str
    expiration: dt.datetime


@dataclass(slots=True)
class FetchResult:
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ids Gmail answered 404 for (deleted since they were listed).
    missing: list[str] = field(default_factory=list)


def date_query(after: dt.datetime | None = None, before: dt.datetime | None = None) -> str | None:
    """A ``q`` for a date range. Epoch seconds are exact; ``YYYY/MM/DD`` would be read in
    Pacific time by Gmail."""
    terms = [f"after:{int(after.timestamp())}" if after else "", f"before:{int(before.timestamp())}" if before else ""]
    return " ".join(term for term in terms if term) or None


def fold_history(records: list[dict[str, Any]], into: dict[str, str] | None = None) -> dict[str, str]:
    """Message id -> its last state over history ``records`` (in order): a message added,
    relabelled or deleted is "changed" or "deleted" as its last record says."""
    changes = into if into is not None else {}
    for record in records:
        for key in ("messagesAdded", "labelsAdded", "labelsRemoved"):
            for entry in record.get(key, []):
                changes[entry["message"]["id"]] = "changed"
        for entry in record.get("messagesDeleted", []):
            changes[entry["message"]["id"]] = "deleted"
    return changes


class GmailClient:
    def __init__(self, services: GoogleServices, caller: Caller, *, batch_size: int, page_size: int) -> None:
        self._messages = services.gmail.users().messages()
        self._users = services.gmail.users()
        self._history = services.gmail.users().history()
        self._new_batch = services.new_gmail_batch
        self._caller = caller
        self._batch_size = batch_size
        self._page_size = page_size

    def _call(self, request: Any, method: str, *, with_cursor: bool = False) -> Any:
        return self._caller.call(request.execute, api="gmail", cost=GMAIL_UNITS[method], what=f"gmail {method}",
                                 with_cursor=with_cursor)

    def profile(self) -> dict[str, Any]:
        """``{emailAddress, messagesTotal, threadsTotal, historyId}``."""
        return self._call(self._users.getProfile(userId="me"), "getProfile")

    def list_message_ids(self, *, page_token: str | None = None, query: str | None = None) -> MessageIdPage:
        request = self._messages.list(userId="me", maxResults=self._page_size, pageToken=page_token, q=query)
        answer = self._call(request, "messages.list")
        return MessageIdPage([m["id"] for m in answer.get("messages", [])], answer.get("nextPageToken"))

    def history(self, start_history_id: str, *, page_token: str | None = None) -> HistoryPage:
        """One page of history after ``start_history_id``; ``CursorExpired`` when Gmail no longer
        has it (404)."""
        request = self._history.list(userId="me", startHistoryId=start_history_id, pageToken=page_token,
                                     maxResults=500)
        answer = self._call(request, "history.list", with_cursor=True)
        return HistoryPage(fold_history(answer.get("history", [])), answer.get("nextPageToken"), str(answer["historyId"]))

    def watch(self, topic_name: str, *, label_ids: list[str] | None = None) -> Watch:
        body: dict[str, Any] = {"topicName": topic_name}
        if label_ids:
            body.update(labelIds=label_ids, labelFilterBehavior="include")
        answer = self._call(self._users.watch(userId="me", body=body), "watch")
        expiration = dt.datetime.fromtimestamp(int(answer["expiration"]) / 1000, dt.UTC)
        return Watch(history_id=str(answer["historyId"]), expiration=expiration)

    def stop(self) -> None:
        self._call(self._users.stop(userId="me"), "stop")

    def get_messages(self, ids: list[str], *, fmt: MessageFormat = "full") -> FetchResult:
        """Fetch ``ids`` through batch requests; parts throttled inside a batch are retried in a
        later batch after a backoff."""
        result, pending, attempt = FetchResult(), list(dict.fromkeys(ids)), 0
        while pending:
            retry: list[tuple[str, GoogleErrorInfo]] = []
            for start in range(0, len(pending), self._batch_size):
                retry += self._batch(pending[start:start + self._batch_size], fmt, result)
            if not retry:
                break
            attempt += 1
            if attempt > self._caller.max_retries:
                info = retry[0][1]
                raise QuotaExceeded(f"gmail messages.get: {len(retry)} messages still throttled",
                                    retry_after_s=info.retry_after_s, status=info.status, reason=info.reason,
                                    user=self._caller.user)
            self._caller.wait_before_retry(attempt, max(retry, key=lambda r: r[1].retry_after_s or 0)[1], "gmail batch parts")
            pending = [message_id for message_id, _ in retry]
        return result

    def _batch(self, ids: list[str], fmt: MessageFormat, result: FetchResult) -> list[tuple[str, GoogleErrorInfo]]:
        retry: list[tuple[str, GoogleErrorInfo]] = []

        def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
            if exception is None:
                result.messages[request_id] = response
                return
            info = describe_http_error(exception)
            if info.status == 404:
                result.missing.append(request_id)
            elif is_quota(info) or is_transient(info):
                retry.append((request_id, info))
            else:
                raise to_exception(info, f"gmail messages.get {request_id}", user=self._caller.user)

        def run() -> None:
            retry.clear()
            batch = self._new_batch()
            for message_id in ids:
                batch.add(self._messages.get(userId="me", id=message_id, format=fmt), callback=collect,
                          request_id=message_id)
            batch.execute()

        self._caller.call(run, api="gmail", cost=GMAIL_UNITS["messages.get"] * len(ids), what="gmail messages.get batch")
        return retry
