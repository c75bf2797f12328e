"""A provider emulator: the documented subset of Microsoft Graph / Azure AD and Google's OAuth,
Gmail, Calendar and People APIs, over deterministic synthetic mailboxes.

Microsoft and Google cannot be reached from the development machines, so the real client
libraries (msal, google-auth, google-api-python-client, httpx) run against this server in tests
and in the demo. Run it with ``python -m connectors.emulator``.
"""
