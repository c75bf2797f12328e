"""The emulator's opt-in Gmail quota rule on an injected clock: units per method, a sliding 60 s
window per user, refused calls cost nothing, off unless a limit is set."""

from __future__ import annotations

from connectors.emulator.google.gmail import _METHODS
from connectors.emulator.google.quota import GMAIL_METHOD_UNITS, GmailQuota


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_without_a_limit_everything_is_allowed_and_nothing_recorded():
    quota = GmailQuota(Clock())
    assert all(quota.charge("ada@example.com", "watch") for _ in range(1000))
    assert quota.report("ada@example.com")["units_per_minute"] is None


def test_a_call_that_would_pass_the_limit_in_the_last_60_s_is_refused_and_costs_nothing():
    clock = Clock()
    quota = GmailQuota(clock)
    quota.limit("ada@example.com", 20)
    assert [quota.charge("ada@example.com", "messages.get") for _ in range(5)] == [True, True, True, True, False]
    assert quota.charge("ada@example.com", "getProfile") is False  # 20 of 20 used: even one unit is too many
    assert quota.charge("grace@example.com", "messages.get")  # another user's budget is their own
    clock.now += 59.9
    assert quota.charge("ada@example.com", "getProfile") is False  # still inside the window
    clock.now += 0.2
    assert quota.charge("ada@example.com", "messages.list")  # the first charges left the window
    report = quota.report("ada@example.com")
    assert (report["charged_units"], report["rejected"], report["used_last_minute"]) == (25, 3, 5)
    assert [units for _, units in report["charges"]] == [5, 5, 5, 5, 5]


def test_setting_a_limit_again_or_turning_it_off_starts_the_users_figures_over():
    quota = GmailQuota(Clock())
    quota.limit("ada@example.com", 5)
    quota.charge("ada@example.com", "messages.get")
    quota.limit("ada@example.com", 5)
    assert quota.charge("ada@example.com", "messages.get") and quota.report("ada@example.com")["charged_units"] == 5
    quota.limit("ada@example.com", None)
    assert quota.charge("ada@example.com", "watch") and quota.report("ada@example.com")["units_per_minute"] is None


def test_every_gmail_route_of_the_emulator_has_its_documented_units():
    assert set(_METHODS.values()) == set(GMAIL_METHOD_UNITS)
    assert (GMAIL_METHOD_UNITS["messages.get"], GMAIL_METHOD_UNITS["messages.list"], GMAIL_METHOD_UNITS["getProfile"],
            GMAIL_METHOD_UNITS["history.list"], GMAIL_METHOD_UNITS["watch"]) == (5, 5, 1, 2, 100)
