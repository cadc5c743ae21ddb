"""Periodic work, for `rq cron workers.schedule`. rq cron only enqueues; workers do the work.

One pass a minute: it releases held or stuck outbox rows (workers.sweep), settles promises due
and queues the due follow-up steps in batches. Two rq cron processes are harmless: every step
and every message is claimed in the database before it is acted on.
"""

from rq import cron

from config import Config
from workers.followups import run_due_followups

cron.register(run_due_followups, queue_name="default", interval=60, job_timeout=600)
if Config.IMAP_HOST:
    from workers.mail import poll_mail

    cron.register(poll_mail, queue_name="inbound", interval=60)
