"""Verifying and decoding Google push notifications, before anything acts on them.

Gmail (Cloud Pub/Sub push): a POST whose JSON envelope is ``{"message": {"data", "messageId",
"publishTime", ...}, "subscription"}``, with ``data`` the base64 of ``{"emailAddress",
"historyId"}``. Pub/Sub signs nothing by itself here, so the push endpoint registered with the
subscription carries a token in its URL (``?token=...``, ``pubsub_push_token``) that is checked
in constant time; envelopes that are oversized, malformed or carry a wrong token are refused.

Calendar (channels): an empty POST described by ``X-Goog-Channel-ID``,
``X-Goog-Channel-Token``, ``X-Goog-Resource-ID``, ``X-Goog-Resource-State`` (``sync`` when the
channel opens, ``exists`` on change, ``not_exists`` on deletion) and ``X-Goog-Message-Number``.
Each channel's token is an HMAC of its random id under the configured secret, so a token is
unique per channel and verifiable without a lookup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from connectors.google.exceptions import PushRejected

RESOURCE_STATES = frozenset({"sync", "exists", "not_exists"})


@dataclass(frozen=True, slots=True)
class GmailPush:
    email_address: str
    history_id: int
    message_id: str
    publish_time: datetime | None
    subscription: str | None


@dataclass(frozen=True, slots=True)
class ChannelNotification:
    channel_id: str
    resource_id: str
    resource_state: str
    message_number: int
    resource_uri: str | None
    expiration: str | None


def _derive(secret: SecretStr, purpose: str) -> str:
    digest = hmac.new(secret.get_secret_value().encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def channel_token(secret: SecretStr, channel_id: str) -> str:
    """The token a Calendar channel with ``channel_id`` is opened with (and must bring back)."""
    return _derive(secret, f"calendar-channel:{channel_id}")


def pubsub_push_token(secret: SecretStr) -> str:
    """The ``token`` query parameter of the Pub/Sub push endpoint URL."""
    return _derive(secret, "gmail-pubsub-push")


def _same(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def decode_gmail_push(body: bytes, *, url_token: str | None, secret: SecretStr, max_bytes: int) -> GmailPush:
    """The Gmail notification in a Pub/Sub push request, or ``PushRejected`` saying why not."""
    if not _same(url_token, pubsub_push_token(secret)):
        raise PushRejected("push endpoint token missing or wrong")
    if len(body) > max_bytes:
        raise PushRejected(f"push body of {len(body)} bytes exceeds {max_bytes}")
    envelope = _json_object(body, "envelope")
    message = envelope.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("data"), str):
        raise PushRejected("envelope has no message.data")
    try:
        data = base64.b64decode(message["data"].replace("-", "+").replace("_", "/") + "=" * (-len(message["data"]) % 4),
                                validate=True)
    except (binascii.Error, ValueError):
        raise PushRejected("message.data is not base64") from None
    payload = _json_object(data, "message.data")
    address, history_id = payload.get("emailAddress"), payload.get("historyId")
    if not isinstance(address, str) or "@" not in address:
        raise PushRejected("message.data has no emailAddress")
    if isinstance(history_id, bool) or not str(history_id).isdigit():
        raise PushRejected("message.data has no numeric historyId")
    return GmailPush(email_address=address, history_id=int(str(history_id)),
                     message_id=str(message.get("messageId") or message.get("message_id") or ""),
                     publish_time=_time(message.get("publishTime") or message.get("publish_time")),
                     subscription=envelope.get("subscription") if isinstance(envelope.get("subscription"), str) else None)


def _json_object(raw: bytes, what: str) -> dict:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PushRejected(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise PushRejected(f"{what} is not a JSON object")
    return value


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_channel_headers(headers: Mapping[str, str], *, secret: SecretStr) -> ChannelNotification:
    """The Calendar notification described by ``headers`` (any case), token verified."""
    lower = {name.lower(): value for name, value in headers.items()}
    channel_id = lower.get("x-goog-channel-id")
    if not channel_id:
        raise PushRejected("missing X-Goog-Channel-ID")
    if not _same(lower.get("x-goog-channel-token"), channel_token(secret, channel_id)):
        raise PushRejected("X-Goog-Channel-Token missing or wrong")
    state = lower.get("x-goog-resource-state", "")
    if state not in RESOURCE_STATES:
        raise PushRejected(f"unknown X-Goog-Resource-State {state[:20]!r}")
    number = lower.get("x-goog-message-number", "")
    if not number.isdigit():
        raise PushRejected("X-Goog-Message-Number is not a number")
    return ChannelNotification(channel_id=channel_id, resource_id=lower.get("x-goog-resource-id", ""),
                               resource_state=state, message_number=int(number),
                               resource_uri=lower.get("x-goog-resource-uri"),
                               expiration=lower.get("x-goog-channel-expiration"))
