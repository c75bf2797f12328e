"""Errors of the live sync (part of the producers' tree: ``producers/exceptions.py``)."""

from __future__ import annotations

from producers.exceptions import ProducerError


class ProviderNotConfigured(ProducerError):
    """A provider's settings are missing: the message names them. Retried with backoff (an
    operator may fix the settings and restart), never a reason to drop the sync."""

