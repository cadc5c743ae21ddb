"""The real app under gunicorn on a free port, for the benchmarks that load it over HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import psutil

ROOT = Path(__file__).resolve().parents[1]


def p99(values: list[float]) -> float:
    """The 99th percentile of request times, nearest rank."""
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


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
        env = (
            os.environ
            | {
                "PUBLIC_BASE_URL": self.url,  # what Twilio-style signatures are computed over
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "SECRET_KEY": "bench",
                "SMS_BACKEND": "console",
                "MAIL_BACKEND": "console",
                "AUTO_MESSAGES_PER_HOUR": "1000",
            }
            | self.extra
        )
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

    def worker_rss(self) -> list[int]:
        """Resident memory of each gunicorn worker now, in bytes."""
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []
        sizes = []
        for child in children:
            try:
                sizes.append(child.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        return sizes

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
