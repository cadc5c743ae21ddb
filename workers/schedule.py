"""Every periodic job, for `python -m workers.scheduler` (RQ's cron scheduler, kept alive through
Redis outages). The scheduler only enqueues; workers do the work.

Each minute (SCHEDULE_INTERVAL_SECONDS): the follow-up pass (promises due, follow-up steps in batches) and the sweep (the
relay of outbox rows whose hold ran out or whose job Redis lost, and inbound rows left
pending); the IMAP poll when a mailbox is set. The pass also owes the breach digests (one per
department per pass, built by a small job it queues behind its batches) and, from 08:00 local
time, each department's daily summary of what stays breached (ticketing/alerts.py). Two schedulers are harmless: every step
and every message is claimed in the database before it is acted on.
"""

from rq import cron

from config import Config
from workers.followups import run_due_followups
from workers.report_rollups import refresh_rollups
from workers.sweep import sweep_stuck

cron.register(
    run_due_followups,
    queue_name="default",
    interval=Config.SCHEDULE_INTERVAL_SECONDS,
    job_timeout=600,
)
cron.register(
    sweep_stuck, queue_name="default", interval=Config.SCHEDULE_INTERVAL_SECONDS, job_timeout=300
)
cron.register(refresh_rollups, queue_name="default", interval=60, job_timeout=600)
if Config.IMAP_HOST:
    from workers.mail import poll_mail

    cron.register(poll_mail, queue_name="inbound", interval=60)
