"""What a Redis error means for a payload read or write: wait, give up on the message, or stop.

redis-py raises one ``RedisError`` tree for very different situations, and retrying all of them
forever (as this store once did) lets one bad key stall a worker for good:

- The key holds another Redis type (``WRONGTYPE``): the data under that key is wrong, and no
  retry changes it. ``PayloadCorrupt``: the message is poison.
- Connection-level trouble (refused, reset, timeout, a broken reply) and a server that cannot
  serve now (``LOADING`` its dataset, ``BUSY`` with a script, ``TRYAGAIN`` / ``CLUSTERDOWN`` /
  ``MASTERDOWN`` during resharding or failover, ``OOM`` until keys expire, too many clients):
  ``PayloadStoreUnavailable``, retried.
- ``READONLY``: the node we are connected to is a replica, which happens for a while during a
  failover, until the client reaches the new primary: retried like the above. A URL that names a
  replica for good shows up as a worker stalled on one message (the workers' stall signal).
- ``NOAUTH``, ``WRONGPASS``, ``NOPERM``: our password or ACL is wrong, for every key alike.
  Neither a retry nor a dead letter helps, so ``PayloadStoreMisconfigured`` stops the worker
  with the settings to check (after a password change the worker is restarted with the new one).
- Anything else (an unknown reply): ``PayloadStoreError``, which the workers treat as an
  unexpected error (a few attempts, then the dead-letter topic with this message).
"""

from __future__ import annotations

from redis import exceptions as redis_errors

from connectors.redis.exceptions import PayloadCorrupt, PayloadStoreError, PayloadStoreMisconfigured, PayloadStoreUnavailable

_MISCONFIGURED = (redis_errors.AuthenticationError, redis_errors.AuthorizationError, redis_errors.NoPermissionError)
_UNAVAILABLE = (
    redis_errors.ConnectionError,  # also BusyLoadingError (LOADING), MaxClientsReachedError
    redis_errors.TimeoutError,
    redis_errors.InvalidResponse,
    redis_errors.ReadOnlyError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,  # also MasterDownError
    redis_errors.OutOfMemoryError,
)
#: Reply prefixes redis-py leaves as a plain ResponseError.
_UNAVAILABLE_REPLIES = frozenset({"BUSY", "LOADING", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "OOM"})
_KEY_REPLIES = frozenset({"WRONGTYPE"})
_MISCONFIGURED_REPLIES = frozenset({"NOAUTH", "WRONGPASS", "NOPERM"})


def redis_failure(what: str, exc: redis_errors.RedisError) -> PayloadStoreError:
    """The payload-store error for ``exc``, met while doing ``what`` (e.g. "cannot read <key>")."""
    reply = str(exc).split(" ", 1)[0]
    described = f"{what}: {type(exc).__name__}: {exc}"
    if isinstance(exc, _MISCONFIGURED) or reply in _MISCONFIGURED_REPLIES:
        return PayloadStoreMisconfigured(
            f"{described}: Redis refused our credentials or rights; check OFFICESTREAM_REDIS_PASSWORD and the ACL of that user"
        )
    if reply in _KEY_REPLIES:
        return PayloadCorrupt(f"{what}: the key holds another Redis type than a payload: {exc}")
    if isinstance(exc, _UNAVAILABLE) or reply in _UNAVAILABLE_REPLIES:
        return PayloadStoreUnavailable(described)
    return PayloadStoreError(f"{described} (an unexpected Redis reply)")
