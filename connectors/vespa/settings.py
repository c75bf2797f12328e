"""Vespa feed settings (``OFFICESTREAM_VESPA_*``).

With ``OFFICESTREAM_VESPA_URL`` unset the loader runs in *file mode*: it appends operations to
``OFFICESTREAM_VESPA_FEED_FILE`` in the JSON Lines format ``vespa feed`` reads, so the service
works (and can be replayed into a Vespa later) on machines without one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

DEFAULT_NAMESPACE = "officestream"
DEFAULT_FEED_FILE = Path("var/vespa/feed.jsonl")

FeedMode = Literal["http", "file"]

_NAMESPACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class VespaSettings(EnvSettings):
    """Where Vespa is and how hard the loader may push it."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_VESPA_", extra="forbid", frozen=True)

    #: The container endpoint serving /document/v1 (e.g. ``http://vespa:8080``); unset = file mode.
    url: str | None = None
    #: Document id namespace: ``id:<namespace>:<doctype>:g=<user_id>:<doc_id>``.
    namespace: str = DEFAULT_NAMESPACE
    #: Operations in flight at once (HTTP requests; one per operation in /document/v1).
    concurrency: int = Field(default=16, ge=1, le=1024)
    #: How many operations the loader gathers, across messages, before one ``feed`` call (and,
    #: in file mode, one fsync). Every batch is fed before the worker commits offsets.
    batch_size: int = Field(default=200, ge=1, le=10_000)
    #: The longest an operation waits for its batch to fill before the batch is fed anyway.
    batch_linger_ms: int = Field(default=100, ge=0, le=60_000)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    #: Sent to Vespa as the operation ``timeout``; the client waits a little longer, so Vespa
    #: answers 504 itself instead of the client guessing.
    operation_timeout_s: float = Field(default=30.0, gt=0)
    #: Retries of one operation on 429 / 502 / 503 / 504 / connection errors before the feed
    #: call gives up with ``VespaUnavailable`` (retriable: the caller retries the message).
    max_retries: int = Field(default=6, ge=0, le=100)
    backoff_initial_s: float = Field(default=0.1, gt=0)
    backoff_max_s: float = Field(default=10.0, gt=0)
    #: A Retry-After header is honoured up to this many seconds (a proxy may send silly values).
    retry_after_max_s: float = Field(default=60.0, gt=0)
    #: HTTP/2 (prior knowledge on http://, ALPN on https://), as Vespa's own feed clients use;
    #: false = HTTP/1.1 with ``concurrency`` connections.
    http2: bool = True
    #: Data-plane token (Vespa Cloud), sent as ``Authorization: Bearer``.
    auth_token: SecretStr | None = None
    #: File mode only: where operations are appended.
    feed_file: Path = DEFAULT_FEED_FILE

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        if "@" in value.split("//", 1)[1].split("/", 1)[0]:
            raise ValueError("must not carry credentials; set OFFICESTREAM_VESPA_AUTH_TOKEN instead")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _NAMESPACE.match(value):
            raise ValueError(f"must be letters, digits, '_', '-' or '.', got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.backoff_initial_s > self.backoff_max_s:
            raise ValueError("OFFICESTREAM_VESPA_BACKOFF_INITIAL_S must not exceed OFFICESTREAM_VESPA_BACKOFF_MAX_S")
        if self.url is None and self.auth_token is not None:
            raise ValueError("OFFICESTREAM_VESPA_AUTH_TOKEN is set but OFFICESTREAM_VESPA_URL is not (file mode needs no token)")
        if self.url is not None and "feed_file" in self.model_fields_set:
            raise ValueError(
                "OFFICESTREAM_VESPA_FEED_FILE applies to file mode only, but OFFICESTREAM_VESPA_URL is set; unset one of them"
            )
        return self

    @property
    def mode(self) -> FeedMode:
        return "http" if self.url else "file"

    @property
    def client_read_timeout_s(self) -> float:
        """How long the client waits for an answer: Vespa's own timeout plus a margin."""
        return self.operation_timeout_s + 5.0
