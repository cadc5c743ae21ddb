"""Redis and RQ: the connection, the named queues, and enqueue_after_commit().

Redis is only the transport. Jobs are enqueued after the transaction that owes them commits;
if Redis is down then, the rows stay pending and workers/sweep.py enqueues them later.
"""

import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

INBOUND, OUTBOUND, DEFAULT = "inbound", "outbound", "default"
ALL_QUEUES = (INBOUND, OUTBOUND, DEFAULT)


def redis_url(config) -> str:
    return config["REDIS_URL"] or f"unix://{config['EMBEDDED_REDIS_SOCKET']}"


def connection() -> Redis:
    """One client per app, with short timeouts so an outage fails fast instead of hanging."""
    app = current_app._get_current_object()
    client = app.extensions.get("redis")
    if client is None:
        client = Redis.from_url(redis_url(app.config), socket_timeout=3, socket_connect_timeout=2,
                                health_check_interval=30)
        app.extensions["redis"] = client
    return client


def get_queue(name: str) -> Queue:
    return Queue(name, connection=connection())


def enqueue_after_commit(func, *args, job_id: str, queue: str = DEFAULT, **options) -> None:
    """Schedule a job that runs only if the current transaction commits."""
    from ticketing.extensions import db

    db.session.info.setdefault("after_commit", []).append((queue, func, args, job_id, options))


def enqueue_now(queue: str, func, *args, job_id: str, **options) -> bool:
    """Enqueue outside any transaction; False (and a log line) when Redis is unreachable."""
    try:
        get_queue(queue).enqueue(func, *args, job_id=job_id, **options)
    except RedisError as error:
        log.warning("Redis unavailable (%s); %s left for the sweep", error, job_id)
        return False
    return True


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for queue, func, args, job_id, options in session.info.pop("after_commit", []):
        enqueue_now(queue, func, *args, job_id=job_id, **options)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop("after_commit", None)
