"""Reading Google's error answers: status, reason and Retry-After, from either shape Google
uses (``error.errors[].reason`` for Gmail / Calendar, ``error.details[].reason`` ErrorInfo and
``error.status`` for People), and mapping them to the project's exceptions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from googleapiclient.errors import HttpError

from connectors.google.exceptions import CursorExpired, GoogleError, GoogleUnavailable, RequestRejected

QUOTA_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class GoogleErrorInfo:
    status: int
    reason: str | None
    message: str
    retry_after_s: float | None = None
    api_status: str | None = None  # People's "FAILED_PRECONDITION" and friends


def describe_http_error(exc: HttpError) -> GoogleErrorInfo:
    status = int(exc.resp.status)
    error = _error_body(exc.content)
    reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)]
    reasons += [d.get("reason") for d in error.get("details", []) if isinstance(d, dict)]
    reason = next((r for r in reasons if isinstance(r, str) and r), None)
    message = str(error.get("message", ""))[:200] or f"HTTP {status}"
    return GoogleErrorInfo(status=status, reason=reason, message=message,
                           retry_after_s=parse_retry_after(exc.resp.get("retry-after")),
                           api_status=error.get("status") if isinstance(error.get("status"), str) else None)


def _error_body(content: bytes | str | None) -> dict[str, Any]:
    try:
        body = json.loads(content or b"{}")
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; unreadable: None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def is_quota(info: GoogleErrorInfo) -> bool:
    return info.status == 429 or (info.status == 403 and info.reason in QUOTA_REASONS)


def is_transient(info: GoogleErrorInfo) -> bool:
    return info.status in TRANSIENT_STATUSES


def is_expired_cursor(info: GoogleErrorInfo, api: str) -> bool:
    """Gmail: 404 on history.list; Calendar: 410; People: 400 EXPIRED_SYNC_TOKEN."""
    if api == "gmail":
        return info.status == 404
    if api == "calendar":
        return info.status == 410
    return info.status == 400 and info.reason == "EXPIRED_SYNC_TOKEN"


def to_exception(info: GoogleErrorInfo, what: str, *, user: str | None) -> GoogleError:
    if is_transient(info) or is_quota(info):
        return GoogleUnavailable(f"{what} failed: {info.message}", status=info.status, reason=info.reason, user=user)
    return RequestRejected(f"{what} refused: {info.message}", status=info.status, reason=info.reason, user=user)


def cursor_expired(info: GoogleErrorInfo, what: str, *, user: str | None) -> CursorExpired:
    return CursorExpired(f"{what}: the sync cursor expired, a full sync is needed", status=info.status,
                         reason=info.reason, user=user)
