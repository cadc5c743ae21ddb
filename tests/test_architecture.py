"""The one-writer rules, kept true by reading the source."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for p in (ROOT / "ticketing").rglob("*.py") if "migrations" not in p.parts] + \
    list((ROOT / "workers").rglob("*.py"))


def files_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    return {str(p.relative_to(ROOT)) for p in SOURCES if regex.search(p.read_text())}


def test_only_lifecycle_assigns_ticket_status():
    assert files_matching(r"\bticket\.status\s*=[^=]") <= {"ticketing/lifecycle.py"}


def test_only_notify_creates_outbox_rows():
    assert files_matching(r"(?<!class )\bOutbox\(") <= {"ticketing/notify.py"}


def test_only_channels_know_providers():
    providers = files_matching(r"(?m)^\s*(import|from)\s+(twilio|smtplib|imaplib)\b")
    assert all(path.startswith("ticketing/channels/") or path == "workers/mail.py"
               for path in providers), providers


def test_only_config_reads_the_environment():
    readers = {str(p.relative_to(ROOT)) for p in SOURCES if "os.environ" in p.read_text()}
    assert readers <= {"ticketing/devserver.py"}  # it hands the environment to its children


def test_domain_modules_never_commit():
    domain = ["lifecycle.py", "notify.py", "intake.py", "routing.py", "followup.py", "charter.py"]
    committing = files_matching(r"db\.session\.commit\(")
    assert not committing & {f"ticketing/{name}" for name in domain}
