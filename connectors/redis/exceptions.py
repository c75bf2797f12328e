"""Errors of the Redis payload store, split by what a reader should do about them.

- ``PayloadStoreUnavailable`` (``retriable``): Redis or the content endpoint is down, loading,
  failing over or overloaded. Retry; the message is fine.
- ``PayloadUnusable``: the reference or what it leads to is bad (missing, corrupt, of the wrong
  Redis type, not tied to its event). Poison: dead-letter with the reason.
- ``PayloadStoreMisconfigured``: Redis refused our credentials or rights. Stop the process.
- ``PayloadStoreError`` itself: an error nobody classified yet (an unknown Redis reply).
"""

from __future__ import annotations


class PayloadStoreError(Exception):
    """Base of every payload-store error."""

    retriable = False


class PayloadStoreUnavailable(PayloadStoreError):
    """Redis or the content endpoint could not be reached or cannot serve now; trying again later may work."""

    retriable = True


class PayloadStoreMisconfigured(PayloadStoreError):
    """Redis refused our credentials or their rights (NOAUTH, WRONGPASS, NOPERM): a configuration
    error that neither retrying nor dead-lettering fixes. The message names the settings."""


class PayloadUnusable(PayloadStoreError):
    """The reference, or the payload it leads to, can never be used: the message is poison."""


class PayloadMissing(PayloadUnusable):
    """The key expired and the content endpoint no longer has the document either."""


class PayloadCorrupt(PayloadUnusable):
    """The stored bytes do not match the reference's sha256 or size, do not decode, are not the
    referenced document, or the key holds another Redis type (WRONGTYPE)."""


class PayloadRefused(PayloadUnusable):
    """The reference is not one this event may use (another user's key, another doc type or
    document, larger than the limit): refused before anything is fetched."""
