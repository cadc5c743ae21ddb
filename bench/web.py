"""The web tier under gunicorn (2 sync workers, as the peer comparison runs it): the bare
endpoint's ceiling, the customer's web form (GET, then POST with its CSRF token) and the signed
Twilio SMS webhook, each at 8 concurrent clients, with the ratio to the bare endpoint measured
at the same concurrency first. A ratio, not an absolute rate, is what holds on a busy machine.
The workers' peak memory is sampled by bench/__main__.py.

    python -m bench.web [--database sqlite|postgresql|URL] [--size N] [--forms N]
"""

import argparse
import re
import sys

from redis import Redis
from twilio.request_validator import RequestValidator

from bench._data import REDIS_URL, bench_app, fill, reset_schema
from bench._server import Gunicorn, bare, drive

CONCURRENCY = 8
FORMS = 2000
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
        healthz = bare(web.url, CONCURRENCY)
        form = drive(lambda session, n: submit_form(web.url, session, n), CONCURRENCY, None, forms)
        sms = drive(lambda session, n: post_sms(web.url, session, n), CONCURRENCY, None, forms)
    kind = database_url.split(":", 1)[0].split("+")[0]
    row = {"bench": "web", "database": kind, "size": size}
    return [
        row | {"metric": "bare /healthz", "value": healthz.rate, "unit": "req/s", "target": ""},
        row | _rate("web form (GET + POST)", form, healthz, "tickets/s", "ratio >= 0.4"),
        row | {"metric": "web form p99", "value": form.p99_ms, "unit": "ms", "target": ""},
        row | {"metric": "web form failures", "value": form.failures, "unit": "", "target": "0"},
        row | _rate("inbound SMS webhook accept", sms, healthz, "req/s", ""),
        row | {"metric": "SMS webhook p99", "value": sms.p99_ms, "unit": "ms", "target": ""},
        row | {"metric": "SMS webhook failures", "value": sms.failures, "unit": "", "target": "0"},
    ]


def _rate(metric: str, measured, healthz, unit: str, target: str) -> dict:
    return {
        "metric": metric,
        "value": measured.rate,
        "unit": unit,
        "target": target,
        "ratio": measured.ratio(healthz),
    }


def submit_form(base_url: str, session, n: int) -> bool:
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


def post_sms(base_url: str, session, n: int) -> bool:
    """One signed inbound SMS, from one of 64 addresses: Twilio posts from many, and one
    address's ceiling (limits.WEBHOOK_PER_IP) is below this bench's rate."""
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
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-For": f"10.72.0.{n % 64}"}
    answer = session.post(url, data=params, headers=headers, timeout=30)
    return answer.status_code == 200


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
