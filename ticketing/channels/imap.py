"""IMAP: the only `import imaplib`. A small client that reads a folder by UID.

Mail is found by UID (UID SEARCH UID n:*), never by the \\Seen flag, and read with BODY.PEEK
so that reading changes nothing on the server; \\Seen is set only when the caller says so,
after it has committed what it read.
"""

import imaplib
import re
import ssl
from contextlib import suppress

TIMEOUT = 30
CHECK_TIMEOUT = 5  # seconds: an admin waits on the page for the connection check
# The connection check's outcomes, as codes, with their words for people.
CHECK_WORDS = {
    "ok": "Connected, logged in and opened the mailbox.",
    "not_configured": "IMAP_HOST, IMAP_USER or IMAP_PASSWORD is not set.",
    "connection_refused": "The server refused the connection: check IMAP_HOST and IMAP_PORT.",
    "timeout": "No answer in time: a firewall, a wrong port, or the server is down.",
    "tls_failure": "The TLS handshake failed: check IMAP_SSL against the port "
    "(993 speaks TLS, 143 does not).",
    "unreachable": "The server could not be reached: check IMAP_HOST (its name or address).",
    "login_refused": "The server refused the login: check IMAP_USER and IMAP_PASSWORD.",
    "no_such_mailbox": "Logged in, but the mailbox could not be opened: check IMAP_FOLDER.",
    "connection_lost": "The server dropped the connection during the check.",
}


class MailboxUnavailable(Exception):
    """The server could not be reached, refused us, or dropped the connection."""


class MessageUnavailable(Exception):
    """The server would not return one message (it answered NO or BAD for it)."""


class Mailbox:
    def __init__(self, host: str, port: int, user: str, password: str, *, ssl: bool = True):
        self.host, self.port, self.user, self.password, self.ssl = host, port, user, password, ssl
        self.imap: imaplib.IMAP4 | None = None

    @classmethod
    def from_config(cls, config) -> "Mailbox":
        return cls(
            config["IMAP_HOST"],
            config["IMAP_PORT"],
            config["IMAP_USER"],
            config["IMAP_PASSWORD"],
            ssl=config["IMAP_SSL"],
        )

    def __enter__(self) -> "Mailbox":
        connect = imaplib.IMAP4_SSL if self.ssl else imaplib.IMAP4
        try:
            self.imap = connect(self.host, self.port, timeout=TIMEOUT)
            self.imap.login(self.user, self.password)
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxUnavailable(f"IMAP {self.host}:{self.port}: {error}") from error
        return self

    def __exit__(self, *exc_info) -> None:
        with suppress(OSError, imaplib.IMAP4.error):  # a dropped connection has nothing to close
            self.imap.logout()

    def select(self, folder: str) -> int:
        """Open `folder` for reading and flagging; returns its UIDVALIDITY."""
        self._run(f"select {folder}", "select", _quote(folder))
        _, values = self.imap.response("UIDVALIDITY")
        if not values or not values[0]:
            raise MailboxUnavailable(f"{folder}: the server sent no UIDVALIDITY")
        return int(values[0])

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than `last_uid`, oldest first, read or unread."""
        data = self._run("search", "uid", "SEARCH", None, f"UID {last_uid + 1}:*")
        found = (int(uid) for uid in b" ".join(part or b"" for part in data).split())
        return sorted(uid for uid in found if uid > last_uid)  # "n:*" always includes the last

    def sizes(self, uids: list[int]) -> dict[int, int]:
        data = self._run("fetch sizes", "uid", "FETCH", _set(uids), "(RFC822.SIZE)")
        sizes = {}
        for line in data:
            line = (line[0] if isinstance(line, tuple) else line) or b""
            uid, size = re.search(rb"UID (\d+)", line), re.search(rb"RFC822\.SIZE (\d+)", line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def fetch(self, uid: int, *, headers_only: bool = False) -> bytes | None:
        """The message as bytes (only its header block if asked); None when it is gone."""
        item = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        data = self._run(
            f"fetch {uid}", "uid", "FETCH", str(uid), f"({item})", refused=MessageUnavailable
        )
        bodies = [part[1] for part in data if isinstance(part, tuple) and len(part) == 2]
        return bodies[0] if bodies else None

    def mark_seen(self, uids: list[int]) -> None:
        if uids:
            self._run("flag", "uid", "STORE", _set(uids), "+FLAGS.SILENT", r"(\Seen)")

    def _run(self, what: str, command: str, *args, refused=MailboxUnavailable) -> list:
        """One IMAP command: a lost connection is MailboxUnavailable, a NO or BAD `refused`."""
        try:
            status, data = getattr(self.imap, command)(*args)
        except (imaplib.IMAP4.abort, OSError) as error:
            raise MailboxUnavailable(f"IMAP {what}: connection lost: {error}") from error
        except imaplib.IMAP4.error as error:
            raise refused(f"IMAP {what}: {error}") from error
        if status != "OK":
            raise refused(f"IMAP {what}: {status} {data!r}")
        return data


def check(config) -> str:
    """Connect with the configured settings, log in and open the folder read-only, each step
    within CHECK_TIMEOUT; the outcome as a code of CHECK_WORDS. Changes nothing."""
    if not (config["IMAP_HOST"] and config["IMAP_USER"] and config["IMAP_PASSWORD"]):
        return "not_configured"
    connect = imaplib.IMAP4_SSL if config["IMAP_SSL"] else imaplib.IMAP4
    try:
        imap = connect(config["IMAP_HOST"], config["IMAP_PORT"], timeout=CHECK_TIMEOUT)
    except ConnectionRefusedError:
        return "connection_refused"
    except TimeoutError:
        return "timeout"
    except (ssl.SSLError, ssl.CertificateError):
        return "tls_failure"
    except (OSError, imaplib.IMAP4.error):  # a name that does not resolve, a garbled greeting
        return "unreachable"
    try:
        return _log_in_and_open(imap, config)
    except TimeoutError:
        return "timeout"
    except (imaplib.IMAP4.abort, OSError):
        return "connection_lost"
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def _log_in_and_open(imap: imaplib.IMAP4, config) -> str:
    try:
        imap.login(config["IMAP_USER"], config["IMAP_PASSWORD"])
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:
        return "login_refused"
    try:
        status, _ = imap.select(_quote(config["IMAP_FOLDER"]), readonly=True)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:
        return "no_such_mailbox"
    return "ok" if status == "OK" else "no_such_mailbox"


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)
