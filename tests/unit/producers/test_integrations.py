"""The integration model's rules, the hand-off's cursor mapping, grant shapes, the bridge's
start-up checks and its error answers: plain functions, no I/O."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from connectors.google.exceptions import ReauthRequired as GoogleReauthRequired
from connectors.google.exceptions import GoogleUnavailable
from processors.common.faust_wiring import content_endpoint_headers
from processors.common.settings import ProcessorSettings
from producers.backfill.crawl import encode_cursor
from producers.bridge.internal_api import ConnectBody, _answer_for
from producers.bridge.settings import BridgeSettings
from producers.integrations.cursors import handoff_cursors
from producers.integrations.reauth import ReauthGate
from producers.integrations.state import Integration, IntegrationStatus, Watch
from producers.integrations.tokens import is_token_cache
from producers.orchestrator import AlreadyConnected, ConnectFailed
from schemas.envsettings import SettingsError
from schemas.models import DocType, Provider

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
GATE = ReauthGate(None, None)  # type: ignore[arg-type] - only is_reauth is used


def integration(**fields: object) -> Integration:
    values: dict[str, object] = {"user_id": "ada@example.com", "provider": Provider.microsoft, "created_at": T0,
                                 "updated_at": T0, **fields}
    return Integration(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("provider", "doc_type", "state", "expected"), [
    (Provider.microsoft, DocType.email, {"delta_links": {"inbox": "L1", "sent": "L2", "odd": None}},
     {"mail:inbox": "L1", "mail:sent": "L2"}),
    (Provider.microsoft, DocType.calendar_event, {"delta_link": "C"}, {"calendar": "C"}),
    (Provider.microsoft, DocType.contact, {"delta_link": "P"}, {"contacts": "P"}),
    (Provider.google, DocType.email, {"history_id": "123"}, {"gmail": "123"}),
    (Provider.google, DocType.email, {"history_id": 123}, {"gmail": "123"}),
    (Provider.google, DocType.calendar_event, {"sync_token": "S"}, {"calendar": "S"}),
    (Provider.google, DocType.contact, {"sync_token": "Q"}, {"contacts": "Q"}),
    (Provider.google, DocType.contact, {"sync_token": None}, {}),
    (Provider.microsoft, DocType.email, {"delta_links": "not a map"}, {}),
])
def test_a_finished_backfills_sync_cursor_becomes_the_integrations_cursors(provider, doc_type, state, expected):
    assert handoff_cursors(provider, doc_type, encode_cursor(state)) == expected


def test_an_unreadable_or_missing_sync_cursor_gives_no_cursor():
    assert handoff_cursors(Provider.google, DocType.email, None) == {}
    assert handoff_cursors(Provider.google, DocType.email, "{not json") == {}
    assert handoff_cursors(Provider.google, DocType.email, encode_cursor({"history_id": True})) == {}


def test_an_integration_is_live_once_every_doc_type_is_backfilled():
    started = integration(doc_types=(DocType.email, DocType.contact))
    half = started.with_backfilled(DocType.email, {"mail:inbox": "L"}, now=T0)
    assert half.status is IntegrationStatus.backfilling and not half.backfilling(DocType.email)
    assert half.backfilling(DocType.contact)
    whole = half.with_backfilled(DocType.contact, {"contacts": "P"}, now=T0)
    assert whole.status is IntegrationStatus.live and whole.cursors == {"mail:inbox": "L", "contacts": "P"}
    paused = half.with_status(IntegrationStatus.needs_reauth, now=T0).with_backfilled(DocType.contact, {}, now=T0)
    assert paused.status is IntegrationStatus.needs_reauth  # a hand-off never wakes a paused integration


def test_the_public_view_holds_no_secret_and_no_cursor_value():
    watch = Watch(kind="graph-subscription", id="s-1", resource="mail", client_state=SecretStr("client-state-x"),
                  renewed_at=T0, expires_at=T0)
    shown = integration(refresh_token=SecretStr("grant-x"), cursors={"mail:inbox": "delta-link-x"}, watches=(watch,))
    text = json.dumps(shown.public_view())
    assert "grant-x" not in text and "client-state-x" not in text and "delta-link-x" not in text
    assert shown.public_view()["cursors"] == ["mail:inbox"] and shown.public_view()["has_grant"] is True


def test_a_stored_microsoft_grant_is_a_token_cache_or_a_bare_refresh_token():
    assert is_token_cache(json.dumps({"RefreshToken": {}, "Account": {}}))
    assert not is_token_cache("0.ARwAbc-def")
    assert not is_token_cache('"a json string"')


@pytest.mark.parametrize(("token", "message"), [
    (None, "OFFICESTREAM_BRIDGE_INTERNAL_TOKEN is not set"),
    ("", "OFFICESTREAM_BRIDGE_INTERNAL_TOKEN is not set"),
    ("short", "OFFICESTREAM_BRIDGE_INTERNAL_TOKEN is shorter than 16 characters"),
])
def test_the_bridge_refuses_to_start_without_a_usable_internal_token(token, message):
    settings = BridgeSettings.from_env({}, **({} if token is None else {"internal_token": token}))
    with pytest.raises(SettingsError, match=message):
        settings.require_internal_token()
    assert BridgeSettings.from_env({}, internal_token="x" * 16).require_internal_token().get_secret_value() == "x" * 16


def test_consumers_present_the_bridges_token_to_the_content_endpoint():
    settings = ProcessorSettings.from_env({"OFFICESTREAM_PROCESSOR_CONTENT_TOKEN": "t" * 20},
                                          content_endpoint="http://bridge/internal")
    assert content_endpoint_headers(settings) == {"Authorization": f"Bearer {'t' * 20}"}
    assert content_endpoint_headers(ProcessorSettings.from_env({})) == {}


def test_error_answers_name_the_problem_without_quoting_the_request():
    with pytest.raises(ValidationError) as refused:
        ConnectBody.model_validate({"provider": "yahoo", "user": "ada@example.com", "grant": "grant-x"})
    status, message = _answer_for(refused.value, GATE)
    assert status == 400 and "provider" in message and "grant-x" not in message and "yahoo" not in message
    for unknown in ({"provider": "unknown"}, {"provider": "google", "doc_types": ["unknown"]}):
        with pytest.raises(ValidationError):
            ConnectBody.model_validate({"user": "ada@example.com", **unknown})
    assert _answer_for(AlreadyConnected("already connected"), GATE)[0] == 409
    revoked = GoogleReauthRequired("invalid_grant", "Token has been expired or revoked.")
    try:
        raise ConnectFailed("push registration failed", retriable=False) from revoked
    except ConnectFailed as failed:
        assert _answer_for(failed, GATE)[0] == 403
    assert _answer_for(GoogleUnavailable("down"), GATE)[0] == 503
    assert _answer_for(KeyError("boom"), GATE) == (500, "internal error (KeyError)")


def test_a_connect_body_keeps_its_grant_secret():
    body = ConnectBody.model_validate({"provider": "google", "user": "ada@example.com", "grant": "grant-x"})
    assert "grant-x" not in repr(body) and body.grant.get_secret_value() == "grant-x"
    assert isinstance(body, BaseModel) and body.doc_types == (DocType.email, DocType.calendar_event, DocType.contact)
