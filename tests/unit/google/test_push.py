"""Pub/Sub push envelopes (Gmail) and channel headers (Calendar): verified before use."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import SecretStr

from connectors.google.exceptions import PushRejected
from connectors.google.push import channel_token, decode_gmail_push, parse_channel_headers, pubsub_push_token

SECRET = SecretStr("s3cret")
TOKEN = pubsub_push_token(SECRET)


def envelope(data: object, **message: object) -> bytes:
    raw = data if isinstance(data, str) else base64.b64encode(json.dumps(data).encode()).decode()
    return json.dumps({"message": {"data": raw, "messageId": "2070443601311540", "publishTime": "2026-11-02T09:00:00.123Z",
                                   **message},
                       "subscription": "projects/officestream/subscriptions/gmail-push"}).encode()


def decode(body: bytes, token: str | None = TOKEN, max_bytes: int = 4096):
    return decode_gmail_push(body, url_token=token, secret=SECRET, max_bytes=max_bytes)


def test_a_valid_envelope_decodes_to_address_and_history_id() -> None:
    push = decode(envelope({"emailAddress": "ada@contoso.example", "historyId": 9876543210}))
    assert (push.email_address, push.history_id, push.message_id) == ("ada@contoso.example", 9876543210, "2070443601311540")
    assert push.subscription == "projects/officestream/subscriptions/gmail-push"
    assert push.publish_time is not None and push.publish_time.year == 2026


def test_url_safe_base64_and_string_history_ids_are_accepted() -> None:
    data = base64.urlsafe_b64encode(json.dumps({"emailAddress": "a@b.example", "historyId": "42"}).encode()).decode().rstrip("=")
    assert decode(envelope(data)).history_id == 42


@pytest.mark.parametrize("token", [None, "", "forged", TOKEN[:-1]])
def test_a_missing_or_wrong_endpoint_token_is_refused(token: str | None) -> None:
    with pytest.raises(PushRejected, match="token"):
        decode(envelope({"emailAddress": "ada@contoso.example", "historyId": 1}), token=token)


def test_an_oversized_body_is_refused_before_parsing() -> None:
    with pytest.raises(PushRejected, match="exceeds 64"):
        decode(b"{" + b" " * 100 + b"}", max_bytes=64)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "envelope is not JSON"),
        (b"[1, 2]", "envelope is not a JSON object"),
        (json.dumps({"message": {}}).encode(), "no message.data"),
        (envelope("***"), "message.data is not base64"),
        (envelope(base64.b64encode(b"hello").decode()), "message.data is not JSON"),
        (envelope({"historyId": 5}), "no emailAddress"),
        (envelope({"emailAddress": "ada@contoso.example", "historyId": "five"}), "no numeric historyId"),
        (envelope({"emailAddress": "ada@contoso.example", "historyId": True}), "no numeric historyId"),
    ],
)
def test_malformed_envelopes_are_refused_saying_why(body: bytes, says: str) -> None:
    with pytest.raises(PushRejected, match=says):
        decode(body)


def headers(channel_id: str = "0b0f6c4e-1", **overrides: str) -> dict[str, str]:
    values = {"X-Goog-Channel-ID": channel_id, "X-Goog-Channel-Token": channel_token(SECRET, channel_id),
              "X-Goog-Resource-ID": "ret08u3rv24htgh289g", "X-Goog-Resource-State": "exists",
              "X-Goog-Message-Number": "10", "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/primary/events",
              "X-Goog-Channel-Expiration": "Tue, 10 Nov 2026 09:00:00 GMT"}
    return {**values, **overrides}


def test_channel_headers_parse_in_any_case() -> None:
    lowered = {name.lower(): value for name, value in headers().items()}
    notification = parse_channel_headers(lowered, secret=SECRET)
    assert (notification.channel_id, notification.resource_state, notification.message_number) == ("0b0f6c4e-1", "exists", 10)
    assert notification.resource_id == "ret08u3rv24htgh289g"


def test_each_channel_has_its_own_token() -> None:
    assert channel_token(SECRET, "a") != channel_token(SECRET, "b")
    assert channel_token(SECRET, "a") != channel_token(SecretStr("other"), "a")
    with pytest.raises(PushRejected, match="Token"):
        parse_channel_headers(headers(**{"X-Goog-Channel-Token": channel_token(SECRET, "another-channel")}), secret=SECRET)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"X-Goog-Channel-ID": ""}, "missing X-Goog-Channel-ID"),
        ({"X-Goog-Channel-Token": ""}, "Token missing or wrong"),
        ({"X-Goog-Resource-State": "deleted"}, "unknown X-Goog-Resource-State"),
        ({"X-Goog-Message-Number": "x"}, "Message-Number is not a number"),
    ],
)
def test_bad_channel_headers_are_refused(overrides: dict[str, str], says: str) -> None:
    with pytest.raises(PushRejected, match=says):
        parse_channel_headers(headers(**overrides), secret=SECRET)


@pytest.mark.parametrize("state", ["sync", "exists", "not_exists"])
def test_every_documented_resource_state_is_accepted(state: str) -> None:
    assert parse_channel_headers(headers(**{"X-Goog-Resource-State": state}), secret=SECRET).resource_state == state
