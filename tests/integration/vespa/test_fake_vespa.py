"""The local /document/v1 server speaks what real clients speak, and refuses what Vespa refuses."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from connectors.vespa.testing import FakeVespa
from tests.integration.vespa.fixtures import email_id, fake_vespa

__all__ = ["fake_vespa"]  # fixtures


async def test_pyvespas_http2_only_client_is_served_over_cleartext_http2(fake_vespa: FakeVespa) -> None:
    """pyvespa 1.x's async client speaks HTTP/2 with prior knowledge, even on http://."""
    application = pytest.importorskip("vespa.application")
    retries = pytest.importorskip("vespa.retries")
    app = application.Vespa(url=fake_vespa.url.rsplit(":", 1)[0], port=int(fake_vespa.url.rsplit(":", 1)[1]))
    async with app.asyncio(docv1_retry_policy=retries.NO_RETRY) as session:
        response = await session.feed_data_point(
            schema="email", data_id="m1", fields={"subject": "s" * 2000}, namespace="officestream", groupname="user-1"
        )
    assert response.status_code == 200
    assert response.json == {"pathId": email_id("m1").path(), "id": str(email_id("m1"))}
    assert fake_vespa.requests[0].http_version == "2"
    assert fake_vespa.document(email_id("m1")) == {"subject": "s" * 2000}  # pyvespa gzipped it


async def test_answers_follow_the_document_v1_contract(fake_vespa: FakeVespa) -> None:
    async with httpx.AsyncClient(base_url=fake_vespa.url) as http:
        path = email_id("m1").path()
        missing = await http.get(path)
        unknown_type = await http.post(path.replace("/email/", "/memo/"), json={"fields": {}})
        wrong_type = await http.post(path, json={"fields": {"sent_at": "yesterday"}})
        not_allowed = await http.patch(path, json={})
        gzipped = await http.post(path, content=gzip.compress(json.dumps({"fields": {"subject": "z"}}).encode()),
                                  headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert (missing.status_code, missing.json()) == (404, {"pathId": path, "id": str(email_id("m1"))})
    assert unknown_type.status_code == 400 and "memo" in unknown_type.json()["message"]
    assert wrong_type.status_code == 400 and "sent_at" in wrong_type.json()["message"]
    assert not_allowed.status_code == 405
    assert gzipped.status_code == 200 and fake_vespa.document(email_id("m1")) == {"subject": "z"}
