"""The feed client against a real Vespa: runs when OFFICESTREAM_VESPA_URL is set (the setting the
loader itself reads; docker-compose's vespa service, with processors/vespa_loader/application
deployed), skipped otherwise. The other OFFICESTREAM_VESPA_* settings apply too (an auth token)."""

from __future__ import annotations

import uuid

import pytest

from connectors.vespa import FeedOperation, FeedOutcome, HttpFeedClient, VespaSettings
from processors.vespa_loader.documents import put_operation, remove_operation
from schemas.models import DocType
from tests import factories

REAL_VESPA = VespaSettings.from_env()
pytestmark = pytest.mark.skipif(REAL_VESPA.mode != "http", reason="OFFICESTREAM_VESPA_URL is not set: no real Vespa to feed")


async def test_documents_of_every_type_round_trip_through_a_real_vespa() -> None:
    user = f"test-{uuid.uuid4().hex[:10]}"
    records = [factories.email(f"m-{user}"), factories.calendar_event(f"e-{user}"), factories.contact(f"people/{user}")]
    puts = [put_operation(record, user_id=user, namespace="officestream") for record in records]
    async with HttpFeedClient(REAL_VESPA) as client:
        results = await client.feed(puts)
        assert [r.outcome for r in results] == [FeedOutcome.applied] * 3, [r.message for r in results]
        for put in puts:
            assert await client.get(put.doc_id) == put.fields
        update = FeedOperation.update(puts[0].doc_id, {"is_read": True})
        assert (await client.feed([update]))[0].ok
        assert (await client.get(puts[0].doc_id) or {}).get("is_read") is True
        removes = [
            remove_operation(DocType(p.doc_id.doctype), p.doc_id.local_id, user_id=user, namespace="officestream") for p in puts
        ]
        assert all(r.ok for r in await client.feed(removes))
        for put in puts:
            assert await client.get(put.doc_id) is None


async def test_a_real_vespa_rejects_an_undeclared_field_and_keeps_the_others() -> None:
    user = f"test-{uuid.uuid4().hex[:10]}"
    good = put_operation(factories.email(f"ok-{user}"), user_id=user, namespace="officestream")
    bad_id = put_operation(factories.email(f"bad-{user}"), user_id=user, namespace="officestream").doc_id
    bad = FeedOperation.put(bad_id, {"no_such_field": "x"})
    async with HttpFeedClient(REAL_VESPA) as client:
        results = await client.feed([good, bad])
        assert [r.outcome for r in results] == [FeedOutcome.applied, FeedOutcome.rejected]
        assert results[1].http_status == 400
        await client.feed([FeedOperation.remove(good.doc_id)])
