"""Errors of the Redis payload store, split into retriable and fatal."""

from __future__ import annotations


class PayloadStoreError(Exception):
    """Base of every payload-store error."""

    retriable = False


class PayloadStoreUnavailable(PayloadStoreError):
    """Redis or the content endpoint could not be reached; trying again later may work."""

    retriable = True


class PayloadMissing(PayloadStoreError):
    """The key expired and the content endpoint no longer has the document either."""


class PayloadCorrupt(PayloadStoreError):
    """The stored bytes do not match the reference's sha256 or size, or do not decode."""
