"""deploy/: the systemd units and the Procfile start processes that exist, restart them always,
read /etc/fuatilia/env and run as a user of their own; systemd-analyze accepts the units."""

import configparser
import importlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ("fuatilia-web.service", "fuatilia-worker@.service", "fuatilia-scheduler.service")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / name)
    return parser


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def check_command(command: str) -> None:
    """The program is ours (python -m <module with main()>) or gunicorn serving wsgi:app."""
    words = shlex.split(command)
    program = Path(words[0]).name
    if program == "gunicorn":
        module, attribute = words[-1].split(":")
        assert hasattr(importlib.import_module(module), attribute), words[-1]
        assert (Path(sys.executable).parent / "gunicorn").exists()
    else:
        assert program == "python" and words[1] == "-m", command
        assert callable(importlib.import_module(words[2]).main), words[2]


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_restarts_always_reads_the_env_file_and_runs_as_its_own_user(name):
    service = unit(name)["Service"]
    assert service["Restart"] == "always" and int(service["RestartSec"]) > 0
    assert service["EnvironmentFile"] == "/etc/fuatilia/env"
    assert service["User"] not in ("", "root")
    assert service["WorkingDirectory"] == "/opt/fuatilia"
    check_command(service["ExecStart"].replace("/opt/fuatilia/.venv/bin/", ""))
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_the_procfile_runs_web_worker_and_scheduler_the_same_way_as_the_units():
    processes = procfile()
    assert set(processes) == {"web", "worker", "scheduler"}
    for name, command in processes.items():
        check_command(command.replace("${PORT:-8000}", "8000"))
        ours = unit(f"fuatilia-{name}{'@' if name == 'worker' else ''}.service")["Service"]
        assert shlex.split(ours["ExecStart"])[1:] == shlex.split(command)[1:] or name == "web"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    """Verified as installed in this checkout (the units name /opt/fuatilia, absent here)."""
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace("/opt/fuatilia", str(ROOT))
        (tmp_path / name.replace("@.", "@1.")).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
