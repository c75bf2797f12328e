"""The vespa-loader's logic without faust: new versions fed once, rejections named, others kept."""

from __future__ import annotations

import pytest

from connectors.vespa.http_feed import HttpFeedClient
from connectors.vespa.operations import DocumentId
from processors.common.exceptions import PoisonMessage
from processors.common.idempotence import VersionLedger
from processors.common.items import ItemChange
from processors.vespa_loader.loading import load_items
from schemas.models import DocType
from tests import factories
from tests.integration.vespa.fixtures import fake_vespa, settings_for  # noqa: F401  (fixture)


def upsert(doc_id: str, at: int = 1) -> ItemChange:
    return ItemChange(user_id="u1", doc_type=DocType.email, doc_id=doc_id, change="upsert", record=factories.email(doc_id),
                      occurred_at_ms=at, event_id=f"e-{doc_id}-{at}", version_marker=f"v{at}")


def email_doc(local_id: str) -> str:
    return str(DocumentId(namespace="officestream", doctype="email", group="u1", local_id=local_id))


async def test_fed_items_are_recorded_and_not_fed_again(fake_vespa):  # noqa: F811
    ledger = VersionLedger({})
    async with HttpFeedClient(settings_for(fake_vespa)) as feed:
        await load_items([upsert("a"), upsert("b")], feed=feed, ledger=ledger, namespace="officestream")
        puts = len(fake_vespa.requests)
        await load_items([upsert("a"), upsert("b")], feed=feed, ledger=ledger, namespace="officestream")
    assert fake_vespa.document(email_doc("a")) is not None and fake_vespa.document(email_doc("b")) is not None
    assert puts == 2 and len(fake_vespa.requests) == 2  # the redelivery sent nothing


async def test_a_rejected_item_is_named_and_the_others_still_land(fake_vespa):  # noqa: F811
    ledger = VersionLedger({})
    fake_vespa.fail(400, doc_id=email_doc("bad"), times=5, message="bad field")
    async with HttpFeedClient(settings_for(fake_vespa)) as feed:
        with pytest.raises(PoisonMessage, match=r"1 of 3 documents refused by Vespa: bad: .*HTTP 400"):
            await load_items([upsert("ok1"), upsert("bad"), upsert("ok2")], feed=feed, ledger=ledger, namespace="officestream")
    assert fake_vespa.document(email_doc("ok1")) is not None and fake_vespa.document(email_doc("ok2")) is not None
    assert not ledger.should_apply(upsert("ok1")) and ledger.should_apply(upsert("bad"))  # only the refused one is retried
