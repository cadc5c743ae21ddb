"""The real app under gunicorn on a free port, for the benchmarks that load it over HTTP."""

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import requests

ROOT = Path(__file__).resolve().parents[1]


def p99(values: list[float]) -> float:
    """The 99th percentile of request times, nearest rank."""
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


class Result:
    def __init__(self, took: list[float], failures: int, seconds: float):
        self.requests, self.failures = len(took), failures
        self.rate = round(len(took) / seconds, 1) if seconds else 0
        self.p99_ms = round(p99(took) * 1000)

    def ratio(self, bare: "Result") -> float:
        """This rate over the bare endpoint's: what holds on a busy machine."""
        return round(self.rate / bare.rate, 2) if bare.rate else 0


def drive(call, concurrency: int, seconds: float | None, count: int | None) -> Result:
    """`concurrency` clients calling `call(session, n)` for `seconds`, or `count` calls in
    all; a call returns whether it succeeded."""
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
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(took, failures[0], time.perf_counter() - started)


def bare(base_url: str, concurrency: int, seconds: float = 10) -> Result:
    """GET /healthz from `concurrency` clients for `seconds`: the server's ceiling, measured
    at the start of each HTTP benchmark on its own server, what its rates are divided by."""

    def call(session, n):
        return session.get(f"{base_url}/healthz", timeout=30).status_code in (200, 503)

    return drive(call, concurrency, seconds, None)


class Gunicorn:
    """`gunicorn wsgi:app` with `workers` processes of `threads` threads each; `env` adds to
    the benchmark's settings (console backends, a secret key)."""

    def __init__(self, database_url: str, redis_url: str, *, workers=2, threads=1, env=None):
        self.database_url, self.redis_url = database_url, redis_url
        self.workers, self.threads, self.extra = workers, threads, env or {}

    def __enter__(self) -> "Gunicorn":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            "PUBLIC_BASE_URL": self.url,  # what Twilio-style signatures are computed over
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": "bench",
            "SMS_BACKEND": "console",
            "MAIL_BACKEND": "console",
            "AUTO_MESSAGES_PER_HOUR": "1000",
        } | self.extra  # what the app's other processes need to match it
        env = os.environ | self.env
        command = [sys.executable, "-m", "gunicorn", "-w", str(self.workers)]
        command += ["--threads", str(self.threads)] if self.threads > 1 else []
        self.process = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                with urlopen(f"{self.url}/healthz", timeout=1):
                    return self
            except HTTPError:  # serving, whatever its health says
                return self
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
