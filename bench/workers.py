"""Workers end to end: inbound SMS filed as tickets, each acknowledgment handed over, by two
worker processes. rq's stock forking worker (a work horse per job) against ours (one process,
one app, one connection pool): the per-job overhead issue 14 measured."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from redis import Redis
from sqlalchemy import func, select

from bench._data import bench_app, reset_schema
from ticketing import inbound
from ticketing.extensions import db
from ticketing.models import Department, Outbox, Ticket
from ticketing.models.enums import Channel, OutboxStatus

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 600
WORKERS = 2
REDIS_URL = "redis://127.0.0.1:6379/14"
MODES = {
    "stock rq worker (fork per job)": [
        str(Path(sys.executable).parent / "rq"),
        "worker",
        "--burst",
        "--url",
        REDIS_URL,
        "--job-class",
        "workers.app_job.AppJob",
        "inbound",
        "outbound",
        "default",
    ],
    "python -m workers.worker": [sys.executable, "-m", "workers.worker", "--burst"],
}


def run(database_url: str, size: int) -> list[dict]:
    app = bench_app(database_url, REDIS_URL)
    kind = database_url.split(":", 1)[0].split("+")[0]
    rows = []
    for mode, command in MODES.items():
        with app.app_context():
            reset_schema()
            Redis.from_url(REDIS_URL).flushdb()
            db.session.add(Department(name="General", is_default=True))
            for index in range(MESSAGES):
                phone = f"+2547{index:08d}"
                payload = urlencode(
                    {"From": phone, "Body": "Fridge not cooling", "MessageSid": f"SM{index:032d}"}
                )
                inbound.store(Channel.SMS, f"SM{index:032d}", payload.encode(), "bench")
            db.session.commit()  # queues MESSAGES process_inbound jobs
        took = _work(command, database_url)
        with app.app_context():
            filed = db.session.scalar(select(func.count(Ticket.id)))
            handed = db.session.scalar(
                select(func.count(Outbox.id)).where(Outbox.status != OutboxStatus.PENDING)
            )
        rows.append(_row(kind, mode, "SMS filed and acknowledged per s", filed / took, ">= 300"))
        rows.append(
            _row(
                kind,
                mode,
                "tickets filed / acknowledgments handed over",
                f"{filed} / {handed}",
                MESSAGES,
            )
        )
    return rows


def _work(command: list[str], database_url: str) -> float:
    """Seconds for WORKERS processes to drain every queue (each exits when all are empty)."""
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench",
        "SMS_BACKEND": "console",
        "MAIL_BACKEND": "console",
        "AUTO_MESSAGES_PER_HOUR": "1000",
    }
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(WORKERS)
    ]
    for process in processes:
        process.wait(timeout=1800)
    return time.perf_counter() - started


def _row(kind: str, mode: str, metric: str, value, target) -> dict:
    value = round(value, 1) if isinstance(value, float) else value
    return {
        "bench": f"workers: {mode}",
        "database": kind,
        "size": MESSAGES,
        "metric": metric,
        "value": value,
        "unit": "",
        "target": target,
    }
