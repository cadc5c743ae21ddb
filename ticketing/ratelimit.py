"""A fixed-window rate limit in Redis that fails open: an outage must never lose a message."""

import logging
import time

from redis.exceptions import RedisError

from ticketing import queues

log = logging.getLogger(__name__)


def allow(bucket: str, limit: int, per_seconds: int) -> bool:
    """True while `bucket` has made at most `limit` calls in the current window."""
    window = int(time.time() // per_seconds)
    key = f"fuatilia:rl:{bucket}:{window}"
    try:
        redis = queues.connection()
        count = redis.incr(key)
        if count == 1:
            redis.expire(key, per_seconds + 1)
    except RedisError as error:
        log.warning("rate limit store unavailable (%s): allowing %s", error, bucket)
        return True
    return count <= limit
