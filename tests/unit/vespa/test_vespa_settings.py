"""Vespa settings: HTTP or file mode, validation that names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.vespa import VespaSettings
from schemas.envsettings import SettingsError


def test_without_a_url_the_loader_writes_the_feed_file() -> None:
    settings = VespaSettings.from_env({})
    assert settings.mode == "file"
    assert settings.namespace == "officestream"
    assert settings.feed_file == Path("var/vespa/feed.jsonl")


def test_a_url_selects_http_mode_without_a_trailing_slash() -> None:
    settings = VespaSettings.from_env({"OFFICESTREAM_VESPA_URL": "http://vespa:8080/", "OFFICESTREAM_VESPA_CONCURRENCY": "4"})
    assert (settings.mode, settings.url, settings.concurrency) == ("http", "http://vespa:8080", 4)


def test_an_empty_url_means_file_mode() -> None:
    assert VespaSettings.from_env({"OFFICESTREAM_VESPA_URL": ""}).mode == "file"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OFFICESTREAM_VESPA_URL": "vespa:8080"}, "OFFICESTREAM_VESPA_URL"),
        ({"OFFICESTREAM_VESPA_URL": "http://user:pw@vespa:8080"}, "OFFICESTREAM_VESPA_URL"),
        ({"OFFICESTREAM_VESPA_NAMESPACE": "a:b"}, "OFFICESTREAM_VESPA_NAMESPACE"),
        ({"OFFICESTREAM_VESPA_CONCURRENCY": "0"}, "OFFICESTREAM_VESPA_CONCURRENCY"),
        ({"OFFICESTREAM_VESPA_CONCURENCY": "4"}, "OFFICESTREAM_VESPA_CONCURENCY"),
        ({"OFFICESTREAM_VESPA_BACKOFF_INITIAL_S": "20"}, "OFFICESTREAM_VESPA_BACKOFF_INITIAL_S"),
        ({"OFFICESTREAM_VESPA_AUTH_TOKEN": "t"}, "OFFICESTREAM_VESPA_AUTH_TOKEN"),
        ({"OFFICESTREAM_VESPA_URL": "http://v:8080", "OFFICESTREAM_VESPA_FEED_FILE": "/tmp/f"}, "OFFICESTREAM_VESPA_FEED_FILE"),
    ],
)
def test_bad_or_conflicting_settings_fail_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        VespaSettings.from_env(env)


def test_the_token_never_shows_in_the_settings_repr() -> None:
    env = {"OFFICESTREAM_VESPA_URL": "https://x.vespa-app.cloud", "OFFICESTREAM_VESPA_AUTH_TOKEN": "s3cret"}
    settings = VespaSettings.from_env(env)
    assert "s3cret" not in repr(settings)


def test_the_client_waits_longer_than_vespa_so_vespa_answers_the_timeout() -> None:
    settings = VespaSettings.from_env({"OFFICESTREAM_VESPA_OPERATION_TIMEOUT_S": "12"})
    assert settings.client_read_timeout_s > 12
