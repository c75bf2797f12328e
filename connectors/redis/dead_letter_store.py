"""Dead letters too large for their topic: the original value, kept in Redis by reference.

A poison message can be as large as its topic accepts (larger, once a producer's compression is
undone), and its dead letter adds headers, so it may not fit the dead-letter topic. The worker
then stores the value here under a key of the message's own (a replay writes the same key), for
as long as the dead-letter topic keeps its records, and sends a dead letter that names the key
with the value's size and sha256 (``processors/common/dead_letters.py``).
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from connectors.redis.exceptions import PayloadStoreError, PayloadStoreUnavailable


class DeadLetterStore:
    """Writes the original values of dead letters, and reads them back for the operator's
    tools (``officestream dlq show | replay``). Owns no connection."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def put(self, key: str, value: bytes, *, ttl_ms: int) -> None:
        """Store ``value`` under ``key``. Redis unreachable: ``PayloadStoreUnavailable`` (retry);
        Redis refusing the write (credentials, a read-only replica, out of memory):
        ``PayloadStoreError``, which nothing here can repair."""
        try:
            await self._redis.set(key, value, px=ttl_ms)
        except RedisError as exc:
            raise _failure("store", key, exc) from exc

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key`` (None once it expired); errors as ``put``'s."""
        try:
            return await self._redis.get(key)
        except RedisError as exc:
            raise _failure("read", key, exc) from exc


def _failure(action: str, key: str, exc: RedisError) -> PayloadStoreError:
    """An outage is ``PayloadStoreUnavailable``; a refusal (credentials are a ConnectionError
    to redis-py, but no outage) is ``PayloadStoreError``."""
    message = f"cannot {action} {key}: {type(exc).__name__}: {exc}"
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)) and not isinstance(exc, AuthenticationError):
        return PayloadStoreUnavailable(message)
    return PayloadStoreError(message)
