"""One user's Google clients, wired from settings: the entry point for producers.

Every client is blocking (httplib2) and holds one transport: run an account's calls in a
worker thread (``asyncio.to_thread``) and give each thread its own account. The quota pacer
is shared process-wide, so all of a user's accounts spend one budget.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from google.auth.credentials import Credentials

from connectors.google.calendar import CalendarClient
from connectors.google.calls import Caller
from connectors.google.gmail import GmailClient
from connectors.google.people import PeopleClient
from connectors.google.quota import QuotaPacer
from connectors.google.services import build_services
from connectors.google.settings import GoogleSettings


def quota_pacer(settings: GoogleSettings, *, clock: Callable[[], float] = time.monotonic) -> QuotaPacer:
    """The per-user budgets of ``settings`` (build one per process and share it)."""
    return QuotaPacer({"gmail": settings.gmail_quota_units_per_minute,
                       "calendar": settings.calendar_requests_per_minute,
                       "people": settings.people_requests_per_minute}, clock=clock)


@dataclass(frozen=True, slots=True)
class GoogleAccount:
    user: str
    gmail: GmailClient
    calendar: CalendarClient
    people: PeopleClient


def open_account(settings: GoogleSettings, credentials: Credentials, *, user: str, pacer: QuotaPacer,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 calendar_id: str = "primary", single_events: bool = False,
                 on_throttled: Callable[[float], None] | None = None) -> GoogleAccount:
    """Clients for ``user`` (no network until the first call); ``on_throttled`` is told of every
    wait a quota answer asks for."""
    services = build_services(credentials, settings)
    caller = Caller.from_settings(settings, user=user, pacer=pacer, sleep=sleep, rng=rng, on_throttled=on_throttled)
    return GoogleAccount(
        user=user,
        gmail=GmailClient(services, caller, batch_size=settings.batch_size, page_size=settings.page_size),
        calendar=CalendarClient(services, caller, calendar_id=calendar_id, single_events=single_events),
        people=PeopleClient(services, caller),
    )
