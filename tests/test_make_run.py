"""`make run`'s last step for real: embedded Redis, web, our worker and scheduler started together,
a ticket acknowledged through them, and one Ctrl-C stopping every process."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from fakes.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).parent / "flask")
pytestmark = pytest.mark.slow


def test_run_all_serves_delivers_and_stops_on_one_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"FUATILIA_INSTANCE": str(tmp_path / "instance"), "PORT": str(port)}
    for command in (["init-db"], ["seed-demo", "--tickets", "10"]):
        subprocess.run(
            [FLASK, "--app", "wsgi", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    process = subprocess.Popen(
        [FLASK, "--app", "wsgi", "run-all"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(lambda: _get(f"{base}/healthz"), 30, "run-all to answer")
        assert health.json()["redis"] == "ok" and health.json()["database"] == "ok"
        session = requests.Session()
        form = session.get(f"{base}/support").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        posted = session.post(
            f"{base}/support",
            data={
                "csrf_token": token,
                "name": "Amina",
                "phone": "0712345678",
                "language": "en",
                "category": "delivery",
                "subject": "Late",
                "description": "Order 7731 is late",
            },
        )
        reference = re.search(r"Your reference is (FT-\w{5})", posted.text).group(1)
        acknowledged = re.compile(rf"Ref {reference}\..*?</td>\s*<td[^>]*>.*?delivered", re.S)
        wait_for(
            lambda: acknowledged.search(session.get(f"{base}/dev/outbox").text),
            30,
            "the acknowledgment delivered",
        )
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output[-3000:]
    assert "demo logins" in output
    left = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    assert left.stdout.strip() == "", "processes outlived Ctrl-C"


def _get(url):
    try:
        response = requests.get(url, timeout=2)
    except requests.ConnectionError:
        return None
    return response if response.status_code == 200 else None
