"""Feeding Vespa over /document/v1 with httpx: bounded concurrency, retries, per-operation results.

Why httpx and not pyvespa (which the design names for this): pyvespa's async client
(``VespaAsync``, 1.x) turns each answer into a ``VespaResponse`` of status, JSON and URL only,
so a ``Retry-After`` header never reaches the caller; it runs a blocking Rust client (httpr) in
a thread pool, so cancelling a feed (a rebalance) leaves its requests running; and the
dependency range we allow (>=0.50,<2) spans its earlier httpx-based client, whose protocol
and retry behaviour differ. The three operations are one documented request each, so httpx
(already a dependency) gives the same protocol -- HTTP/2 with prior knowledge on http://, as
pyvespa 1.x and Vespa's feed clients speak -- with the headers and cancellation we need.

Per-document order: operations on the same document id are sent one after the other, in the
order given (a put followed by a remove must not race); different documents go concurrently,
at most ``concurrency`` requests at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from connectors.backoff import Backoff
from connectors.vespa.exceptions import (
    VespaConfigurationError,
    VespaError,
    VespaInsufficientStorage,
    VespaThrottled,
    VespaUnavailable,
)
from connectors.vespa.operations import (
    DocumentId,
    FeedOperation,
    FeedOutcome,
    FeedResult,
)
from connectors.vespa.responses import Disposition, disposition, retry_after_seconds
from connectors.vespa.settings import VespaSettings

log = logging.getLogger("officestream.vespa")

Sleep = Callable[[float], Awaitable[None]]

_OUTCOMES = {
    Disposition.applied: FeedOutcome.applied,
    Disposition.condition_not_met: FeedOutcome.condition_not_met,
    Disposition.rejected: FeedOutcome.rejected,
}


@dataclass(frozen=True, slots=True)
class _Answer:
    """One attempt's answer; ``status`` None means no HTTP answer (connection error, timeout)."""

    status: int | None
    message: str | None
    retry_after_s: float | None = None

    @property
    def disposition(self) -> Disposition:
        return Disposition.retry if self.status is None else disposition(self.status)


def build_http_client(settings: VespaSettings) -> httpx.AsyncClient:
    """The httpx client for ``settings`` (no connection is made until the first request)."""
    if settings.url is None:
        raise ValueError("OFFICESTREAM_VESPA_URL is not set: use the file feed client")
    headers = {"User-Agent": "officestream-vespa-loader"}
    if settings.auth_token is not None:
        headers["Authorization"] = f"Bearer {settings.auth_token.get_secret_value()}"
    return httpx.AsyncClient(
        base_url=settings.url,
        http1=not settings.http2,
        http2=settings.http2,
        headers=headers,
        timeout=httpx.Timeout(settings.client_read_timeout_s, connect=settings.connect_timeout_s),
        limits=httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency),
    )


class HttpFeedClient:
    """Feeds operations to a Vespa container's /document/v1 API."""

    def __init__(
        self,
        settings: VespaSettings,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._http = http_client or build_http_client(settings)
        self._sleep = sleep
        self._backoff = Backoff(
            initial_s=settings.backoff_initial_s,
            max_s=settings.backoff_max_s,
            retry_after_max_s=settings.retry_after_max_s,
        )
        self._timeout_param = f"{settings.operation_timeout_s:g}s"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def feed(self, operations: Sequence[FeedOperation]) -> list[FeedResult]:
        """Apply ``operations``; one result each, in the order given.

        Raises (after letting requests in flight finish, and sending nothing new) when an
        operation cannot get a final answer: ``VespaUnavailable`` / ``VespaThrottled`` once the
        retries are spent, ``VespaInsufficientStorage``, ``VespaConfigurationError``. All are
        retriable: the operations are idempotent, so the caller retries the whole call.
        """
        pending = deque(_by_document(operations))
        results: list[FeedResult | None] = [None] * len(operations)
        failures: list[VespaError] = []

        async def worker() -> None:
            while pending and not failures:
                for index, operation in pending.popleft():
                    try:
                        results[index] = await self._feed_one(operation)
                    except VespaError as exc:
                        failures.append(exc)
                        return

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self._settings.concurrency, len(pending)))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:  # a bug in one worker (or cancellation) stops them all
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        if failures:
            raise failures[0]
        return [result for result in results if result is not None]

    async def get(self, doc_id: DocumentId) -> dict[str, Any] | None:
        """The stored fields of a document, or None when Vespa has no such document."""
        answer, response = await self._request("GET", doc_id, params={"timeout": self._timeout_param})
        if answer.status == 404:
            return None
        if answer.status == 200 and response is not None:
            fields: dict[str, Any] = response.json().get("fields", {})
            return fields
        raise VespaUnavailable(
            f"GET {doc_id.log_ref()} failed: {answer.status}: {answer.message}", http_status=answer.status
        )

    async def _feed_one(self, operation: FeedOperation) -> FeedResult:
        # A loop rather than processors.common.retry (connectors may not import processors) or
        # tenacity (a result-based retry with a Retry-After-aware wait is longer than this).
        attempt = 0
        while True:
            attempt += 1
            answer = await self._send(operation)
            if answer.disposition is not Disposition.retry or attempt > self._settings.max_retries:
                return _conclude(operation, answer, attempt, self._settings.max_retries)
            delay = self._backoff.delay(attempt, retry_after_s=answer.retry_after_s)
            log.debug(
                "vespa retry op=%s doc=%s status=%s attempt=%d wait_s=%.2f",
                operation.kind.value, operation.doc_id.log_ref(), answer.status, attempt, delay,
            )
            await self._sleep(delay)

    async def _send(self, operation: FeedOperation) -> _Answer:
        params = {**operation.query_params(), "timeout": self._timeout_param}
        body = operation.encoded_body()
        headers = {"content-type": "application/json"} if body is not None else None
        answer, _ = await self._request(operation.http_method, operation.doc_id, params=params, content=body, headers=headers)
        return answer

    async def _request(self, method: str, doc_id: DocumentId, **kwargs: Any) -> tuple[_Answer, httpx.Response | None]:
        try:
            response = await self._http.request(method, doc_id.path(), **kwargs)
        except httpx.TransportError as exc:  # connection refused or reset, timeouts, protocol errors
            return _Answer(None, _redacted(f"{type(exc).__name__}: {exc}", doc_id)), None
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        message = _message(response)
        return _Answer(response.status_code, message and _redacted(message, doc_id), retry_after), response


def _by_document(operations: Sequence[FeedOperation]) -> list[list[tuple[int, FeedOperation]]]:
    """Operations grouped by document id (first-seen order), each group in the given order."""
    groups: dict[str, list[tuple[int, FeedOperation]]] = {}
    for index, operation in enumerate(operations):
        groups.setdefault(str(operation.doc_id), []).append((index, operation))
    return list(groups.values())


def _conclude(operation: FeedOperation, answer: _Answer, attempts: int, max_retries: int) -> FeedResult:
    """The result of an operation's final answer, or the error that stops the feed."""
    action = answer.disposition
    where = f"{operation.kind.value} {operation.doc_id.log_ref()}"
    if action in _OUTCOMES:
        if action is Disposition.rejected:
            log.warning("vespa rejected op=%s status=%s", where, answer.status)  # the message may quote content
        return FeedResult(
            operation=operation,
            outcome=_OUTCOMES[action],
            http_status=answer.status,
            message=answer.message,
            attempts=attempts,
        )
    detail = f"{where}: HTTP {answer.status}: {answer.message}"
    if action is Disposition.insufficient_storage:
        raise VespaInsufficientStorage(f"Vespa is out of storage and blocks feeding ({detail})", http_status=answer.status)
    if action is Disposition.misconfigured:
        raise VespaConfigurationError(
            f"the Vespa endpoint refuses writes; check OFFICESTREAM_VESPA_URL and OFFICESTREAM_VESPA_AUTH_TOKEN ({detail})",
            http_status=answer.status,
        )
    error = VespaThrottled if answer.status == 429 else VespaUnavailable
    raise error(f"no final answer after {max_retries} retries ({detail})", http_status=answer.status)


def _redacted(message: str, doc_id: DocumentId) -> str:
    """``message`` with the document's id and path (which name the user) replaced by its log ref:
    Vespa's messages quote them, and these messages reach logs and dead-letter headers."""
    ref = doc_id.log_ref()
    group_in_path = f"/group/{quote(doc_id.group, safe='')}/"
    replacements = ((str(doc_id), ref), (doc_id.path(), ref), (f"g={doc_id.group}:", "g#:"), (group_in_path, "/group/#/"))
    for naming_the_user, replacement in replacements:
        message = message.replace(naming_the_user, replacement)
    return message


def _message(response: httpx.Response) -> str | None:
    """Vespa's error ``message`` (JSON), or the start of a non-JSON body (a proxy's error page)."""
    if response.status_code == 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or None
    return str(body.get("message")) if isinstance(body, dict) and body.get("message") is not None else None
