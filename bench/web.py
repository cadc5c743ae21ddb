"""The web tier under gunicorn (2 sync workers, as the peer comparison runs it): the bare
endpoint's ceiling, the customer's web form (GET, then POST with its CSRF token) and the signed
Twilio SMS webhook, each at 8 concurrent clients, with the ratio to the bare endpoint and the
workers' peak resident memory. A ratio, not an absolute rate, is what holds on a busy machine.

    python -m bench.web [--database sqlite|postgresql|URL] [--size N] [--forms N]
"""

import argparse
import itertools
import os
import re
import sys
import threading
import time

import requests
from redis import Redis
from twilio.request_validator import RequestValidator

from bench._data import bench_app, fill, reset_schema
from bench._server import Gunicorn, p99

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CONCURRENCY = 8
FORMS = 2000
BARE_SECONDS = 10
TWILIO_TOKEN = "bench-twilio-token"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM = {
    "name": "Bench Customer",
    "email": "",
    "category": "delivery",
    "subject": "Delivery is late",
    "description": "My delivery to Kisumu is 5 days late.",
    "language": "en",
}


def run(database_url: str, size: int, forms: int = FORMS) -> list[dict]:
    size = min(size, 10_000)  # the peer comparison's web-form size; the form does not scan
    app = bench_app(database_url, REDIS_URL)
    with app.app_context():
        reset_schema()
        fill(size)
    Redis.from_url(REDIS_URL).flushdb()
    env = {"TRUSTED_PROXIES": "1", "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    with Gunicorn(database_url, REDIS_URL, workers=2, env=env) as web:
        memory = _Peak(web)
        bare = _drive(lambda session, n: _bare(web.url, session), BARE_SECONDS, None)
        form = _drive(lambda session, n: _form(web.url, session, n), None, forms)
        sms = _drive(lambda session, n: _sms(web.url, session, n), None, forms)
        memory.stop()
    kind = database_url.split(":", 1)[0].split("+")[0]
    row = {"bench": "web", "database": kind, "size": size}
    return [
        row | {"metric": "bare /healthz", "value": bare.rate, "unit": "req/s", "target": ""},
        row | _rate("web form (GET + POST)", form, bare, "tickets/s", "ratio >= 0.4"),
        row | {"metric": "web form p99", "value": form.p99_ms, "unit": "ms", "target": ""},
        row | {"metric": "web form failures", "value": form.failures, "unit": "", "target": "0"},
        row | _rate("inbound SMS webhook accept", sms, bare, "req/s", ""),
        row | {"metric": "SMS webhook p99", "value": sms.p99_ms, "unit": "ms", "target": ""},
        row | {"metric": "SMS webhook failures", "value": sms.failures, "unit": "", "target": "0"},
        row | {"metric": "web worker peak RSS", "value": memory.mib, "unit": "MiB", "target": ""},
    ]


def _rate(metric: str, measured, bare, unit: str, target: str) -> dict:
    ratio = round(measured.rate / bare.rate, 2) if bare.rate else 0
    return {
        "metric": metric,
        "value": f"{measured.rate} ({ratio} of bare)",
        "unit": unit,
        "target": target,
    }


def _bare(base_url: str, session) -> bool:
    return session.get(f"{base_url}/healthz", timeout=30).status_code in (200, 503)


def _form(base_url: str, session, n: int) -> bool:
    """One customer: the form page, then the post; each from its own address, as customers
    are (the per-address rate limit still runs)."""
    headers = {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
    page = session.get(f"{base_url}/support", headers=headers, timeout=30)
    token = CSRF.search(page.text)
    if page.status_code != 200 or token is None:
        return False
    data = FORM | {"phone": f"+25471{n:07d}", "csrf_token": token.group(1)}
    answer = session.post(
        f"{base_url}/support", data=data, headers=headers, allow_redirects=False, timeout=30
    )
    return answer.status_code == 302


def _sms(base_url: str, session, n: int) -> bool:
    url = f"{base_url}/webhooks/twilio/sms"
    params = {
        "MessageSid": f"SMbench{n:026d}",
        "AccountSid": "ACbench",
        "From": f"+25472{n:07d}",
        "To": "+15005550006",
        "Body": "Friji yangu haipoi",
        "NumMedia": "0",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    answer = session.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
    return answer.status_code == 200


class _Result:
    def __init__(self, took: list[float], failures: int, seconds: float):
        self.failures = failures
        self.rate = round(len(took) / seconds, 1) if seconds else 0
        self.p99_ms = round(p99(took) * 1000)


def _drive(call, seconds: float | None, count: int | None) -> _Result:
    """CONCURRENCY clients calling `call(session, n)` for `seconds`, or `count` calls in all."""
    numbers, lock = itertools.count(), threading.Lock()
    took, failures = [], [0]
    deadline = time.perf_counter() + seconds if seconds else None

    def client():
        session = requests.Session()
        while True:
            with lock:
                n = next(numbers)
            if (count is not None and n >= count) or (deadline and time.perf_counter() > deadline):
                return
            started = time.perf_counter()
            try:
                ok = call(session, n)
            except requests.RequestException:
                ok = False
            with lock:
                took.append(time.perf_counter() - started)
                failures[0] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _Result(took, failures[0], time.perf_counter() - started)


class _Peak:
    """The largest resident memory of any gunicorn worker, sampled every 0.2 s."""

    def __init__(self, web: Gunicorn):
        self.web, self.peak, self.running = web, 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while self.running:
            self.peak = max([self.peak, *self.web.worker_rss()])
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join()
        self.mib = round(self.peak / 2**20, 1)


def main(argv: list[str]) -> int:
    from bench.__main__ import database_url, table

    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--forms", type=int, default=FORMS)
    args = parser.parse_args(argv)
    print(table(run(database_url(args.database), args.size, args.forms)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
