"""An async Microsoft Graph client on httpx: auth, throttling, retries, paging, and Outlook's
per-mailbox concurrency limit.

- Every request asks for immutable ids (``Prefer: IdType="ImmutableId"``), so an item keeps its
  id when it moves between folders, and list / delta requests for ``odata.maxpagesize``.
- 429 / 502 / 503 / 504 and connection errors are retried: the wait is capped exponential
  backoff with full jitter, never shorter than the answer's Retry-After (the one retry helper,
  ``connectors.backoff.Backoff``). A Retry-After beyond the cap fails the call retriably
  instead of parking a worker for an hour.
- At most ``mailbox_concurrency`` requests per mailbox are in flight (Outlook answers 429
  "MailboxConcurrency" beyond 4 per app and mailbox); a slot is held only while a request is on
  the wire, never during a backoff wait.
- A 401 gets one retry with a freshly acquired token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from connectors.microsoft.auth import TokenSource
from connectors.microsoft.exceptions import (
    DeltaTokenExpired,
    GraphError,
    GraphNotFound,
    GraphRequestError,
    GraphThrottled,
    GraphUnavailable,
    mailbox_ref,
)
from connectors.microsoft.retry_after import parse_retry_after
from connectors.microsoft.settings import MicrosoftSettings
from connectors.backoff import Backoff

log = logging.getLogger("officestream.microsoft.graph")

RETRIABLE_STATUSES = frozenset({429, 502, 503, 504})
IMMUTABLE_IDS = 'IdType="ImmutableId"'

Sleep = Callable[[float], Awaitable[None]]


def tls_context(settings: MicrosoftSettings) -> ssl.SSLContext:
    """The system's trust store, plus ``ca_bundle`` when set."""
    context = ssl.create_default_context()
    if settings.ca_bundle:
        context.load_verify_locations(cafile=str(settings.ca_bundle))
    return context


class GraphClient:
    """One client per process: it owns the connection pool and the per-mailbox limits, so every
    crawler and the streaming bridge share the same budget per mailbox."""

    def __init__(
        self,
        settings: MicrosoftSettings,
        tokens: TokenSource,
        *,
        http: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_throttled: Callable[[str, float], None] | None = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._http = http or httpx.AsyncClient(
            timeout=settings.request_timeout_s, verify=tls_context(settings), http2=True
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        #: Told ``(mailbox_ref(mailbox), seconds)`` before each wait Graph asked for (429, 503):
        #: a backfill shows itself paused for quota meanwhile.
        self._on_throttled = on_throttled
        self._backoff = Backoff(initial_s=settings.backoff_initial_s, max_s=settings.backoff_max_s,
                                retry_after_max_s=settings.retry_after_max_s)
        self._slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.mailbox_concurrency))
        self._graph_origin = urlsplit(settings.graph_url)[:2]
        #: HTTP requests sent, retries included (the benchmark reports it).
        self.requests_sent = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def settings(self) -> MicrosoftSettings:
        return self._settings

    def url(self, path_or_url: str) -> str:
        """An absolute Graph URL. Links Graph hands back (nextLink, deltaLink) are used as they
        are, but only on Graph's own origin: the bearer token must never go anywhere else."""
        if path_or_url.startswith(("https://", "http://")):
            if urlsplit(path_or_url)[:2] != self._graph_origin:
                raise GraphRequestError(f"refusing to follow a link off the Graph origin: {urlsplit(path_or_url).netloc}")
            return path_or_url
        return f"{self._settings.graph_url}/{path_or_url.lstrip('/')}"

    async def get_json(self, mailbox: str, path: str, *, params: Mapping[str, str] | None = None,
                       prefer: Sequence[str] = ()) -> dict[str, Any]:
        response = await self.request("GET", mailbox, path, params=params, prefer=prefer)
        return _json(response)

    async def pages(self, mailbox: str, path: str, *, params: Mapping[str, str] | None = None,
                    prefer: Sequence[str] = ()) -> AsyncIterator[dict[str, Any]]:
        """Every page of a collection or delta round, following ``@odata.nextLink``; the last
        page carries ``@odata.deltaLink`` for a delta query."""
        prefer = (f"odata.maxpagesize={self._settings.max_page_size}", *prefer)
        body = await self.get_json(mailbox, path, params=params, prefer=prefer)
        yield body
        while next_link := body.get("@odata.nextLink"):
            body = await self.get_json(mailbox, next_link, prefer=prefer)
            yield body

    async def request(self, method: str, mailbox: str, path: str, *, params: Mapping[str, str] | None = None,
                      json: Any = None, prefer: Sequence[str] = ()) -> httpx.Response:
        """One Graph call with retries; raises the typed error for a final failure."""
        url = self.url(path)
        headers = {"Prefer": ", ".join((IMMUTABLE_IDS, *prefer)), "Accept": "application/json"}
        attempt, refreshed, force_refresh = 0, False, False
        while True:
            attempt += 1
            token = await self._tokens.access_token(mailbox, force_refresh=force_refresh)
            force_refresh = False
            try:
                response = await self._send(method, mailbox, url, params, json, {**headers, "Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:
                await self._wait_or_raise(attempt, None, GraphUnavailable(f"{method} failed: {type(exc).__name__}", mailbox=mailbox))
                continue
            if response.status_code == 401 and not refreshed:
                refreshed = force_refresh = True
                attempt -= 1  # the token's fault, not Graph's: not an attempt
                continue
            if response.status_code in RETRIABLE_STATUSES:
                error = _error_for(response, mailbox)
                await self._wait_or_raise(attempt, response, error)
                continue
            if response.status_code >= 400:
                raise _error_for(response, mailbox)
            return response

    async def _send(self, method: str, mailbox: str, url: str, params: Mapping[str, str] | None, json: Any,
                    headers: dict[str, str]) -> httpx.Response:
        async with self._slots[mailbox.lower()]:
            self.requests_sent += 1
            return await self._http.request(method, url, params=params, json=json, headers=headers)

    async def _wait_or_raise(self, attempt: int, response: httpx.Response | None, error: GraphError) -> None:
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        if attempt >= self._settings.max_attempts:
            raise error
        if retry_after is not None and retry_after > self._settings.retry_after_max_s:
            raise error
        delay = self._backoff.delay(attempt, retry_after_s=retry_after, rng=self._rng)
        log.info("graph retry status=%s code=%s attempt=%d wait_s=%.2f mailbox=%s", error.http_status, error.code,
                 attempt, delay, error.mailbox_ref)
        if self._on_throttled is not None and error.http_status in (429, 503):
            self._on_throttled(error.mailbox_ref or "", delay)
        await self._sleep(delay)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise GraphRequestError("Graph answered a body that is not JSON", http_status=response.status_code) from exc
    if not isinstance(body, dict):
        raise GraphRequestError("Graph answered JSON that is not an object", http_status=response.status_code)
    return body


def _error_for(response: httpx.Response, mailbox: str) -> GraphError:
    """The typed error for a Graph error answer (only the code is kept: messages may name people)."""
    code = None
    try:
        code = (response.json().get("error") or {}).get("code")
    except (ValueError, AttributeError):
        pass
    status = response.status_code
    kinds: dict[int, type[GraphError]] = {429: GraphThrottled, 410: DeltaTokenExpired, 404: GraphNotFound}
    kind = kinds.get(status) or (GraphUnavailable if status in RETRIABLE_STATUSES else GraphRequestError)
    path = urlsplit(str(response.request.url)).path if response.request else ""
    return kind(f"Graph answered {status} to {response.request.method} {_redact(path)}", mailbox=mailbox,
                http_status=status, code=code)


def _redact(path: str) -> str:
    """The path with the mailbox segment hashed: ``/v1.0/users/<ref>/messages``."""
    parts = path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part == "users":
            parts[index + 1] = mailbox_ref(parts[index + 1]) or ""
    return "/".join(parts)
