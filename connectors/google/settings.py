"""Google settings (``OFFICESTREAM_GOOGLE_*``): OAuth client or service account, endpoints,
quota budgets, batching, retries and push verification.

Unset ``api_endpoint`` means Google's own endpoints; set it to the emulator's base URL (for
example ``http://127.0.0.1:8080``) and Gmail, Calendar and People all go there. The token URI
is separate on purpose and must then be set too: a token Google issued is useless to the
emulator, and the reverse, so pointing one at the emulator and not the other is refused.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
READONLY_SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/contacts.readonly",
)
#: Gmail refuses batches over 100 and advises against more than 50 (rate limits hit sooner).
GMAIL_BATCH_LIMIT = 50


class GoogleSettings(EnvSettings):
    """How to reach and authenticate to Google; every secret is a ``SecretStr``."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_GOOGLE_", extra="forbid", frozen=True)

    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_uri: str = GOOGLE_TOKEN_URI
    #: Base URL standing in for gmail.googleapis.com, www.googleapis.com/calendar/v3 and
    #: people.googleapis.com (the emulator); unset: Google's.
    api_endpoint: str | None = None
    scopes: tuple[str, ...] = READONLY_SCOPES
    #: A service account key file for domain-wide delegation (Workspace admins grant it).
    service_account_file: Path | None = None
    #: The default user a service account acts as; callers usually pass the user explicitly.
    delegated_subject: str | None = None
    #: Gmail's per-user quota (15,000 units a minute by default; messages.get costs 5).
    gmail_quota_units_per_minute: int = Field(15_000, gt=0)
    #: Calendar and People count requests, not units (their console's per-user defaults).
    calendar_requests_per_minute: int = Field(600, gt=0)
    people_requests_per_minute: int = Field(90, gt=0)
    batch_size: int = Field(GMAIL_BATCH_LIMIT, ge=1, le=GMAIL_BATCH_LIMIT)
    page_size: int = Field(100, ge=1, le=500)
    http_timeout_s: float = Field(30.0, gt=0)
    max_retries: int = Field(6, ge=0)
    backoff_initial_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(64.0, gt=0)
    retry_after_max_s: float = Field(300.0, gt=0)
    #: Derives the per-channel Calendar tokens and the Pub/Sub push URL token (push.py).
    push_token_secret: SecretStr | None = None
    #: Gmail notifications are ~150 bytes; anything near this is not one.
    push_max_bytes: int = Field(64 * 1024, gt=0)
    #: Pub/Sub topic for Gmail watch (projects/<project>/topics/<topic>).
    gmail_push_topic: str | None = None
    #: HTTPS address Calendar channels deliver to.
    calendar_push_address: str | None = None

    @field_validator("token_uri", "api_endpoint", "calendar_push_address")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/") if value and value.endswith("/") else value

    @field_validator("scopes", mode="before")
    @classmethod
    def _scope_list(cls, value: object) -> object:
        # From the environment: space- or comma-separated, as OAuth writes scopes.
        return tuple(value.replace(",", " ").split()) if isinstance(value, str) else value

    @field_validator("gmail_push_topic")
    @classmethod
    def _topic_name(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("projects/") or "/topics/" not in value):
            raise ValueError(f"must be projects/<project>/topics/<topic>, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> GoogleSettings:
        if self.api_endpoint and self.token_uri == GOOGLE_TOKEN_URI:
            raise ValueError(
                f"{self.env_name('api_endpoint')} points away from Google: set {self.env_name('token_uri')} "
                "to the same service's token endpoint (e.g. <endpoint>/token)"
            )
        if self.delegated_subject and self.service_account_file is None:
            raise ValueError(
                f"{self.env_name('delegated_subject')} needs {self.env_name('service_account_file')}"
            )
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError(f"set both {self.env_name('client_id')} and {self.env_name('client_secret')}, or neither")
        return self
