"""MicrosoftSettings: defaults, and the mistakes it refuses at start-up."""

from __future__ import annotations

import pytest

from connectors.microsoft.settings import MicrosoftSettings
from schemas.envsettings import SettingsError


def test_defaults_point_at_microsoft_with_outlooks_concurrency_limit() -> None:
    settings = MicrosoftSettings.from_env({})
    assert settings.authority == "https://login.microsoftonline.com/organizations"
    assert settings.graph_url == "https://graph.microsoft.com/v1.0"
    assert settings.mailbox_concurrency == 4 and settings.validate_authority
    assert settings.subscription_max_minutes("messages") == 10_070


def test_environment_is_read_with_the_prefix_and_the_secret_stays_hidden() -> None:
    settings = MicrosoftSettings.from_env({
        "OFFICESTREAM_MICROSOFT_TENANT_ID": "contoso.onmicrosoft.com",
        "OFFICESTREAM_MICROSOFT_CLIENT_SECRET": "s3cret-value",
        "OFFICESTREAM_MICROSOFT_AUTHORITY_URL": "https://127.0.0.1:8443/",
        "OFFICESTREAM_MICROSOFT_SUBSCRIPTION_MAX_MINUTES_EVENTS": "4230",
    })
    assert settings.authority == "https://127.0.0.1:8443/contoso.onmicrosoft.com"
    assert settings.subscription_max_minutes("events") == 4230
    assert "s3cret-value" not in repr(settings)
    assert settings.client_secret.get_secret_value() == "s3cret-value"


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"OFFICESTREAM_MICROSOFT_GRAPH_URL": "http://graph.example/v1.0"}, "OFFICESTREAM_MICROSOFT_GRAPH_URL"),
        ({"OFFICESTREAM_MICROSOFT_MAILBOX_CONCURRENCY": "8"}, "OFFICESTREAM_MICROSOFT_MAILBOX_CONCURRENCY"),
        ({"OFFICESTREAM_MICROSOFT_NOTIFICATION_URL": "http://hooks.example/graph"}, "OFFICESTREAM_MICROSOFT_NOTIFICATION_URL"),
        ({"OFFICESTREAM_MICROSOFT_LIFECYCLE_NOTIFICATION_URL": "https://hooks.example/lc"}, "needs OFFICESTREAM_MICROSOFT_NOTIFICATION_URL"),
        ({"OFFICESTREAM_MICROSOFT_CLIENTID": "x"}, "unknown setting OFFICESTREAM_MICROSOFT_CLIENTID"),
    ],
)
def test_bad_settings_are_refused_naming_the_variable(environ: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        MicrosoftSettings.from_env(environ)


def test_plain_http_webhook_is_allowed_on_loopback_only() -> None:
    settings = MicrosoftSettings.from_env({"OFFICESTREAM_MICROSOFT_NOTIFICATION_URL": "http://127.0.0.1:9000/graph"})
    assert settings.notification_url == "http://127.0.0.1:9000/graph"
