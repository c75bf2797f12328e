"""Renewing push registrations, with time injected: due at the configured fraction of their
lifetime; stored onto the latest integration; a replaced Calendar channel stopped after the new
one is stored; a Graph subscription gone at the provider recreated and its resource synced;
failures retried with backoff and counted; a revoked grant pauses the integration."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from connectors.microsoft.exceptions import GraphNotFound, GraphUnavailable, ReauthRequired
from producers.bridge.metrics import BridgeMetrics
from producers.bridge.renewals import RECREATE, Renewals, renewal_due
from producers.integrations.state import CALENDAR_CHANNEL, GRAPH_SUBSCRIPTION, Watch
from schemas.models import Provider
from tests.unit.producers.live_doubles import USER, MemoryStore, integration

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SUB = Watch(kind=GRAPH_SUBSCRIPTION, id="sub-1", resource="mail", client_state=SecretStr("s"), renewed_at=T0,
            expires_at=T0 + 3 * DAY)
CHANNEL = Watch(kind=CALENDAR_CHANNEL, id="ch-1", resource="calendar", resource_id="r", renewed_at=T0,
                expires_at=T0 + 7 * DAY)


class Registrar:
    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = list(failures or [])
        self.renewed: list[str] = []
        self.stopped: list[str] = []

    async def renew(self, integration: Any, watch: Watch) -> Watch:
        if self.failures:
            raise self.failures.pop(0)
        self.renewed.append(watch.id)
        new_id = "ch-2" if watch.kind == CALENDAR_CHANNEL else watch.id
        return watch.model_copy(update={"id": new_id, "renewed_at": T0 + 2 * DAY, "expires_at": T0 + 9 * DAY})

    async def stop(self, integration: Any, watch: Watch) -> None:
        self.stopped.append(watch.id)


class Orchestrator:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.recreated: list[str] = []
        self._lock = asyncio.Lock()

    def lock(self, key: str) -> asyncio.Lock:
        return self._lock

    async def recreate_watch(self, key: str, watch_id: str) -> Watch:
        self.recreated.append(watch_id)
        new = SUB.model_copy(update={"id": "sub-2", "renewed_at": T0 + 2 * DAY})
        await self.store.update(key, lambda c: c.with_watches(
            tuple(new if w.id == watch_id else w for w in c.watches), now=T0))
        return new


class Reauth:
    def __init__(self) -> None:
        self.paused: list[str] = []

    @staticmethod
    def is_reauth(exc: BaseException) -> bool:
        return isinstance(exc, ReauthRequired)

    async def required(self, key: str, exc: BaseException | None) -> bool:
        self.paused.append(key)
        return True


class Live:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []

    def request(self, key: str, resource: str, *, reason: str, trace: object = None) -> None:
        self.requests.append((key, resource, reason))


def renewals_for(registrar: Registrar, *watches: Watch) -> tuple[Renewals, MemoryStore, dict[str, Any]]:
    store = MemoryStore(integration(Provider.microsoft, watches=watches))
    parts = {"orchestrator": Orchestrator(store), "reauth": Reauth(), "live": Live(), "sleeps": []}

    async def sleep(seconds: float) -> None:
        parts["sleeps"].append(seconds)

    renewals = Renewals(integrations=store, watches=registrar, orchestrator=parts["orchestrator"],  # type: ignore[arg-type]
                        reauth=parts["reauth"], live=lambda: parts["live"], check_interval_s=60, fraction=0.5,
                        metrics=BridgeMetrics(CollectorRegistry()), now=lambda: T0, sleep=sleep)
    return renewals, store, parts


KEY = f"microsoft:{USER}"


def test_a_registration_is_due_once_the_fraction_of_its_lifetime_has_passed() -> None:
    assert not renewal_due(SUB, T0 + DAY, 0.5)
    assert renewal_due(SUB, T0 + 1.5 * DAY, 0.5) and renewal_due(SUB, T0 + 30 * DAY, 0.5)
    assert not renewal_due(CHANNEL, T0 + 3 * DAY, 0.5) and renewal_due(CHANNEL, T0 + 3.5 * DAY, 0.5)


async def test_due_registrations_are_renewed_and_stored_and_a_replaced_channel_is_stopped() -> None:
    registrar = Registrar()
    renewals, store, _ = renewals_for(registrar, SUB, CHANNEL)
    renewals.check(now=T0 + DAY)
    await renewals.idle()
    assert registrar.renewed == []
    renewals.check(now=T0 + 4 * DAY)
    await renewals.idle()
    assert sorted(registrar.renewed) == ["ch-1", "sub-1"] and registrar.stopped == ["ch-1"]
    watches = {w.id: w for w in store.get(KEY).watches}
    assert set(watches) == {"sub-1", "ch-2"} and all(w.renewed_at == T0 + 2 * DAY for w in watches.values())
    assert renewals.metrics.value("officestream_bridge_renewals_total", kind=CALENDAR_CHANNEL, action="renew",
                                  outcome="ok") == 1


async def test_failures_are_retried_with_backoff_and_counted_until_the_renewal_succeeds() -> None:
    registrar = Registrar([GraphUnavailable("503"), GraphUnavailable("503")])
    renewals, store, parts = renewals_for(registrar, SUB)
    renewals.check(now=T0 + 2 * DAY)
    renewals.check(now=T0 + 2 * DAY)  # a second check while it runs starts nothing more
    await renewals.idle()
    assert registrar.renewed == ["sub-1"] and len(parts["sleeps"]) == 2 and parts["sleeps"][1] > 0
    assert renewals.metrics.value("officestream_bridge_renewals_total", kind=GRAPH_SUBSCRIPTION, action="renew",
                                  outcome="failed") == 2
    assert store.get(KEY).watches[0].renewed_at == T0 + 2 * DAY


async def test_a_subscription_graph_no_longer_has_is_recreated_and_its_resource_synced() -> None:
    registrar = Registrar([GraphNotFound("gone")])
    renewals, store, parts = renewals_for(registrar, SUB)
    renewals.check(now=T0 + 2 * DAY)
    await renewals.idle()
    assert parts["orchestrator"].recreated == ["sub-1"] and [w.id for w in store.get(KEY).watches] == ["sub-2"]
    assert parts["live"].requests == [(KEY, "mail", "registration-recreated")]


async def test_subscription_removed_recreates_at_once_and_a_revoked_grant_pauses() -> None:
    renewals, _, parts = renewals_for(Registrar(), SUB)
    renewals.start_work(KEY, SUB, RECREATE)
    await renewals.idle()
    assert parts["orchestrator"].recreated == ["sub-1"] and parts["live"].requests[0][1] == "mail"

    renewals, _, parts = renewals_for(Registrar([ReauthRequired("invalid_grant", "AADSTS50173")]), SUB)
    renewals.check(now=T0 + 2 * DAY)
    await renewals.idle()
    assert parts["reauth"].paused == [KEY] and parts["sleeps"] == []
