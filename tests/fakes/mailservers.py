"""Real mail servers on 127.0.0.1 for Fuatilia's integration tests.

Mocks of imaplib/smtplib hide protocol details (UIDVALIDITY, APPENDUID,
SMTP reply codes) that the helpdesk must handle, so the tests talk to a real
Dovecot IMAP server and a real aiosmtpd SMTP server instead.

Dovecot needs the Debian packages dovecot-core and dovecot-imapd and must be
started as root (it is in CI); the config below explains the root-only bits.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from string import Template

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"
DEFAULT_USERS = {"support@fuatilia.test": "secret"}
DOVECOT_BINARY = shutil.which("dovecot") or "/usr/sbin/dovecot"

# Dovecot's unix sockets live in <base_dir>/run; a socket path may not exceed
# 107 bytes and the longest one Dovecot 2.3 makes there adds 25
# ("/token-login/imap-urlauth").
_MAX_RUN_DIR_LENGTH = 80

# Dovecot 2.3 syntax (Debian 12 ships 2.3.19); 2.4 renamed several settings.
_DOVECOT_CONF = Template("""\
# Written by tests/fakes/mailservers.py. Self-contained: no /etc/dovecot includes.
protocols = imap
listen = $host
instance_name = $instance
base_dir = $base/run
state_dir = $base/state
log_path = $base/dovecot.log
# Plaintext LOGIN over loopback without TLS, as the app's tests use it.
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Wrong-password tests should not wait Dovecot's default 2 seconds.
auth_failure_delay = 0
# auth/log/config run as root so they can read files under a 0700 pytest
# tmp dir; imap-login refuses to run as root, so it uses Debian's dovenull.
default_internal_user = root
default_internal_group = root
default_login_user = dovenull
# Dovecot refuses mail access as uid 0, so mail runs as $mail_user. That user
# cannot traverse the root-only tmp dirs above base_dir, so the imap process
# chroots into $base/mail first ("/./" in home marks the chroot point).
valid_chroot_dirs = $base/mail
mail_location = maildir:~/Maildir
protocol imap {
  # Tests open many short connections; the default limit of 10 is too low.
  mail_max_userip_connections = 100
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $base/users
}
userdb {
  driver = passwd-file
  args = $base/users
  default_fields = uid=$mail_uid gid=$mail_gid home=$base/mail/./%u
}
service imap-login {
  inet_listener imap {
    address = $host
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
""")


def free_port() -> int:
    """Ask the kernel for a port that is free on the loopback right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _quote(mailbox: str) -> str:
    """imaplib sends mailbox names verbatim, so names with spaces need quoting."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response: tuple[str, list]) -> list:
    """Turn an IMAP NO/BAD into an exception instead of a silently ignored tuple."""
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP command failed: {status} {data!r}")
    return data


def _signal_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _live_group_members(pgid: int) -> list[int]:
    """PIDs in the process group that still run. Zombies are left out: they
    hold no sockets, and how soon init reaps orphans varies between machines."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _wait_for_group_exit(pgid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _live_group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


class DovecotServer:
    """A private Dovecot IMAP server whose config, sockets, logs and mail all
    live under base_dir, listening on 127.0.0.1 on a fixed free port."""

    mail_user = "nobody"

    def __init__(
        self,
        base_dir: Path | str,
        users: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.users = dict(users or DEFAULT_USERS)
        self.host = LOOPBACK
        self.port = port or free_port()
        self.instance = f"fuatilia-{self.port}"
        self.config_path = self.base_dir / "dovecot.conf"
        self._process: subprocess.Popen | None = None
        self._write_files()

    @property
    def user(self) -> str:
        """The first (primary) account; deliveries and mailbox helpers use it."""
        return next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.user]

    def start(self, timeout: float = 10.0) -> None:
        """Start the master in the foreground and wait for an IMAP greeting."""
        if os.geteuid() != 0:
            raise RuntimeError("DovecotServer's config assumes it runs as root")
        if self._process is not None:
            raise RuntimeError("Dovecot is already running")
        # Early config errors go to stderr, before log_path is open.
        with open(self.base_dir / "dovecot.stderr", "ab") as output:
            # Own session, so signals to the group reach the master and children.
            self._process = subprocess.Popen(
                [DOVECOT_BINARY, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        self._wait_for_greeting(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down cleanly and wait until no Dovecot process is left.

        SIGTERM goes to the whole group because the master alone waits about
        a second for its log process; every child handles SIGTERM gracefully.
        """
        if self._process is None:
            return
        _signal_group(self._process.pid, signal.SIGTERM)
        _wait_for_group_exit(self._process.pid, timeout)
        self._kill_group()

    def restart(self) -> None:
        """Stop and start again on the same port and maildir; mail persists."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """Simulate a crash: SIGKILL the master and all of its children at once."""
        if self._process is not None:
            self._kill_group()

    def connect(self, user: str | None = None) -> imaplib.IMAP4:
        """A logged-in imaplib client, for tests that inspect the mailbox."""
        user = user or self.user
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(user, self.users[user])
        return client

    def create_mailbox(self, folder: str) -> None:
        with self._session() as imap:
            _ok(imap.create(_quote(folder)))

    def deliver(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = ()) -> int | None:
        """Add a message with IMAP APPEND, so other clients see it as they would
        see a real delivery; returns its UID (from APPENDUID). imaplib turns
        bare LF line endings into CRLF, as IMAP requires."""
        with self._session() as imap:
            data = _ok(imap.append(_quote(folder), " ".join(flags) or None, None, raw))
        match = re.search(rb"\[APPENDUID \d+ (\d+)\]", data[0] or b"")
        return int(match.group(1)) if match else None

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self._session() as imap:
            data = _ok(imap.status(_quote(folder), "(UIDVALIDITY)"))
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

    def mark_seen_by_other_client(self, uid: int, folder: str = "INBOX") -> None:
        """Set \\Seen from a separate connection, like a human reading the
        support mailbox in Thunderbird, so the app cannot rely on UNSEEN."""
        with self._session() as imap:
            _ok(imap.select(_quote(folder)))
            _ok(imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"))

    def recreate_mailbox(self, folder: str) -> int:
        """Empty `folder` and give it a new UIDVALIDITY, as after a server-side
        rebuild; returns the new UIDVALIDITY.

        Dovecot refuses DELETE and RENAME of INBOX, so INBOX is reset on disk
        while Dovecot is stopped: the restart disconnects every client. Other
        folders are deleted and created over IMAP with the server running;
        a client that has such a folder selected keeps its stale view until it
        selects the folder again.
        """
        before = self.uidvalidity(folder)
        if folder.upper() == "INBOX":
            self._reset_inbox_on_disk()
        else:
            with self._session() as imap:
                _ok(imap.delete(_quote(folder)))
                _ok(imap.create(_quote(folder)))
        after = self.uidvalidity(folder)
        if after == before:
            raise RuntimeError(f"UIDVALIDITY of {folder} did not change ({after})")
        return after

    def log_tail(self, lines: int = 30) -> str:
        """The end of Dovecot's logs, to explain a failed start in test output."""
        text = ""
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self.base_dir / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @contextmanager
    def _session(self, user: str | None = None) -> Iterator[imaplib.IMAP4]:
        client = self.connect(user)
        try:
            yield client
        finally:
            client.logout()

    def _write_files(self) -> None:
        run_dir = self.base_dir / "run"
        if len(str(run_dir)) > _MAX_RUN_DIR_LENGTH:
            raise ValueError(f"{run_dir} is too long for Dovecot's unix sockets")
        mail_account = pwd.getpwnam(self.mail_user)
        for sub in ("run", "state", "mail"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        for user in self.users:
            # Dovecot creates the Maildir as the mail user inside this home.
            home = self.base_dir / "mail" / user
            home.mkdir(exist_ok=True)
            os.chown(home, mail_account.pw_uid, mail_account.pw_gid)
        (self.base_dir / "users").write_text(
            "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in self.users.items())
        )
        self.config_path.write_text(
            _DOVECOT_CONF.substitute(
                host=self.host,
                port=self.port,
                instance=self.instance,
                base=self.base_dir,
                mail_user=self.mail_user,
                mail_uid=mail_account.pw_uid,
                mail_gid=mail_account.pw_gid,
            )
        )

    def _wait_for_greeting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._kill_group()
                raise RuntimeError(f"Dovecot exited at start:\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(256).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self._kill_group()
        raise RuntimeError(f"Dovecot sent no greeting in {timeout}s:\n{self.log_tail()}")

    def _kill_group(self) -> None:
        """SIGKILL whatever is left of the server, reap the master and wait for
        the children, so none keeps the port or the pid file busy."""
        pgid = self._process.pid
        _signal_group(pgid, signal.SIGKILL)
        self._process.wait()
        self._process = None
        _wait_for_group_exit(pgid, timeout=5.0)

    def _reset_inbox_on_disk(self) -> None:
        """Drop INBOX's messages, UID list and indexes but keep the account's
        dovecot-uidvalidity counter, so the recreated INBOX gets a higher
        UIDVALIDITY and starts again at UID 1."""
        self.stop()
        maildir = self.base_dir / "mail" / self.user / "Maildir"
        for path in [maildir / "dovecot-uidlist", *maildir.glob("dovecot.index*")]:
            path.unlink(missing_ok=True)
        for sub in ("cur", "new", "tmp"):
            for path in (maildir / sub).iterdir():
                path.unlink()
        self.start()


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted SMTP transaction; raw is the DATA exactly as received
    (CRLF line endings, dot-stuffing removed)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that records every accepted message and
    can be told to refuse the next commands, to test retry handling."""

    _STAGES = ("RCPT", "DATA")

    def __init__(self, port: int | None = None) -> None:
        self.host = LOOPBACK
        self.port = port or free_port()
        self._received: list[ReceivedMail] = []
        self._failures: dict[str, deque[str]] = {stage: deque() for stage in self._STAGES}
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[ReceivedMail]:
        """A snapshot: the SMTP thread may append while a test reads."""
        with self._changed:
            return list(self._received)

    def start(self) -> None:
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(self, code: int, text: str, times: int = 1, stage: str = "RCPT") -> None:
        """Answer the next `times` RCPT (or DATA) commands with `code text`,
        e.g. 451 "4.3.0 Try again later" or 550 "5.1.1 User unknown".
        Each refused command uses one; a message to two recipients sends two RCPTs."""
        stage = stage.upper()
        if stage not in self._STAGES:
            raise ValueError(f"stage must be one of {self._STAGES}, not {stage!r}")
        with self._changed:
            self._failures[stage].extend([f"{code} {text}"] * times)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Block until at least `count` messages arrived, since the app may send
        from a background worker; raises TimeoutError otherwise."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self._received) >= count, timeout)
            if not arrived:
                got = len(self._received)
                raise TimeoutError(f"expected {count} messages in {timeout}s, got {got}")
            return list(self._received)

    def parsed(self, index: int) -> EmailMessage:
        return email.message_from_bytes(self.messages[index].raw, policy=email.policy.default)

    # aiosmtpd hooks: the server object is its own handler.
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        refusal = self._take_failure("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        refusal = self._take_failure("DATA")
        if refusal:
            return refusal
        mail = ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content)
        with self._changed:
            self._received.append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def _take_failure(self, stage: str) -> str | None:
        with self._changed:
            failures = self._failures[stage]
            return failures.popleft() if failures else None
