"""Deciding what a webhook asks for, without HTTP: Graph notification collections (clientState
verified, lifecycle events mapped), Gmail Pub/Sub envelopes (push token, covered history ids),
Calendar channel headers (channel token, sync, repeated message numbers), unknown registrations."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.google.push import channel_token, pubsub_push_token
from producers.bridge.intake import WebhookIntake
from producers.integrations.state import (
    CALENDAR_CHANNEL,
    GMAIL_WATCH,
    GRAPH_SUBSCRIPTION,
    IntegrationStatus,
    Watch,
)
from schemas.models import Provider
from tests.unit.producers.live_doubles import USER, MemoryStore, integration

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SECRET = SecretStr("push-secret-for-unit-tests")
STATE = "client-state-of-the-mail-subscription"


def graph_watch(resource: str = "mail", watch_id: str = "sub-mail", state: str = STATE) -> Watch:
    return Watch(kind=GRAPH_SUBSCRIPTION, id=watch_id, resource=resource, client_state=SecretStr(state),
                 renewed_at=T0, expires_at=T0 + dt.timedelta(days=3))


CHANNEL = Watch(kind=CALENDAR_CHANNEL, id="channel-1", resource="calendar", resource_id="res-1", renewed_at=T0,
                expires_at=T0 + dt.timedelta(days=7))
GMAIL = Watch(kind=GMAIL_WATCH, resource="mail", renewed_at=T0, expires_at=T0 + dt.timedelta(days=7))


def intake_for(*integrations: Any) -> WebhookIntake:
    return WebhookIntake(MemoryStore(*integrations), push_secret=SECRET, push_max_bytes=64 * 1024)


def microsoft(**fields: Any) -> Any:
    return integration(Provider.microsoft, watches=(graph_watch(), graph_watch("contacts", "sub-contacts", "other")),
                       **fields)


def change(subscription: str = "sub-mail", state: str | None = STATE, **extra: Any) -> dict[str, Any]:
    entry = {"subscriptionId": subscription, "changeType": "created", "tenantId": "t",
             "resource": f"Users/{USER}/Messages/m1", "resourceData": {"id": "m1"}, **extra}
    if state is not None:
        entry["clientState"] = state
    return entry


def body(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"value": list(entries)}).encode()


def test_a_verified_change_notification_requests_a_sync_of_its_resource() -> None:
    intake = intake_for(microsoft()).graph(body(change(), change("sub-contacts", "other")))
    assert intake.status == 202 and intake.outcomes == ["accepted", "accepted"]
    assert intake.syncs == [(f"microsoft:{USER}", "mail", "graph-notification"),
                            (f"microsoft:{USER}", "contacts", "graph-notification")]


@pytest.mark.parametrize("state", ["wrong", "", None, STATE + "x", STATE[:-1], "other"])
def test_a_wrong_or_missing_client_state_refuses_the_whole_post(state: str | None) -> None:
    intake = intake_for(microsoft()).graph(body(change("sub-contacts", "other"), change(state=state)))
    assert (intake.status, intake.outcomes, intake.syncs, intake.lifecycle) == (403, ["forged"], [], [])
    assert STATE not in intake.detail and (not state or state not in intake.detail)


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"value": {}}', b'{"value": [{"changeType": "created"}]}',
                                 b'{"value": [{"subscriptionId": "s", "changeType": "moved", "resource": "r"}]}'])
def test_malformed_graph_bodies_are_refused(raw: bytes) -> None:
    intake = intake_for(microsoft()).graph(raw)
    assert (intake.status, intake.outcomes, intake.syncs) == (400, ["malformed"], [])


def test_an_unknown_subscription_is_acknowledged_and_ignored() -> None:
    intake = intake_for(microsoft()).graph(body(change("not-ours", state="anything"), change()))
    assert intake.status == 202 and sorted(intake.outcomes) == ["accepted", "unknown"]
    assert [s[1] for s in intake.syncs] == ["mail"] and "not-ours" in intake.detail


def test_lifecycle_events_renew_recreate_or_sync() -> None:
    events = [{"subscriptionId": "sub-mail", "clientState": STATE, "lifecycleEvent": event, "tenantId": "t"}
              for event in ("reauthorizationRequired", "subscriptionRemoved", "missed")]
    intake = intake_for(microsoft()).graph(body(*events))
    assert intake.status == 202 and intake.outcomes == ["lifecycle"] * 3
    assert [(key, watch.id, action) for key, watch, action in intake.lifecycle] == [
        (f"microsoft:{USER}", "sub-mail", "renew"), (f"microsoft:{USER}", "sub-mail", "recreate")]
    assert intake.syncs == [(f"microsoft:{USER}", "mail", "graph-missed")]
    forged = intake_for(microsoft()).graph(body({**events[1], "clientState": "guess"}))
    assert (forged.status, forged.lifecycle) == (403, [])


def test_a_paused_integration_s_notifications_are_acknowledged_without_a_sync() -> None:
    intake = intake_for(microsoft(status=IntegrationStatus.needs_reauth)).graph(body(change()))
    assert (intake.status, intake.outcomes, intake.syncs) == (202, ["inactive"], [])


def envelope(address: str = USER, history_id: Any = 120, data: str | None = None) -> bytes:
    encoded = data if data is not None else base64.b64encode(
        json.dumps({"emailAddress": address, "historyId": history_id}).encode()).decode()
    return json.dumps({"message": {"data": encoded, "messageId": "m-9"}, "subscription": "projects/p/subscriptions/s"}
                      ).encode()


def google(**fields: Any) -> Any:
    return integration(Provider.google, {"gmail": "100"}, watches=(GMAIL, CHANNEL), **fields)


TOKEN = pubsub_push_token(SECRET)


def test_a_gmail_push_past_the_stored_history_requests_a_mail_sync() -> None:
    intake = intake_for(google()).gmail(envelope(USER.upper()), url_token=TOKEN)  # addresses ignore case
    assert (intake.status, intake.outcomes, intake.syncs) == (202, ["accepted"], [(f"google:{USER}", "mail", "gmail-push")])


@pytest.mark.parametrize("history_id", [100, 99, "100"])
def test_a_gmail_push_the_stored_history_covers_is_a_duplicate(history_id: Any) -> None:
    intake = intake_for(google()).gmail(envelope(history_id=history_id), url_token=TOKEN)
    assert (intake.status, intake.outcomes, intake.syncs) == (202, ["duplicate"], [])


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN[:-1], TOKEN + "x"])
def test_a_gmail_push_without_the_url_token_is_refused(token: str | None) -> None:
    intake = intake_for(google()).gmail(envelope(), url_token=token)
    assert (intake.status, intake.outcomes, intake.syncs) == (403, ["forged"], [])
    assert TOKEN not in intake.detail


def test_without_a_push_secret_every_google_push_is_refused() -> None:
    intake = WebhookIntake(MemoryStore(google()), push_secret=None, push_max_bytes=1024)
    assert intake.gmail(envelope(), url_token=TOKEN).status == 403
    assert intake.calendar({"X-Goog-Channel-ID": "channel-1", "X-Goog-Channel-Token": "t"}).status == 403


@pytest.mark.parametrize("raw", [envelope(data="%%%"), envelope(address="no-at-sign"), envelope(history_id="12a"),
                                 envelope(data=base64.b64encode(b"[1]").decode()), b"{}", b"not json"])
def test_malformed_gmail_envelopes_are_refused(raw: bytes) -> None:
    intake = intake_for(google()).gmail(raw, url_token=TOKEN)
    assert (intake.status, intake.outcomes, intake.syncs) == (400, ["malformed"], [])


def test_a_push_for_a_mailbox_without_a_watch_is_ignored() -> None:
    assert intake_for(google()).gmail(envelope("someone@else.example"), url_token=TOKEN).outcomes == ["unknown"]
    without_watch = integration(Provider.google, {"gmail": "100"})
    assert intake_for(without_watch).gmail(envelope(), url_token=TOKEN).outcomes == ["unknown"]


def headers(state: str = "exists", number: int = 5, channel: str = "channel-1", token: str | None = None,
            resource: str = "res-1") -> dict[str, str]:
    return {"x-goog-channel-id": channel, "X-Goog-Channel-Token": token or channel_token(SECRET, channel),
            "X-GOOG-RESOURCE-ID": resource, "X-Goog-Resource-State": state, "X-Goog-Message-Number": str(number)}


def test_a_calendar_change_requests_a_sync_once_per_message_number() -> None:
    intake = intake_for(google())
    first = intake.calendar(headers(number=5))
    assert (first.status, first.outcomes, first.syncs) == (202, ["accepted"], [(f"google:{USER}", "calendar", "calendar-push")])
    for number in (5, 4):
        assert intake.calendar(headers(number=number)).outcomes == ["duplicate"]
    assert intake.calendar(headers("not_exists", number=6)).outcomes == ["accepted"]


def test_a_channel_s_sync_message_is_acknowledged_without_a_sync() -> None:
    intake = intake_for(google()).calendar(headers("sync", number=1))
    assert (intake.status, intake.outcomes, intake.syncs) == (200, ["sync"], [])


@pytest.mark.parametrize("bad,status,outcome", [
    (headers(token="forged"), 403, "forged"),
    (headers(token=channel_token(SECRET, "channel-2")), 403, "forged"),  # another channel's token
    ({k: v for k, v in headers().items() if k != "X-Goog-Channel-Token"}, 403, "forged"),
    ({k: v for k, v in headers().items() if k != "x-goog-channel-id"}, 400, "malformed"),
    (headers(state="bogus"), 400, "malformed"),
    ({**headers(), "X-Goog-Message-Number": "x"}, 400, "malformed"),
    (headers(channel="channel-2"), 202, "unknown"),
    (headers(resource="another-resource"), 202, "unknown"),
])
def test_forged_malformed_and_unknown_channel_notifications(bad: dict[str, str], status: int, outcome: str) -> None:
    intake = intake_for(google()).calendar(bad)
    assert (intake.status, intake.outcomes, intake.syncs) == (status, [outcome], [])


def test_a_pubsub_envelope_over_the_push_limit_is_refused_as_oversized() -> None:
    intake = WebhookIntake(MemoryStore(google()), push_secret=SECRET, push_max_bytes=64)
    answer = intake.gmail(envelope(), url_token=TOKEN)
    assert (answer.status, answer.outcomes, answer.syncs) == (413, ["oversized"], [])


def test_ids_the_sender_chose_cannot_forge_log_lines() -> None:
    intake = intake_for(microsoft()).graph(body(change("evil\nINFO forged line", state="x")))
    assert intake.outcomes == ["unknown"] and "\n" not in intake.detail and "\\n" in intake.detail
