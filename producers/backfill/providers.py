"""The provider side of backfills: clients built from the connectors' settings, and the crawler
of each (provider, doc type).

- Microsoft: app-only credentials (client credentials, ``OFFICESTREAM_MICROSOFT_*``) and one
  ``GraphClient`` for the process, so every crawl of a mailbox shares its request budget (4 in
  flight per mailbox).
- Google: a service account acting for the user (domain-wide delegation,
  ``OFFICESTREAM_GOOGLE_SERVICE_ACCOUNT_FILE``), or the user's own refresh token from a
  ``GoogleTokens`` source; one quota pacer for the process, so all crawls of a user spend one
  budget. Each crawl gets its own account (its clients are blocking and run in its thread).

Configuration that cannot work is refused before a job starts (``check``), naming the setting.

The streaming bridge uses the same clients for its own provider calls (push registrations,
content fetches): ``graph_client()`` and ``google_account(user)``. It hands in its own token
source for Graph (``graph_tokens``: each integration's delegated grant, or app-only), so the
backfill and the bridge share one Graph client and its per-mailbox budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from google.auth.credentials import Credentials
from pydantic import SecretStr

from connectors.google.account import GoogleAccount, open_account, quota_pacer
from connectors.google.auth import delegated_credentials, user_credentials
from connectors.google.settings import GoogleSettings
from connectors.microsoft.auth import AppCredentials, TokenSource
from connectors.microsoft.exceptions import mailbox_ref
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.settings import MicrosoftSettings
from producers.backfill.crawl import Crawler
from producers.backfill.crawl_google import GmailCrawler, GoogleCalendarCrawler, GoogleContactCrawler
from producers.backfill.crawl_microsoft import GraphCalendarCrawler, GraphContactCrawler, GraphMailCrawler
from producers.backfill.job import BackfillJob
from producers.backfill.runner import CrawlHooks
from producers.exceptions import ProducerError
from schemas.models import DocType, Provider


class ConfigurationMissing(ProducerError):
    """A provider cannot be used as configured; the message names the setting to fix."""


class GoogleTokens(Protocol):
    def refresh_token(self, user: str) -> SecretStr | None: ...


class StaticGoogleTokens:
    """Refresh tokens known up front (a file handed to the CLI; tests)."""

    def __init__(self, tokens: Mapping[str, SecretStr]) -> None:
        self._tokens = dict(tokens)

    def refresh_token(self, user: str) -> SecretStr | None:
        return self._tokens.get(user)


class ProviderCrawlers:
    """Builds crawlers for jobs; ``aclose`` releases the Graph connection pool."""

    def __init__(self, *, microsoft: MicrosoftSettings | None = None, google: GoogleSettings | None = None,
                 google_tokens: GoogleTokens | None = None, graph_tokens: TokenSource | None = None) -> None:
        self._microsoft = microsoft
        self._google = google
        self._google_tokens = google_tokens or StaticGoogleTokens({})
        self._graph_tokens = graph_tokens
        self._graph: GraphClient | None = None
        self._graph_hooks: dict[str, CrawlHooks] = {}
        self._pacer = quota_pacer(google) if google is not None else None

    def check(self, provider: Provider, user: str) -> None:
        """Raise ``ConfigurationMissing`` unless a job of ``provider`` for ``user`` can authenticate."""
        if provider is Provider.microsoft:
            settings = self._microsoft
            if settings is None or not settings.client_id or not settings.client_secret.get_secret_value():
                raise ConfigurationMissing(
                    f"Microsoft needs {MicrosoftSettings.env_name('client_id')} and "
                    f"{MicrosoftSettings.env_name('client_secret')} (an Azure AD app with Mail.Read, Calendars.Read, Contacts.Read)"
                )
            return
        if provider is Provider.google:
            self.google_credentials(user)
            return
        raise ConfigurationMissing(f"unknown provider {provider.value!r}: use microsoft or google")

    def crawler(self, job: BackfillJob, doc_type: DocType, hooks: CrawlHooks) -> Crawler:
        if job.provider is Provider.microsoft:
            return self._graph_crawler(job, doc_type, hooks)
        return self._google_crawler(job, doc_type, hooks)

    async def aclose(self) -> None:
        if self._graph is not None:
            await self._graph.aclose()

    def graph_client(self) -> GraphClient:
        """The process's one Graph client (built on first use; no network until a request)."""
        if self._microsoft is None:
            raise ConfigurationMissing("Microsoft is not configured (OFFICESTREAM_MICROSOFT_*)")
        if self._graph is None:
            tokens = self._graph_tokens or AppCredentials(self._microsoft)
            self._graph = GraphClient(self._microsoft, tokens, on_throttled=self._graph_throttled)
        return self._graph

    def google_account(self, user: str, *, on_throttled: Callable[[float], None] | None = None) -> GoogleAccount:
        """``user``'s Google clients (blocking: use them from one worker thread)."""
        assert self._google is not None and self._pacer is not None
        return open_account(self._google, self.google_credentials(user), user=user, pacer=self._pacer,
                            on_throttled=on_throttled)

    def _graph_crawler(self, job: BackfillJob, doc_type: DocType, hooks: CrawlHooks) -> Crawler:
        graph = self.graph_client()
        self._graph_hooks[mailbox_ref(job.user_id) or ""] = hooks
        kinds = {DocType.email: GraphMailCrawler, DocType.calendar_event: GraphCalendarCrawler, DocType.contact: GraphContactCrawler}
        return kinds[doc_type](graph, job.user_id, unreadable=hooks.unreadable, since=job.since, until=job.until)

    def _graph_throttled(self, mailbox: str, seconds: float) -> None:
        hooks = self._graph_hooks.get(mailbox)
        if hooks is not None:
            hooks.throttled(seconds)

    def _google_crawler(self, job: BackfillJob, doc_type: DocType, hooks: CrawlHooks) -> Crawler:
        account = self.google_account(job.user_id, on_throttled=hooks.throttled)
        kinds = {DocType.email: GmailCrawler, DocType.calendar_event: GoogleCalendarCrawler, DocType.contact: GoogleContactCrawler}
        return kinds[doc_type](account, unreadable=hooks.unreadable, since=job.since, until=job.until)

    def google_credentials(self, user: str) -> Credentials:
        """A service account acting for ``user`` when one is configured, else the user's own
        refresh token (``ConfigurationMissing`` when there is neither)."""
        settings = self._google
        if settings is None:
            raise ConfigurationMissing("Google is not configured (OFFICESTREAM_GOOGLE_*)")
        if settings.service_account_file is not None:
            return delegated_credentials(settings, subject=user)
        token = self._google_tokens.refresh_token(user)
        if token is None:
            raise ConfigurationMissing(
                f"no Google credentials for this user: set {GoogleSettings.env_name('service_account_file')} "
                "(domain-wide delegation) or give the user's refresh token (--google-refresh-token-file)"
            )
        if not settings.client_id or settings.client_secret is None:
            raise ConfigurationMissing(
                f"a user's refresh token needs {GoogleSettings.env_name('client_id')} and {GoogleSettings.env_name('client_secret')}"
            )
        return user_credentials(settings, token)
