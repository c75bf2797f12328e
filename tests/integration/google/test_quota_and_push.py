"""Throttling (429 with Retry-After, 403 userRateLimitExceeded, throttled batch parts) and
push (Gmail via Pub/Sub, Calendar channels) against the emulator."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from connectors.google import (
    PushRejected,
    QuotaExceeded,
    RequestRejected,
    decode_gmail_push,
    parse_channel_headers,
    pubsub_push_token,
    sync_changes,
)
from tests.integration.google.fixtures import RecordingSleep, RunningEmulator, account_for, emulator, pristine_world, sleep

__all__ = ["emulator", "pristine_world", "sleep"]  # fixtures

SECRET = SecretStr("push-secret-for-tests")
TOPIC = "projects/officestream-test/topics/gmail"
USER_RATE_LIMIT = {"error": {"code": 403, "message": "User Rate Limit Exceeded", "status": "PERMISSION_DENIED",
                             "errors": [{"message": "User Rate Limit Exceeded", "domain": "usageLimits",
                                         "reason": "userRateLimitExceeded"}]}}


def test_429_with_retry_after_is_waited_out_then_succeeds(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    emulator.control("/_emulator/faults", {"path_prefix": "/gmail/v1/users/me/profile", "status": 429, "times": 2,
                                           "retry_after": "7"})
    assert account.gmail.profile()["emailAddress"] == emulator.user
    assert len(sleep.delays) == 2 and all(delay >= 7 for delay in sleep.delays)


def test_403_user_rate_limit_is_backed_off_then_succeeds(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    emulator.control("/_emulator/faults", {"path_prefix": "/calendar/v3/calendars/primary/events", "status": 403,
                                           "times": 1, "body": USER_RATE_LIMIT})
    assert account.calendar.list_events().items
    assert len(sleep.delays) == 1


def test_403_without_a_rate_limit_reason_is_not_retried(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    forbidden = {"error": {"code": 403, "message": "Insufficient Permission",
                           "errors": [{"reason": "insufficientPermissions"}]}}
    emulator.control("/_emulator/faults", {"path_prefix": "/v1/people/me/connections", "status": 403, "body": forbidden})
    with pytest.raises(RequestRejected) as raised:
        account.people.list_connections()
    assert (raised.value.status, raised.value.reason, sleep.delays) == (403, "insufficientPermissions", [])


def test_throttled_parts_of_a_batch_are_retried_in_a_later_batch(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    ids = account.gmail.list_message_ids().ids[:10]
    emulator.control("/_emulator/faults", {"path_prefix": "/gmail/v1/users/me/messages/", "status": 429, "times": 3})
    fetched = account.gmail.get_messages(ids)
    assert sorted(fetched.messages) == sorted(ids) and fetched.missing == []
    assert len(sleep.delays) == 1


def test_throttling_that_outlasts_the_retries_raises_quota_exceeded(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep, max_retries=2)
    emulator.control("/_emulator/faults", {"path_prefix": "/gmail/v1/users/me/history", "status": 429, "times": 10,
                                           "retry_after": "30"})
    with pytest.raises(QuotaExceeded) as raised:
        account.gmail.history("1")
    assert raised.value.retriable and raised.value.retry_after_s == 30
    assert len(sleep.delays) == 2


def test_gmail_watch_pushes_a_pubsub_envelope_that_decodes_to_the_new_history_id(emulator: RunningEmulator,
                                                                                 sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    endpoint = f"{emulator.receiver_url}/push/gmail?token={pubsub_push_token(SECRET)}"
    emulator.control("/_emulator/google/pubsub", {"topic": TOPIC, "push_endpoint": endpoint})
    watch = account.gmail.watch(TOPIC)
    emulator.control("/_emulator/advance", {"user": emulator.user})
    push = emulator.next_push()
    notification = decode_gmail_push(push.body, url_token=push.query.get("token"), secret=SECRET, max_bytes=65536)
    box = emulator.world.mailbox(emulator.user)
    assert (notification.email_address, notification.history_id) == (emulator.user, box.seq)
    changed = [b for b in sync_changes(account.gmail, watch.history_id)]
    assert changed[-1].cursor == str(notification.history_id)
    with pytest.raises(PushRejected, match="token"):
        decode_gmail_push(push.body, url_token="forged", secret=SECRET, max_bytes=65536)
    account.gmail.stop()


def test_gmail_watch_needs_an_existing_topic(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    with pytest.raises(RequestRejected) as raised:
        account.gmail.watch("projects/officestream-test/topics/missing")
    assert raised.value.status == 400


def test_calendar_channel_sends_sync_then_exists_with_a_verifiable_token(emulator: RunningEmulator,
                                                                        sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    channel = account.calendar.watch(f"{emulator.receiver_url}/push/calendar", secret=SECRET)
    opened = parse_channel_headers(emulator.next_push().headers, secret=SECRET)
    assert (opened.channel_id, opened.resource_id, opened.resource_state, opened.message_number) == (
        channel.id, channel.resource_id, "sync", 1)
    emulator.control("/_emulator/advance", {"user": emulator.user})
    changed = emulator.next_push()
    notification = parse_channel_headers(changed.headers, secret=SECRET)
    assert (notification.resource_state, notification.message_number) == ("exists", 2)
    with pytest.raises(PushRejected, match="Token"):
        parse_channel_headers({**changed.headers, "X-Goog-Channel-Token": channel.token[:-1] + "x"}, secret=SECRET)
    account.calendar.stop_channel(channel.id, channel.resource_id)
    with pytest.raises(RequestRejected) as raised:
        account.calendar.stop_channel(channel.id, channel.resource_id)
    assert raised.value.status == 404
