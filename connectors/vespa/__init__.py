"""Vespa: document ids and feed operations, the /document/v1 feed client and the JSONL file mode."""

from connectors.vespa.exceptions import (
    DocumentRejected,
    FeedFileError,
    InvalidDocumentId,
    VespaConfigurationError,
    VespaError,
    VespaInsufficientStorage,
    VespaThrottled,
    VespaUnavailable,
)
from connectors.vespa.feed import FeedClient, create_feed_client
from connectors.vespa.file_feed import FileFeedClient
from connectors.vespa.http_feed import HttpFeedClient
from connectors.vespa.operations import (
    DocumentId,
    FeedOperation,
    FeedOutcome,
    FeedResult,
    OperationKind,
)
from connectors.vespa.settings import VespaSettings

__all__ = [
    "DocumentId", "DocumentRejected", "FeedClient", "FeedFileError", "FeedOperation", "FeedOutcome", "FeedResult",
    "FileFeedClient", "HttpFeedClient", "InvalidDocumentId", "OperationKind", "VespaConfigurationError", "VespaError",
    "VespaInsufficientStorage", "VespaSettings", "VespaThrottled", "VespaUnavailable", "create_feed_client",
]
