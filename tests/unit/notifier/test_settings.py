"""Notifier settings: read from OFFICESTREAM_NOTIFIER_*, a weak or missing secret refused by name."""

from __future__ import annotations

import pytest

from processors.notifier.settings import NotifierSettings
from schemas.envsettings import SettingsError

SECRET = "k" * 32


def test_settings_are_read_from_the_environment() -> None:
    settings = NotifierSettings.from_env(
        {"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_PORT": "9001", "OFFICESTREAM_NOTIFIER_HEARTBEAT_S": "2.5"}
    )
    assert (settings.port, settings.heartbeat_s) == (9001, 2.5)
    assert settings.token_secret.get_secret_value() == SECRET


def test_a_missing_token_secret_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_TOKEN_SECRET"):
        NotifierSettings.from_env({})


def test_a_short_token_secret_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_TOKEN_SECRET") as raised:
        NotifierSettings.from_env({"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": "tooshort"})
    assert "tooshort" not in str(raised.value)


def test_a_misspelt_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_HEARTBEAT"):
        NotifierSettings.from_env({"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_HEARTBEAT": "5"})


def test_a_zero_queue_size_is_refused() -> None:
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_QUEUE_SIZE"):
        NotifierSettings.from_env({"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_QUEUE_SIZE": "0"})


def test_allowed_origins_are_read_comma_separated() -> None:
    settings = NotifierSettings.from_env(
        {"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_ALLOWED_ORIGINS": "https://app.example.com, http://localhost:3000"}
    )
    assert settings.allowed_origins == ("https://app.example.com", "http://localhost:3000")


@pytest.mark.parametrize("origin", ["*", "https://app.example.com/path", "app.example.com"])
def test_an_allowed_origin_that_is_not_an_origin_is_refused(origin: str) -> None:
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_ALLOWED_ORIGINS"):
        NotifierSettings.from_env({"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_ALLOWED_ORIGINS": origin})


def test_connection_limits_and_the_buffer_budget_are_read_from_the_environment() -> None:
    settings = NotifierSettings.from_env({
        "OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_MAX_CONNECTIONS": "50",
        "OFFICESTREAM_NOTIFIER_MAX_CONNECTIONS_PER_USER": "2", "OFFICESTREAM_NOTIFIER_RETRY_AFTER_S": "7",
        "OFFICESTREAM_NOTIFIER_BUFFER_BUDGET_BYTES": "1048576",
    })
    assert (settings.max_connections, settings.max_connections_per_user, settings.retry_after_s) == (50, 2, 7)
    assert settings.buffer_budget_bytes == 1048576


def test_a_buffer_budget_too_small_for_one_notification_is_refused() -> None:
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_BUFFER_BUDGET_BYTES"):
        NotifierSettings.from_env({"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_BUFFER_BUDGET_BYTES": "1000"})


def test_the_announced_items_are_read_and_a_negative_count_is_refused() -> None:
    base = {"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET}
    assert NotifierSettings.from_env(base).announced_items == 50_000
    assert NotifierSettings.from_env(base | {"OFFICESTREAM_NOTIFIER_ANNOUNCED_ITEMS": "0"}).announced_items == 0
    with pytest.raises(SettingsError, match="OFFICESTREAM_NOTIFIER_ANNOUNCED_ITEMS"):
        NotifierSettings.from_env(base | {"OFFICESTREAM_NOTIFIER_ANNOUNCED_ITEMS": "-1"})
