"""Scale-out across hosts (issue 14 item 6, `make bench FULL=1`): the RQ workers run in
NAMESPACES Linux network namespaces, each reaching PostgreSQL, Redis, the Twilio stand-in and
the SMTP server only over its own veth pair, as workers on other machines would.

The shared PostgreSQL and Redis listen on 127.0.0.1 and are not touched: on the host end of
each veth a socat forwarder per service passes connections on to 127.0.0.1. gunicorn (2
workers) and the scheduler run on the host. The traffic, the follow-ups made due and the
exactly-once counts are tests/test_scale_out.py's (SCALE_OUT_SMS, SCALE_OUT_EMAILS,
SCALE_OUT_FOLLOW_UPS; 2,000, 500 and 300 by default): every count must end at 0.

Needs root, `ip` (iproute2) and `socat`. Namespaces, veths and forwarders are removed before
the run (a run killed earlier may have left them) and after it, whatever happened (SIGTERM
included; after a SIGKILL, the next run's start removes the namespaces, not the processes).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis import Redis

from bench._data import REDIS_URL, bench_app, reset_schema
from ticketing.extensions import db
from ticketing.models import Department

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import test_scale_out as scale  # noqa: E402 - the CI test's traffic and counts
from fakes.mailservers import SmtpServer  # noqa: E402
from fakes.processes import (  # noqa: E402
    SCHEDULER,
    WORKER,
    Service,
    free_port,
    gunicorn,
    healthy,
    process_env,
    wait_for,
)
from fakes.twilio_stub import TwilioStub  # noqa: E402

DATABASES = ("postgresql",)
RUN = "full"
NAMESPACES = 2
WORKERS_PER_NAMESPACE = 2
PREFIX = "fuabench"  # namespaces fuabench1.., veths fuabench1h (host) and fuabench1n
BUDGET = float(os.environ.get("SCALE_OUT_BUDGET", 900))


def run(database_url: str, size: int) -> list[dict]:
    # SIGTERM (a `timeout`, a CI cancel) unwinds like an exception, so the clean-up runs
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    app = bench_app(database_url)
    with app.app_context():
        reset_schema()
        db.session.add(
            Department(
                name="General",
                is_default=True,
                working_hours=scale.ALWAYS_OPEN,
                policy=scale.NO_HOLDS,
            )
        )
        db.session.commit()
    Redis.from_url(REDIS_URL).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="fuatilia-netns-"))
    twilio, smtp = TwilioStub().start(), SmtpServer()
    smtp.start()
    remove_namespaces()
    with ExitStack() as stack:
        stack.callback(twilio.stop)
        stack.callback(smtp.stop)
        stack.callback(remove_namespaces)
        port = free_port()
        env = process_env(
            folder,
            twilio,
            database_url,
            REDIS_URL,
            SMS_PER_SECOND="1000",
            HOLIDAY_COUNTRY="",
            TRUSTED_PROXIES="1",
            INBOUND_EMAIL_SECRET=scale.SECRET,
            MAIL_BACKEND="smtp",
            SMTP_HOST=smtp.host,
            SMTP_PORT=str(smtp.port),
            SMTP_STARTTLS="0",
            SMTP_USER="",
            **scale.SPEED_UPS,
        )
        services = [Service("web", gunicorn(port, workers=2), env, folder)]
        services.append(Service("scheduler", SCHEDULER, env, folder))
        for number in range(1, NAMESPACES + 1):
            name, host = add_namespace(number)
            forwarders: list[subprocess.Popen] = []
            stack.callback(_stop_forwarders, forwarders)
            remote = {}
            for setting in ("DATABASE_URL", "REDIS_URL", "TWILIO_API_BASE"):
                remote[setting] = _through(env[setting], host, forwarders)
            forwarders.append(_forward(host, smtp.port, smtp.port))
            remote["SMTP_HOST"] = host
            for index in range(1, WORKERS_PER_NAMESPACE + 1):
                command = ["ip", "netns", "exec", name, *WORKER]
                services.append(Service(f"{name}-worker{index}", command, env | remote, folder))
        for service in services:
            stack.callback(service.stop)
            service.start()
        started = time.monotonic()
        base_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: healthy(base_url), 60, "gunicorn to answer")
        listening = NAMESPACES * WORKERS_PER_NAMESPACE
        wait_for(lambda: Redis.from_url(REDIS_URL).scard("rq:workers") >= listening, 60, "workers")
        with app.app_context():
            to_send = scale.traffic(base_url, twilio.auth_token)
            answers = scale.send_all(to_send)
            sent = time.monotonic() - started
            chased: set[str] = set()
            filed = _settle(twilio, smtp, chased, started, services) - started
            chased.update(scale.make_due(scale.phone_numbers(scale.SMS)[: scale.FOLLOW_UPS]))
            followed = _settle(twilio, smtp, chased, started, services) - started
            outcome = scale.counts(twilio, smtp, chased)
        dead = [s.name for s in services if not s.alive()]
        jobs = {s.name: len(scale.FINISHED.findall(s.output())) for s in services[2:]}
    where = f"{NAMESPACES} namespaces x {WORKERS_PER_NAMESPACE} RQ workers, 2 gunicorn workers"
    rows = [
        _row("shape", where),
        _row("webhooks sent (SMS + emails + retried copies)", len(to_send)),
        _row("webhooks not answered 200", len(to_send) - answers[200], target="0"),
        _row("all sent", round(sent), "s"),
        _row("all filed and acknowledged", round(filed), "s"),
        _row("follow-ups carried out", round(followed), "s"),
        _row("processes died", ", ".join(dead) or 0, target="0"),
        _row("jobs done by each namespace's workers", _per_namespace(jobs)),
    ]
    return rows + [_row(name.replace("_", " "), n, target="0") for name, n in outcome.items()]


def _per_namespace(jobs: dict[str, int]) -> str:
    """'fuabench1 612, fuabench2 598': every namespace must have done its share."""
    done = {}
    for name, count in jobs.items():
        namespace = name.split("-")[0]
        done[namespace] = done.get(namespace, 0) + count
    return ", ".join(f"{namespace} {count}" for namespace, count in done.items())


def _row(metric: str, value, unit: str = "", target: str = "") -> dict:
    return {
        "bench": "scale-out, workers in netns",
        "database": "postgresql",
        "size": scale.SMS,
        "metric": metric,
        "value": value,
        "unit": unit,
        "target": target,
    }


def _settle(twilio, smtp, chased: set, started: float, services) -> float:
    """Wait until every count is 0 (or the budget is spent); return when it was."""

    def done() -> bool:
        return not any(scale.counts(twilio, smtp, chased).values())

    try:
        wait_for(done, max(started + BUDGET - time.monotonic(), 1), "every count at 0", every=2)
    except AssertionError:  # the rows say which counts are not 0
        logs = "\n".join(f"--- {s.name}\n{s.output()[-1500:]}" for s in services)
        print(logs, file=sys.stderr)
    return time.monotonic()


def add_namespace(number: int) -> tuple[str, str]:
    """Namespace PREFIX<number> joined to the host by a veth pair on 10.214.<number>.0/30:
    the host end is .1, the namespace's .2. Returns (namespace, host address)."""
    name, host, inside = f"{PREFIX}{number}", f"10.214.{number}.1", f"10.214.{number}.2"
    for command in (
        f"ip netns add {name}",
        f"ip link add {name}h type veth peer name {name}n netns {name}",
        f"ip addr add {host}/30 dev {name}h",
        f"ip link set {name}h up",
        f"ip -n {name} addr add {inside}/30 dev {name}n",
        f"ip -n {name} link set {name}n up",
        f"ip -n {name} link set lo up",
    ):
        subprocess.run(command.split(), check=True, capture_output=True)
    return name, host


def remove_namespaces() -> None:
    """Every namespace of ours, and with it its veth pair (deleting one end deletes both)."""
    found = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in found.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(PREFIX):
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    for number in range(1, NAMESPACES + 1):
        subprocess.run(["ip", "link", "delete", f"{PREFIX}{number}h"], capture_output=True)


def _through(url: str, host: str, forwarders: list) -> str:
    """`url` (a service on 127.0.0.1) as seen from a namespace: the same port on `host`,
    forwarded there to 127.0.0.1."""
    parts = urlsplit(url)
    forwarders.append(_forward(host, parts.port, parts.port))
    netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"{host}:{parts.port}")
    return urlunsplit(parts._replace(netloc=netloc))


def _forward(host: str, port: int, to_port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "socat",
            f"TCP-LISTEN:{port},fork,reuseaddr,bind={host}",
            f"TCP:127.0.0.1:{to_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _listening(host, port), 10, f"socat on {host}:{port}", every=0.05)
    return process


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def _stop_forwarders(forwarders: list[subprocess.Popen]) -> None:
    for process in forwarders:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        if process.poll() is None:
            process.kill()
