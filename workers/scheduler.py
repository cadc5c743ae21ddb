"""The periodic jobs of workers/schedule.py, queued by a scheduler that outlives Redis outages:
`python -m workers.scheduler` (instead of `rq cron workers.schedule`).

RQ 3.0's CronScheduler.start() ends the process at the first connection error, so an outage
that covers a minute tick stopped every follow-up pass and sweep until someone restarted it.
This one uses the same CronScheduler (the same registrations, registry and heartbeat that
`rq cron` shows), and on a connection error logs once, backs off (1 s doubling to 30 s) and
goes on; a job due during the outage is queued as soon as Redis is back, once.
"""

import time

from redis import Redis
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from workers.worker import REDIS_DOWN, RedisOutage

SCHEDULE = "workers.schedule"


class ResilientCronScheduler(CronScheduler):
    """CronScheduler whose loop waits out Redis outages instead of ending."""

    def start(self):
        self.log.info("CronScheduler %s: starting (waits out Redis outages)", self.name)
        outage = RedisOutage(self.log)
        self._install_signal_handlers()
        try:
            outage.retry(self.register_birth)
            while True:
                try:
                    self._tick()
                except REDIS_DOWN as error:
                    time.sleep(outage.note(error))
                    continue
                outage.over()
                time.sleep(max(self.calculate_sleep_interval(), 0.1))
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            self._unregister()

    def _tick(self) -> None:
        """Queue what is due, then save the timings and beat. A job is marked queued only once
        its enqueue succeeded, so a tick cut short by an outage queues the rest next time."""
        if self.enqueue_jobs():
            self.save()
        self.heartbeat()

    def _unregister(self) -> None:
        try:
            self.register_death()
        except REDIS_DOWN as error:
            self.log.warning("stopping without unregistering: Redis unreachable (%s)", error)
        self.log.info("CronScheduler %s: shutdown complete", self.name)


def main() -> None:
    from config import Config
    from ticketing import queues

    settings = {
        "REDIS_URL": Config.REDIS_URL,
        "EMBEDDED_REDIS_SOCKET": Config.EMBEDDED_REDIS_SOCKET,
    }
    connection = Redis.from_url(
        queues.redis_url(settings), socket_connect_timeout=2, socket_timeout=10
    )
    scheduler = ResilientCronScheduler(connection=connection)
    scheduler.load_config_from_file(SCHEDULE)
    scheduler.start()


if __name__ == "__main__":
    main()
