"""Parsing Graph notifications, the validation handshake and the clientState check."""

from __future__ import annotations

import json

import pytest

from connectors.microsoft.exceptions import ClientStateMismatch
from connectors.microsoft.notifications import (
    ChangeNotification,
    InvalidNotification,
    LifecycleNotification,
    parse_notifications,
    validation_reply,
    verify_client_state,
)

CHANGE = {
    "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
    "subscriptionExpirationDateTime": "2016-03-19T22:11:09.952Z",
    "clientState": "secretClientValue",
    "changeType": "created",
    "resource": "users/{user_guid}@{tenant_guid}/messages/{long_id_string}",
    "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
    "resourceData": {
        "@odata.type": "#Microsoft.Graph.Message",
        "@odata.id": "Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}",
        "@odata.etag": 'W/"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf"',
        "id": "{long_id_string}",
    },
}
LIFECYCLE = {
    "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
    "subscriptionExpirationDateTime": "2016-03-19T22:11:09.952Z",
    "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
    "clientState": "secretClientValue",
    "lifecycleEvent": "reauthorizationRequired",
}


def test_a_batch_mixes_change_and_lifecycle_notifications() -> None:
    change, lifecycle = parse_notifications(json.dumps({"value": [CHANGE, LIFECYCLE]}).encode())
    assert isinstance(change, ChangeNotification) and isinstance(lifecycle, LifecycleNotification)
    assert (change.change_type, change.item_id) == ("created", "{long_id_string}")
    assert change.resource_data is not None and change.resource_data.odata_etag == 'W/"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf"'
    assert lifecycle.lifecycle_event == "reauthorizationRequired"
    assert "secretClientValue" not in repr(change) + repr(lifecycle)


def test_item_id_falls_back_to_the_resource_path() -> None:
    [change] = parse_notifications({"value": [{**CHANGE, "resourceData": None, "resource": "Users/u/Messages/AAMk="}]})
    assert isinstance(change, ChangeNotification) and change.item_id == "AAMk="


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"{not json", "not JSON"),
        (b'{"values": []}', "'value' list"),
        (json.dumps({"value": [{**CHANGE, "changeType": "renamed"}]}).encode(), r"value\[0\] is malformed: changeType"),
        (json.dumps({"value": [{**LIFECYCLE, "lifecycleEvent": "bored"}]}).encode(), "lifecycleEvent"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, complaint: str) -> None:
    with pytest.raises(InvalidNotification, match=complaint):
        parse_notifications(body)


def test_client_state_must_match_exactly() -> None:
    [change] = parse_notifications({"value": [CHANGE]})
    verify_client_state(change, "secretClientValue")
    for wrong in ("secretClientValuE", "secretClientValue ", "", None):
        with pytest.raises(ClientStateMismatch):
            verify_client_state(change, wrong)


def test_notification_without_client_state_is_refused() -> None:
    [change] = parse_notifications({"value": [{k: v for k, v in CHANGE.items() if k != "clientState"}]})
    with pytest.raises(ClientStateMismatch):
        verify_client_state(change, "secretClientValue")


def test_validation_request_is_answered_with_the_decoded_token_as_plain_text() -> None:
    reply = validation_reply({"validationToken": "Validation: Testing client application reachability"})
    assert reply is not None
    assert (reply.status, reply.body, reply.content_type) == (200, "Validation: Testing client application reachability", "text/plain")
    assert validation_reply({}) is None
