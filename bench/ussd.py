"""The USSD menu under load: gunicorn serving the real app, 8 gateways' worth of concurrent
requests walking every menu path (status, report typed and by SMS, call back, rating, wrong
choices), p50 and p99 of every step and of the final steps that act, and the steps' rate over
that of the bare /healthz at the same concurrency first. Africa's Talking waits a few seconds
for a screen; our target is p99 under 500 ms.

    python -m bench.ussd [--database sqlite|postgresql|URL] [--size N] [--sessions N]

Under `python -m bench` it runs with the others (any module here with `run` is a benchmark).
The requests stay under the USSD ceiling (limits.USSD_PER_IP) from one address.
"""

import argparse
import itertools
import statistics
import sys
import threading
import time
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from redis import Redis
from sqlalchemy import select

from bench._data import REDIS_URL, bench_app, fill, reset_schema
from bench._server import Gunicorn, bare, p99
from ticketing.extensions import db
from ticketing.models import Customer

CONCURRENCY = 8
SESSIONS = 240  # about 800 requests: under the 1200 a minute one address may post
TARGET_MS = 500
SECRET = "bench-ussd"
PATHS = [
    ("1",),
    ("2", "1", "fridge not cooling since yesterday"),
    ("2", "2", "0"),
    ("3",),
    ("4", "4"),
    ("9", "0", "1"),
]


def run(database_url: str, size: int, sessions: int = SESSIONS) -> list[dict]:
    app = bench_app(database_url, REDIS_URL)
    with app.app_context():
        reset_schema()
        fill(size)
        known = db.session.scalars(select(Customer.phone).limit(sessions)).all()
        db.session.remove()
    Redis.from_url(REDIS_URL).flushdb()
    callers = itertools.cycle([*known, *(f"+25479{n:07d}" for n in range(len(known)))])
    work = [(f"ATUid_bench{n}", next(callers), PATHS[n % len(PATHS)]) for n in range(sessions)]
    with Gunicorn(database_url, REDIS_URL, threads=4, env={"AT_WEBHOOK_SECRET": SECRET}) as web:
        healthz = bare(web.url, CONCURRENCY)
        started = time.perf_counter()
        steps, finals, failures = _drive(web.url, work)
        rate = round(len(steps) / (time.perf_counter() - started), 1)
    kind = database_url.split(":", 1)[0].split("+")[0]
    row = {"bench": "ussd", "database": kind, "size": size, "unit": "ms"}
    return [
        row | {"metric": "step p50", "value": _ms(statistics.median(steps)), "target": ""},
        row | {"metric": "step p99", "value": _ms(p99(steps)), "target": f"< {TARGET_MS}"},
        row | {"metric": "acting step p99", "value": _ms(p99(finals)), "target": f"< {TARGET_MS}"},
        row | {"metric": "requests", "value": len(steps), "unit": "", "target": ""},
        row | {"metric": "bare /healthz", "value": healthz.rate, "unit": "req/s", "target": ""},
        row
        | {"metric": "steps", "value": rate, "unit": "req/s", "target": ""}
        | {"ratio": round(rate / healthz.rate, 2) if healthz.rate else 0},
        row | {"metric": "failed requests", "value": failures, "unit": "", "target": "0"},
    ]


def _drive(base_url: str, work: list) -> tuple[list[float], list[float], int]:
    """CONCURRENCY threads, each walking whole sessions step by step, as gateways do."""
    steps, finals, failures, lock = [], [], [0], threading.Lock()
    queue = iter(work)

    def gateway():
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            session_id, phone, path = item
            for depth in range(len(path) + 1):
                text = "*".join(path[:depth])
                took, ok = _post(base_url, session_id, phone, text)
                with lock:
                    steps.append(took)
                    if depth == len(path):
                        finals.append(took)
                    failures[0] += not ok

    threads = [threading.Thread(target=gateway) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return steps, finals, failures[0]


def _post(base_url: str, session_id: str, phone: str, text: str) -> tuple[float, bool]:
    form = {"sessionId": session_id, "serviceCode": "*384*123#", "phoneNumber": phone}
    body = urlencode(form | {"text": text, "networkCode": "63902"}).encode()
    request = Request(f"{base_url}/webhooks/africastalking/ussd?key={SECRET}", data=body)
    started = time.perf_counter()
    try:
        with urlopen(request, timeout=30) as response:
            answer = response.read().decode()
            ok = response.status == 200 and answer.startswith(("CON ", "END "))
    except OSError:  # HTTPError (a 4xx or 5xx) included
        ok = False
    return time.perf_counter() - started, ok


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main(argv: list[str]) -> int:
    from bench.__main__ import database_url, table

    parser = argparse.ArgumentParser(prog="python -m bench.ussd")
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    args = parser.parse_args(argv)
    print(table(run(database_url(args.database), args.size, args.sessions)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
