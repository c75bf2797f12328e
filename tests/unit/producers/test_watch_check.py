"""Connecting refuses, before anything is registered, a Google integration whose pushes the
bridge could not verify: every one of them would be answered 403 for as long as it lives."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from connectors.google.settings import GoogleSettings
from connectors.microsoft.settings import MicrosoftSettings
from producers.bridge.settings import BridgeSettings
from producers.integrations.watches import ConfigurationMissing, WatchRegistrar
from schemas.models import DocType, Provider
from tests.unit.producers.live_doubles import integration

TOPIC = "projects/p/topics/gmail"


def registrar(google: GoogleSettings) -> WatchRegistrar:
    return WatchRegistrar(None, bridge=BridgeSettings(), microsoft=MicrosoftSettings(), google=google)  # type: ignore[arg-type]


@pytest.mark.parametrize("doc_types", [(DocType.email,), (DocType.calendar_event,), (DocType.email, DocType.calendar_event)])
def test_google_push_without_the_push_secret_is_refused_naming_it(doc_types: tuple[DocType, ...]) -> None:
    google = GoogleSettings(gmail_push_topic=TOPIC)
    with pytest.raises(ConfigurationMissing, match="OFFICESTREAM_GOOGLE_PUSH_TOKEN_SECRET"):
        registrar(google).check(integration(Provider.google, doc_types=doc_types))


def test_google_push_with_the_push_secret_passes() -> None:
    google = GoogleSettings(gmail_push_topic=TOPIC, push_token_secret=SecretStr("s" * 32))
    registrar(google).check(integration(Provider.google, doc_types=(DocType.email, DocType.calendar_event)))


def test_contacts_alone_need_no_push_secret() -> None:  # People has no push: it is polled
    registrar(GoogleSettings()).check(integration(Provider.google, doc_types=(DocType.contact,)))
