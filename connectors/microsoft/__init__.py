"""Microsoft 365 through Azure AD (msal) and Microsoft Graph (httpx).

- ``settings``: ``MicrosoftSettings`` (``OFFICESTREAM_MICROSOFT_*``).
- ``auth``: ``AppCredentials`` (app-only) and ``DelegatedCredentials`` (per-user, refreshing);
  a revoked grant raises ``ReauthRequired``.
- ``graph_client``: ``GraphClient`` (retries, Retry-After, per-mailbox concurrency, paging).
- ``delta``: delta rounds for messages per folder, the folder tree, a calendarView window and
  contacts; an expired link resyncs.
- ``subscriptions`` / ``notifications``: change-notification subscriptions, the validation
  handshake, typed change and lifecycle notifications, the clientState check.
- ``normalize``: Graph JSON to the canonical ``Email`` / ``CalendarEvent`` / ``Contact``.
- ``exceptions``: one tree, each error ``retriable`` or not.
"""
