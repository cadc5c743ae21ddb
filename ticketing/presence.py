"""Who is looking at a ticket right now, and who is typing a reply: ephemeral Redis keys.

One hash per ticket, `fuatilia:presence:ticket:<id>`, user id -> "<state> <unix time> <name>".
Each poll of the ticket page (every few seconds) rewrites the caller's entry and the key's TTL;
an entry older than TTL seconds is a page that was closed, and is dropped when read. Redis is
transport only: when it is down, nobody is shown as present, and nothing else is lost.
The time is the real clock, not hours.now(): presence is about this second, never business time.
"""

import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from ticketing import queues

log = logging.getLogger(__name__)

TTL = 15  # seconds: three missed polls and a viewer is gone
VIEWING, TYPING = "viewing", "typing"


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    state: str


def key(ticket_id: int) -> str:
    return f"fuatilia:presence:ticket:{ticket_id}"


def record(ticket_id: int, user, state: str) -> bool:
    """Note that `user` has the ticket open (and is typing, or not); False if Redis is down."""
    state = TYPING if state == TYPING else VIEWING
    name = (user.name or user.email or "someone").replace("\n", " ")
    try:
        pipe = queues.connection().pipeline()
        pipe.hset(key(ticket_id), str(user.id), f"{state} {time.time():.0f} {name}")
        pipe.expire(key(ticket_id), TTL)
        pipe.execute()
    except RedisError as error:
        log.warning("presence not recorded (Redis: %s)", error)
        return False
    return True


def viewers(ticket_id: int, *, besides: int | None = None) -> list[Viewer]:
    """Everyone with the ticket open in the last TTL seconds, but `besides` (oneself)."""
    try:
        entries = queues.connection().hgetall(key(ticket_id))
    except RedisError as error:
        log.warning("presence unknown (Redis: %s)", error)
        return []
    fresh, stale = [], []
    for raw_id, raw in entries.items():
        viewer, at = _parse(raw_id, raw)
        if viewer is None or at < time.time() - TTL:
            stale.append(raw_id)
        elif viewer.user_id != besides:
            fresh.append(viewer)
    if stale:
        _forget(ticket_id, stale)
    return sorted(fresh, key=lambda viewer: viewer.name)


def _parse(raw_id: bytes, raw: bytes) -> tuple[Viewer | None, float]:
    try:
        state, at, name = raw.decode().split(" ", 2)
        return Viewer(int(raw_id), name, state), float(at)
    except (UnicodeDecodeError, ValueError):
        return None, 0.0


def _forget(ticket_id: int, fields: list) -> None:
    try:
        queues.connection().hdel(key(ticket_id), *fields)
    except RedisError as error:
        log.warning("presence not cleared (Redis: %s)", error)
