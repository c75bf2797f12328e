"""The one feed interface the vespa-loader uses, and the factory that picks HTTP or file mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connectors.vespa.file_feed import FileFeedClient
from connectors.vespa.http_feed import HttpFeedClient
from connectors.vespa.operations import FeedOperation, FeedResult
from connectors.vespa.settings import VespaSettings


class FeedClient(Protocol):
    async def feed(self, operations: Sequence[FeedOperation]) -> list[FeedResult]:
        """Apply ``operations`` durably; one result each, in order. Raises a retriable
        ``VespaError`` when they cannot all get a final answer (retry the whole call)."""
        ...

    async def aclose(self) -> None: ...


def create_feed_client(settings: VespaSettings) -> FeedClient:
    """HTTP when ``OFFICESTREAM_VESPA_URL`` is set, otherwise the JSONL feed file."""
    if settings.mode == "http":
        return HttpFeedClient(settings)
    return FileFeedClient(settings.feed_file)
