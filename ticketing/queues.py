"""Redis and RQ: the connection, the named queues, and enqueue_after_commit().

Redis is only the transport. Jobs are enqueued after the transaction that owes them commits;
if Redis is down then, the rows stay pending and workers/sweep.py enqueues them later.
"""

import logging
from dataclasses import dataclass

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

INBOUND, OUTBOUND, DEFAULT = "inbound", "outbound", "default"
ALL_QUEUES = (INBOUND, OUTBOUND, DEFAULT)


@dataclass(frozen=True)
class JobRef:
    """A kind of job: its function (a dotted path, so the web never imports the workers), its
    queue, and the one job-id scheme: `<prefix>-<key>`, the key being the record it works on."""

    func: str
    queue: str
    prefix: str

    def job_id(self, key) -> str:
        return f"{self.prefix}-{key}"


DELIVER = JobRef("workers.deliver.deliver", OUTBOUND, "outbox")
PROCESS_INBOUND = JobRef("workers.inbound.process_inbound", INBOUND, "inbound")
FOLLOW_UP_BATCH = JobRef("workers.followups.run_batch", DEFAULT, "followups")


def redis_url(config) -> str:
    return config["REDIS_URL"] or f"unix://{config['EMBEDDED_REDIS_SOCKET']}"


def connection() -> Redis:
    """One client per app, with short timeouts so an outage fails fast instead of hanging."""
    app = current_app._get_current_object()
    client = app.extensions.get("redis")
    if client is None:
        client = Redis.from_url(
            redis_url(app.config),
            socket_timeout=3,
            socket_connect_timeout=2,
            health_check_interval=30,
        )
        app.extensions["redis"] = client
    return client


def get_queue(name: str) -> Queue:
    return Queue(name, connection=connection())


def enqueue_after_commit(job: JobRef, *args, **options) -> None:
    """Schedule `job` only if the current transaction commits (options as enqueue_now's)."""
    from ticketing.extensions import db

    db.session.info.setdefault("after_commit", []).append((job, args, options))


def enqueue(job: JobRef, *args, key=None, **options) -> None:
    """Put `job` on its queue now, its id made from `key` (default: the first argument, the
    record it works on); raises RedisError, and DuplicateJobError for a unique job queued."""
    job_id = job.job_id(args[0] if key is None else key)
    get_queue(job.queue).enqueue(job.func, *args, job_id=job_id, **options)


def enqueue_now(job: JobRef, *args, **options) -> bool:
    """Enqueue outside any transaction; False (and a log line) when Redis is unreachable."""
    try:
        enqueue(job, *args, **options)
    except RedisError as error:
        log.warning("Redis unavailable (%s); %s %s left for the sweep", error, job.prefix, args[:1])
        return False
    return True


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    """SQLAlchemy says "after_commit" for a released SAVEPOINT too: those jobs wait for the
    real commit, or a worker would look for rows nobody else can see yet."""
    if session.in_nested_transaction():
        return
    for job, args, options in session.info.pop("after_commit", []):
        enqueue_now(job, *args, **options)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    """A whole transaction rolled back owes nothing. A SAVEPOINT rolled back keeps what was owed
    before it; a job it added finds no row and ends (every job reads its row first)."""
    if session.in_nested_transaction():
        return
    session.info.pop("after_commit", None)
