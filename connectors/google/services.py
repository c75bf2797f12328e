"""googleapiclient ``Resource`` objects for Gmail v1, Calendar v3 and People v1, built from the
discovery documents shipped in the package (``static_discovery=True``: no network at build).

How ``client_options.api_endpoint`` composes: it *replaces* ``rootUrl + servicePath`` and
method paths are joined to it. Gmail's and People's servicePath is empty and their method
paths carry the version (``gmail/v1/users/...``, ``v1/{+resourceName}/connections``), so the
bare emulator URL works; Calendar's servicePath is ``calendar/v3/`` and its paths are relative
(``calendars/{calendarId}/events``), so the endpoint must carry it. The batch URI is not
derived from ``api_endpoint`` at all (googleapiclient builds it from ``rootUrl``; upstream issue
#1107), so Gmail batches are built here with an explicit ``batch_uri``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from connectors.google.settings import GoogleSettings

#: (API, version) -> (Google's base URL, servicePath the endpoint override must carry)
_APIS = {
    ("gmail", "v1"): ("https://gmail.googleapis.com/", ""),
    ("calendar", "v3"): ("https://www.googleapis.com/calendar/v3/", "calendar/v3/"),
    ("people", "v1"): ("https://people.googleapis.com/", ""),
}
GMAIL_BATCH_PATH = "batch/gmail/v1"


def api_endpoint(settings: GoogleSettings, api: str, version: str) -> str | None:
    """The ``api_endpoint`` override for one API, or None for Google's own."""
    if settings.api_endpoint is None:
        return None
    return f"{settings.api_endpoint}/{_APIS[(api, version)][1]}"


def gmail_batch_uri(settings: GoogleSettings) -> str:
    base = settings.api_endpoint or _APIS[("gmail", "v1")][0].rstrip("/")
    return f"{base}/{GMAIL_BATCH_PATH}"


def authorized_http(credentials: Credentials, settings: GoogleSettings) -> google_auth_httplib2.AuthorizedHttp:
    """An httplib2 transport that adds the bearer token and refreshes it on 401. One per
    client: httplib2 connections are not thread-safe."""
    return google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=settings.http_timeout_s))


@dataclass(frozen=True, slots=True)
class GoogleServices:
    """The three discovery-built clients of one user, sharing one authorized transport."""

    gmail: Any
    calendar: Any
    people: Any
    gmail_batch_uri: str

    def new_gmail_batch(self) -> BatchHttpRequest:
        return BatchHttpRequest(batch_uri=self.gmail_batch_uri)


def build_services(credentials: Credentials, settings: GoogleSettings) -> GoogleServices:
    http = authorized_http(credentials, settings)

    def service(api: str, version: str) -> Any:
        endpoint = api_endpoint(settings, api, version)
        options = {"api_endpoint": endpoint} if endpoint else None
        return build(api, version, http=http, static_discovery=True, cache_discovery=False, client_options=options)

    return GoogleServices(
        gmail=service("gmail", "v1"),
        calendar=service("calendar", "v3"),
        people=service("people", "v1"),
        gmail_batch_uri=gmail_batch_uri(settings),
    )
