"""Schema registry settings: where the Confluent-compatible registry is and how to log in."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

#: The local stack's Apicurio Registry, through its Confluent-compatible API.
DEFAULT_REGISTRY_URL = "http://127.0.0.1:18081/apis/ccompat/v7"


class RegistrySettings(EnvSettings):
    """``OFFICESTREAM_REGISTRY_*``: the schema registry the serde talks to."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_REGISTRY_", extra="forbid", frozen=True)

    url: str = DEFAULT_REGISTRY_URL
    username: str | None = None
    password: SecretStr | None = None
    #: Per HTTP request. With the retries below, a call to a registry that accepts connections
    #: but does not answer gives up after about (max_retries + 1) x timeout_s (21 s by default);
    #: one whose port is closed, after the backoff alone (under 1 s). Callers that retry on
    #: their own (the workers, with logs and metrics) then take over.
    timeout_s: float = Field(default=5.0, gt=0)
    #: Retries of a failed registry call (no answer, 5xx, 408, 429) by the client itself,
    #: with backoff, before an error.
    max_retries: int = Field(default=3, ge=0)
    #: The client's own backoff: full jitter over retry_wait_ms x 2^retry, capped at
    #: retry_max_wait_ms (the client's defaults, 1 s and 20 s, hide an outage for up to 7 s
    #: per call before anyone hears of it).
    retry_wait_ms: int = Field(default=100, ge=0)
    retry_max_wait_ms: int = Field(default=1000, ge=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _credentials_in_pairs(self) -> "RegistrySettings":
        if (self.username is None) != (self.password is None):
            raise ValueError("OFFICESTREAM_REGISTRY_USERNAME and _PASSWORD must be set together")
        return self

    def client_config(self) -> dict[str, Any]:
        """The ``SchemaRegistryClient`` configuration dict."""
        config: dict[str, Any] = {
            "url": self.url,
            "timeout": self.timeout_s,
            "max.retries": self.max_retries,
            "retries.wait.ms": self.retry_wait_ms,
            "retries.max.wait.ms": self.retry_max_wait_ms,
        }
        if self.username is not None and self.password is not None:
            config["basic.auth.user.info"] = f"{self.username}:{self.password.get_secret_value()}"
        return config
