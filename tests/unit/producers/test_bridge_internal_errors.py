"""The bridge's internal API when what a route reads is unreachable for now: a JSON 503 naming
the reason, with ``Retry-After``, never aiohttp's bare 500 (handlers called directly, no I/O)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from aiohttp.test_utils import make_mocked_request

from connectors.kafka.exceptions import KafkaUnavailable
from producers.backfill.service import NotReady
from producers.bridge.internal_api import RETRY_AFTER_S, InternalApi
from producers.exceptions import PublishFailed
from producers.integrations.reauth import ReauthGate
from producers.integrations.store import IntegrationNotFound

GATE = ReauthGate(None, None)  # type: ignore[arg-type] - only is_reauth is used


class UnreadableJobStore:
    """``JobStore`` while the brokers restart: every read raises the store's retriable error."""

    def get(self, job_id: str) -> None:
        raise KafkaUnavailable("cannot read backfill-jobs from 127.0.0.1:9092: Local: Broker transport failure")


class EmptyJobStore:
    def get(self, job_id: str) -> None:
        return None


def api(store: object) -> InternalApi:
    return InternalApi(orchestrator=None, integrations=None, backfill=SimpleNamespace(store=store),  # type: ignore[arg-type]
                       content=None, reauth=GATE)  # type: ignore[arg-type]


def status_request(job_id: str = "bf-0123456789abcdef"):
    return make_mocked_request("GET", f"/internal/backfill/{job_id}", match_info={"job_id": job_id})


async def test_a_backfill_status_while_the_job_store_cannot_be_read_is_a_json_503_to_retry():
    answer = await api(UnreadableJobStore()).backfill_status(status_request())
    assert answer.status == 503 and answer.content_type == "application/json"
    assert answer.headers["Retry-After"] == str(RETRY_AFTER_S)
    error = json.loads(answer.text)["error"]
    assert error.startswith("try again later") and "cannot read backfill-jobs" in error


async def test_an_unknown_backfill_job_is_still_a_404_without_retry_after():
    answer = await api(EmptyJobStore()).backfill_status(status_request("bf-none"))
    assert answer.status == 404 and json.loads(answer.text) == {"error": "no such backfill job"}
    assert "Retry-After" not in answer.headers


def test_every_503_of_the_internal_api_says_when_to_retry_and_no_other_error_does():
    unavailable = [KafkaUnavailable("brokers down"), NotReady("Redis is unreachable"),
                   PublishFailed("not delivered", topic="backfill-jobs")]
    for exc in unavailable:
        answer = api(EmptyJobStore()).error_response(exc)
        assert (answer.status, answer.headers.get("Retry-After")) == (503, str(RETRY_AFTER_S)), exc
        assert json.loads(answer.text)["error"]
    for exc, status in ((IntegrationNotFound("google:ada@example.com"), 404), (KeyError("boom"), 500)):
        answer = api(EmptyJobStore()).error_response(exc)
        assert answer.status == status and "Retry-After" not in answer.headers
