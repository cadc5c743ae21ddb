"""Periodic work, for `rq cron workers.schedule`. rq cron only enqueues; workers do the work."""

from rq import cron

from config import Config
from workers.followups import run_due_followups
from workers.sweep import sweep_stuck

cron.register(run_due_followups, queue_name="default", interval=60)
cron.register(sweep_stuck, queue_name="default", interval=60)
if Config.IMAP_HOST:
    from workers.mail import poll_mail

    cron.register(poll_mail, queue_name="inbound", interval=60)
