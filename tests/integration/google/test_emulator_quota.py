"""The emulator's opt-in Gmail quota through the real Google client: calls past a user's limit
per minute answer 429 rateLimitExceeded in Google's error shape, batch parts are charged and
refused one by one, and the control API reports what was charged."""

from __future__ import annotations

import json
import urllib.request

import pytest

from connectors.google import QuotaExceeded
from tests.integration.google.fixtures import RecordingSleep, RunningEmulator, account_for, emulator, pristine_world, sleep

__all__ = ["emulator", "pristine_world", "sleep"]  # fixtures


def quota_report(emulator: RunningEmulator) -> dict:
    with urllib.request.urlopen(f"{emulator.url}/_emulator/google/quota?user={emulator.user}", timeout=10) as answer:
        return json.loads(answer.read())


def test_calls_past_the_users_limit_answer_429_rate_limit_exceeded(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep, max_retries=0)
    emulator.control("/_emulator/google/quota", {"user": emulator.user, "units_per_minute": 11})
    account.gmail.list_message_ids()  # 5 units
    account.gmail.list_message_ids()  # 10
    account.gmail.profile()  # 11: the limit exactly
    with pytest.raises(QuotaExceeded) as raised:
        account.gmail.profile()
    assert (raised.value.status, raised.value.reason) == (429, "rateLimitExceeded")
    report = quota_report(emulator)
    assert (report["units_per_minute"], report["charged_units"], report["rejected"]) == (11, 11, 1)


def test_each_part_of_a_batch_is_charged_and_refused_on_its_own(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep, max_retries=0)
    ids = account.gmail.list_message_ids().ids[:10]
    emulator.control("/_emulator/google/quota", {"user": emulator.user, "units_per_minute": 35})
    with pytest.raises(QuotaExceeded, match="3 messages still throttled"):
        account.gmail.get_messages(ids)  # one batch of 10 parts: 7 fit in 35 units
    report = quota_report(emulator)
    assert (report["charged_units"], report["rejected"]) == (35, 3)
    assert [units for _, units in report["charges"]] == [5] * 7


def test_without_a_limit_nothing_is_refused_and_turning_it_off_lifts_it(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep, max_retries=0)
    emulator.control("/_emulator/google/quota", {"user": emulator.user, "units_per_minute": 1})
    account.gmail.profile()
    emulator.control("/_emulator/google/quota", {"user": emulator.user, "units_per_minute": None})
    for _ in range(5):
        account.gmail.profile()
    assert quota_report(emulator)["units_per_minute"] is None and sleep.delays == []
