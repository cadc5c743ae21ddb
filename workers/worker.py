"""An RQ worker that runs jobs in its own process and waits out a Redis outage instead of
quitting: `python -m workers.worker [--burst] [queues]`.

Why no fork: rq's default Worker forks a work horse per job, and the horse pays for a new
database connection and an empty statement cache each time (about 150 ms a job, far more than
most jobs take). Here one process keeps one app and one connection pool for its whole life.
Every guarantee is the database's, not the horse's: a job that dies with its worker (SIGKILL,
OOM) left its claim behind, and the claim's time-out, the reconciliation of a doubtful send
(workers/deliver.py) and the sweep finish it. Job time-outs still hold: rq's death penalty
(SIGALRM) interrupts a job that runs too long.

Stock RQ 3.0 retries only while it waits for a job; a connection error anywhere else (the
suspension check, the registry maintenance, the bookkeeping before and after a work horse, the
heartbeat while one runs) ends `Worker.work()` for good. Each of those steps is guarded here:
one log line when Redis goes, back-off from 1 s doubling to 30 s, one line when it is back,
then the loop carries on. Nothing of a job is lost meanwhile: the database holds every claim
(outbox rows, inbound raw rows, follow-up steps) and workers/sweep.py queues again whatever
Redis forgot. Also usable as `rq worker --worker-class workers.worker.ResilientWorker`, but
the rq command line quits when Redis is down at start-up; this module's main() waits.
"""

import contextlib
import logging
import sys
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker, worker_registration
from rq.utils import now
from rq.worker import WorkerStatus

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
FIRST_DELAY, MAX_DELAY = 1.0, 30.0
HEARTBEAT_EVERY = 1.0  # seconds: at most one beat between jobs per second


class RedisOutage:
    """Back-off and the two log lines of one outage, shared by the worker and the scheduler."""

    def __init__(self, log: logging.Logger, on_back=lambda: None):
        self.log, self.on_back = log, on_back
        self.since: float | None = None
        self.delay = FIRST_DELAY

    def note(self, error: Exception) -> float:
        """Record a failure; return how long to wait before the next try."""
        delay = self.delay
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning(
                "Redis unreachable (%s), retrying in %g s, then up to every %g s",
                type(error).__name__,
                delay,
                MAX_DELAY,
            )
        self.delay = min(self.delay * 2, MAX_DELAY)
        return delay

    def over(self) -> None:
        if self.since is not None:
            self.log.warning("Redis is back after %.0f s", time.monotonic() - self.since)
            self.since, self.delay = None, FIRST_DELAY
            self.on_back()

    def retry(self, step, *args, stop=lambda: False):
        """Run `step` until it gets through to Redis (or `stop()` says to give up)."""
        while True:
            try:
                result = step(*args)
            except REDIS_DOWN as error:
                if stop():
                    raise
                time.sleep(self.note(error))
            else:
                self.over()
                return result


class ResilientWorker(SimpleWorker):
    """rq's in-process worker, with every Redis step outside a job retried across an outage."""

    max_connection_wait_time = MAX_DELAY  # rq's own back-off while waiting for a job

    @property
    def outage(self) -> RedisOutage:
        if "_outage" not in self.__dict__:
            self._outage = RedisOutage(self.log, on_back=self._register_again)
        return self._outage

    def _register_again(self) -> None:
        """A restarted Redis may have forgotten us: be listed again (rq info, rq's cleanup)."""
        if self.birth_date is None:  # not registered yet: register_birth will do it
            return
        with contextlib.suppress(*REDIS_DOWN), self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            pipeline.expire(self.key, self.worker_ttl + 60)
            worker_registration.register(self, pipeline)
            pipeline.execute()

    def _stopping(self) -> bool:
        return self._stop_requested

    def register_birth(self):
        self.outage.retry(super().register_birth)

    def subscribe(self):
        self.outage.retry(super().subscribe)

    def set_state(self, state, pipeline=None):
        if pipeline is not None:  # a pipeline only buffers: its execute() is what may fail
            return super().set_state(state, pipeline)
        if state == self._state and state == WorkerStatus.IDLE:
            return None  # rq says idle after a job and again before the next: once is enough
        return self.outage.retry(super().set_state, state, stop=self._stopping)

    def check_for_suspension(self, burst: bool):
        self.outage.retry(super().check_for_suspension, burst)

    def run_maintenance_tasks(self):
        self.outage.retry(super().run_maintenance_tasks, stop=self._stopping)

    def heartbeat(self, timeout=None, pipeline=None):
        """rq beats twice around every dequeue, three round trips each; the worker's key lives
        worker_ttl + 60 s (420 s by default): between jobs, one beat a second is plenty, and
        the three commands go in one pipeline."""
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline)
        if timeout is None and self._beat_recently():
            return None
        return self.outage.retry(self._beat, timeout, stop=self._stopping)

    def _beat_recently(self) -> bool:
        last = self.last_heartbeat
        return last is not None and (now() - last).total_seconds() < HEARTBEAT_EVERY

    def _beat(self, timeout) -> None:
        with self.connection.pipeline() as pipeline:
            super().heartbeat(timeout, pipeline)
            pipeline.execute()

    def execute_job(self, job, queue):
        """A connection error here comes before the job ran (its row is still due, and the
        sweep queues it again) or in rq's bookkeeping after it (what it did is in the
        database): either way wait for Redis and take the next job."""
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as error:
            self.log.warning("job %s: Redis went away around it; the database decides", job.id)
            time.sleep(self.outage.note(error))
            self.outage.retry(self.connection.ping, stop=self._stopping)

    def set_shutdown_requested_date(self):
        try:  # called from the SIGTERM handler: a stop must work during an outage too
            super().set_shutdown_requested_date()
        except REDIS_DOWN:
            self.log.warning("stop requested while Redis is unreachable")

    def teardown(self):
        try:
            super().teardown()
        except REDIS_DOWN as error:
            self.log.warning("stopping without unregistering: Redis unreachable (%s)", error)

    def _pubsub_exception_handler(self, exc, pubsub, pubsub_thread):
        if not isinstance(exc, REDIS_DOWN):
            return super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)
        time.sleep(2.0)  # the main loop reports the outage; the command channel just waits
        return None


def main(argv: list[str]) -> None:
    """Work the queues named in argv (default: all of them) until told to stop, or until they
    are empty with --burst."""
    from ticketing import queues
    from workers.app_job import AppJob, app

    connection = Redis.from_url(queues.redis_url(app.config), socket_connect_timeout=2)
    log = logging.getLogger("rq.worker")
    RedisOutage(log).retry(connection.ping)  # ResilientWorker() itself talks to Redis
    burst = "--burst" in argv
    names = [name for name in argv if name != "--burst"] or list(queues.ALL_QUEUES)
    worker = ResilientWorker(
        [Queue(name, connection=connection, job_class=AppJob) for name in names],
        connection=connection,
        job_class=AppJob,
    )
    worker.work(burst=burst)


if __name__ == "__main__":
    main(sys.argv[1:])
