"""Google: OAuth / service-account credentials (google-auth), Gmail, Calendar and People
clients (google-api-python-client, static discovery), sync by history id or sync token,
push verification, and normalization into the canonical records.

Names are imported on first use (PEP 562), so ``connectors.google.normalize`` (the CLI's
``officestream normalize``: ``from connectors.google.normalize import normalize``) loads
without google-api-python-client and httplib2.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "GoogleAccount": "account", "open_account": "account", "quota_pacer": "account",
    "delegated_credentials": "auth", "user_credentials": "auth",
    "sync_events": "calendar_sync", "sync_contacts": "people_sync",
    "ChangeBatch": "changes", "Deletion": "changes",
    "AuthConfigError": "exceptions", "CursorExpired": "exceptions", "GoogleError": "exceptions",
    "GoogleUnavailable": "exceptions", "NormalizationError": "exceptions", "PushRejected": "exceptions",
    "QuotaExceeded": "exceptions", "ReauthRequired": "exceptions", "RequestRejected": "exceptions",
    "date_query": "gmail", "full_sync": "gmail_sync", "sync_changes": "gmail_sync",
    "decode_gmail_push": "push", "parse_channel_headers": "push", "pubsub_push_token": "push",
    "GoogleSettings": "settings",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'connectors.google' has no attribute {name!r}")
    return getattr(import_module(f"connectors.google.{_EXPORTS[name]}"), name)
