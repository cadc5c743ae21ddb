"""Soak: mixed traffic at a bounded rate on loopback for BENCH_SOAK_SECONDS (default 600; 60
is a quick run), to show the processes' memory does not grow and nothing is lost.

gunicorn (2 workers) and two RQ workers (`python -m workers.worker`) on PostgreSQL; CLIENTS
clients each send, in turn, a web form (GET + POST), an inbound SMS signed as Twilio signs it,
a relayed email and an agent's queue page (signed in), pausing PAUSE s between requests.
Every SAMPLE_EVERY s the resident memory of each web and RQ worker is read; its growth is
from the minute after the warm-up (the first minute) to the last minute, each window's
highest reading (half of a shorter run for each).
After the traffic the workers drain, and every SMS and email that was answered 200 must be
exactly one ticket."""

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from redis import Redis
from sqlalchemy import func, select

from bench._data import PASSWORD, REDIS_URL, bench_app, fill, reset_schema
from bench._memory import RQ, WEB, snapshot
from bench._server import Gunicorn, drive
from bench.web import CSRF, TWILIO_TOKEN, post_sms, submit_form
from ticketing.extensions import db
from ticketing.models import Customer, InboundRaw, Ticket, User
from ticketing.models.enums import InboundStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fakes.processes import WORKER, Service, wait_for  # noqa: E402 - the tests' helpers
from test_scale_out import email_request  # noqa: E402 - the scale-out test's email

DATABASES = ("postgresql",)  # production's shape; SQLite is the one-process demo
RUN = "once"
SECONDS = float(os.environ.get("BENCH_SOAK_SECONDS", 600))
CLIENTS = 4
PAUSE = 0.25  # s between one client's requests: at most CLIENTS / PAUSE requests a second
SAMPLE_EVERY = 5
GROWTH_TARGET = 10  # % after the warm-up
SECRET = "bench-inbound-secret"


def run(database_url: str, size: int) -> list[dict]:
    size = min(size, 10_000)  # what the soak measures is the processes, not the table
    app = bench_app(database_url)
    with app.app_context():
        reset_schema()
        agent = db.session.get(User, fill(size)["agent_id"]).email
    Redis.from_url(REDIS_URL).flushdb()
    env = {"TRUSTED_PROXIES": "1", "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    env |= {"INBOUND_EMAIL_SECRET": SECRET, "AUTO_MESSAGES_PER_HOUR": "100000"}
    folder = Path(tempfile.mkdtemp(prefix="fuatilia-soak-"))
    answered = {"sms": [], "email": []}
    with Gunicorn(database_url, REDIS_URL, workers=2, env=env) as web:
        workers = [
            Service(f"worker{i}", WORKER, os.environ | web.env, folder).start() for i in (1, 2)
        ]
        try:
            wait_for(lambda: Redis.from_url(REDIS_URL).scard("rq:workers") >= 2, 120, "workers")
            memory = _Samples()
            traffic = drive(_mixed(web.url, agent, answered), CLIENTS, SECONDS, None)
            memory.stop()
            with app.app_context():
                wait_for(_drained, 300, "the workers to drain")
                lost, twice = _filed_once(answered)
        finally:
            for worker in workers:
                worker.stop()
    kind = database_url.split(":", 1)[0].split("+")[0]
    row = {"bench": f"soak {SECONDS:g} s", "database": kind, "size": size, "unit": ""}
    rows = [
        row | {"metric": "requests", "value": traffic.requests, "target": ""},
        row | {"metric": "errors", "value": traffic.failures, "target": "0"},
        row | {"metric": "SMS / emails answered", "value": _answered(answered), "target": ""},
        row
        | {"metric": "SMS and emails lost / filed twice", "value": f"{lost} / {twice}"}
        | {"target": "0 / 0"},
    ]
    return rows + memory.rows(row)


def _mixed(base_url: str, agent: str, answered: dict):
    """The call `drive` makes: request n is a form, an SMS, an email or a queue page."""

    def call(session, n: int) -> bool:
        what = n % 4
        if what == 0:
            ok = submit_form(base_url, session, n)
        elif what == 1:
            ok = post_sms(base_url, session, n)
            if ok:
                answered["sms"].append(f"+25472{n:07d}")
        elif what == 2:
            ok = _email(base_url, session, n)
            if ok:
                answered["email"].append(f"soak{n}@customers.example")
        else:
            ok = _queue_page(base_url, session, agent)
        time.sleep(PAUSE)
        return ok

    return call


def _email(base_url: str, session, n: int) -> bool:
    mail = email_request(base_url, n, f"soak{n}@customers.example", SECRET)
    answer = session.post(mail["url"], data=mail["data"], headers=mail["headers"], timeout=30)
    return answer.status_code == 200


def _queue_page(base_url: str, session, agent: str) -> bool:
    """The agent's first queue page, signing in first if this client's session is not."""
    page = session.get(f"{base_url}/agent/?view=departments", timeout=30, allow_redirects=False)
    if page.status_code == 302:
        login = session.get(f"{base_url}/auth/login", timeout=30)
        token = CSRF.search(login.text)
        form = {"email": agent, "password": PASSWORD, "csrf_token": token and token.group(1)}
        session.post(f"{base_url}/auth/login", data=form, timeout=30, allow_redirects=False)
        page = session.get(f"{base_url}/agent/?view=departments", timeout=30)
    return page.status_code == 200


def _drained() -> bool:
    db.session.rollback()  # a fresh snapshot each poll
    pending = select(func.count(InboundRaw.id)).where(InboundRaw.status == InboundStatus.PENDING)
    return db.session.scalar(pending) == 0


def _filed_once(answered: dict) -> tuple[int, int]:
    """(answered SMS and emails with no ticket, those with more than one)."""
    who = func.coalesce(Customer.phone, Customer.email)
    tickets = Counter(
        dict(
            db.session.execute(
                select(who, func.count(Ticket.id))
                .join(Ticket, Ticket.customer_id == Customer.id)
                .where(who.in_(answered["sms"] + answered["email"]))
                .group_by(who)
            ).all()
        )
    )
    everyone = answered["sms"] + answered["email"]
    return sum(tickets[w] == 0 for w in everyone), sum(tickets[w] > 1 for w in everyone)


def _answered(answered: dict) -> str:
    return f"{len(answered['sms'])} / {len(answered['email'])}"


class _Samples:
    """Every web and RQ worker's resident memory each SAMPLE_EVERY s, by pid."""

    def __init__(self):
        self.started, self.series = time.monotonic(), {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while True:
            at = time.monotonic() - self.started
            for what, pid, rss in snapshot():
                if what in (WEB, RQ):
                    self.series.setdefault((what, pid), []).append((at, rss))
            if self._stop.wait(SAMPLE_EVERY):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def rows(self, row: dict) -> list[dict]:
        """Per kind: the largest worker in the minute after the warm-up and in the last minute
        (half of a shorter run each), and the largest growth of one worker between the two.
        A window's highest sample, not one sample: a worker's RSS falls back after a big
        page, and one reading could fall on either side of that."""
        window = min(60, SECONDS / 2)
        rows = []
        for what in (WEB, RQ):
            pairs = []
            for (kind, _), samples in self.series.items():
                last = samples[-1][0]
                first = [rss for at, rss in samples if window <= at < 2 * window]
                final = [rss for at, rss in samples if at >= last - window]
                if kind == what and first:
                    pairs.append((max(first), max(final)))
            if not pairs:
                continue
            growth = max((end - warm) / warm * 100 for warm, end in pairs)
            rows += [
                _memory_row(row, f"{what} RSS after warm-up ({window:g} s), largest", pairs, 0),
                _memory_row(row, f"{what} RSS in the last {window:g} s, largest", pairs, 1),
                row
                | {"metric": f"{what} RSS growth after warm-up, largest", "value": round(growth, 1)}
                | {"unit": "%", "target": f"< {GROWTH_TARGET}"},
            ]
        return rows


def _memory_row(row: dict, metric: str, pairs: list[tuple[int, int]], which: int) -> dict:
    mib = round(max(pair[which] for pair in pairs) / 2**20, 1)
    return row | {"metric": metric, "value": mib, "unit": "MiB", "target": ""}
