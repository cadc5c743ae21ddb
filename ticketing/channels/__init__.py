"""Channel adapters: provider payloads in, normalised Inbound; Outbox rows out, provider calls.

Only modules in this package know about Twilio, SMTP, IMAP or MIME.
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from flask import current_app

from ticketing.models.enums import Channel, OutboxStatus


@dataclass(frozen=True, slots=True)
class Bounce:
    """A delivery status notification about mail we sent: which message, and what went wrong."""

    message_id: str  # the Message-ID of our mail it reports on; "" when the report lacks it
    reason: str
    status: str = ""  # the enhanced status code, e.g. 5.1.1
    is_permanent: bool = True  # False for "delayed": the mail may still arrive


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a customer, whatever the channel."""

    channel: Channel
    sender: str  # E.164 number or lower-case email address
    text: str
    external_id: str  # MessageSid or Message-ID: the dedupe key
    sender_name: str = ""
    subject: str = ""
    html: str = ""
    full_text: str = ""  # the whole text when `text` is only the new part of a reply
    thread_refs: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()  # the other people the sender wrote to (To and Cc), not us
    attachments: tuple[dict, ...] = ()
    is_automated: bool = False  # auto-reply, bulk or list mail: never answered automatically
    notes: tuple[str, ...] = field(default=())  # what was dropped, and why (over-size files)
    bounce: Bounce | None = None  # a delivery report: it updates our Outbox row, opens nothing
    line: str = ""  # SMS/WhatsApp: the key of our line it was sent to (ticketing/lines.py)
    link_id: str = ""  # Africa's Talking premium: answer within this session


@dataclass(frozen=True, slots=True)
class Sent:
    """What the provider said when it took a message, in our terms."""

    provider_id: str
    status: OutboxStatus = OutboxStatus.QUEUED  # its first word: queued, sent or delivered


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A provider's later word on a message we sent (a delivery callback), in our terms."""

    provider_id: str
    status: OutboxStatus | None  # None: a word we do not act on
    error_code: str | None = None
    description: str = ""  # for people: what the provider said, with its code
    opted_out: bool = False  # the recipient has told the provider to stop our messages


class PermanentFailure(Exception):
    """The provider refused for good (invalid number, unsubscribed): do not retry.

    `opted_out`: the recipient has unsubscribed, so nothing more should go to them."""

    def __init__(self, message: str, code: str | None = None, *, opted_out: bool = False):
        super().__init__(message)
        self.code = code
        self.opted_out = opted_out


class TransientFailure(Exception):
    """The provider could not take it now (timeout, 5xx, 429): retry later.

    `in_doubt`: the provider may have taken it all the same (say we gave up waiting for its
    answer), so it is asked before the message goes again."""

    def __init__(self, message: str, code: str | None = None, *, in_doubt: bool = False):
        super().__init__(message)
        self.code = code
        self.in_doubt = in_doubt


def may_have_arrived(error) -> bool:
    """After a `requests` failure of a send: False only when the request cannot have left us
    (no connection was ever made). A read timeout, or a connection cut after the request
    went, may follow the provider's "created", so the send is in doubt."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(error, requests.ConnectTimeout):
        return False
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, NewConnectionError | ConnectionRefusedError):
            return False
        reason = getattr(seen, "reason", None)  # urllib3's MaxRetryError says why it gave up
        seen = reason if isinstance(reason, BaseException) else seen.__cause__ or seen.__context__
    return True


def parse_raw(channel: Channel, payload: bytes) -> Inbound:
    """From a stored raw payload to an Inbound; may raise on garbage (the raw row is kept).
    An SMS payload is Twilio's form (it always names a MessageSid) or Africa's Talking's."""
    from ticketing.channels import africastalking, email, sms

    if channel == Channel.SMS:
        form = dict(parse_qsl(payload.decode("utf-8"), keep_blank_values=True))
        if "MessageSid" in form or "SmsSid" in form:
            return sms.parse(form)
        return africastalking.parse(form)
    if channel == Channel.EMAIL:
        return email.parse(payload)
    raise ValueError(f"no parser for channel {channel}")


def sender_for(row):
    """The module that sends `row` (an Outbox) under the configured backends: for SMS and
    WhatsApp the provider of the row's line, unless SMS_BACKEND is the console. Each has
    `send(outbox) -> Sent` and `find_sent(outbox, since) -> tuple[Sent, ...]`: what the
    provider holds that may be an earlier attempt at this row since then, oldest first
    (always empty where the provider cannot be asked)."""
    from ticketing import lines
    from ticketing.channels import africastalking, console, email, twilio_rest
    from ticketing.models.enums import PHONE_CHANNELS, Provider

    if row.channel in PHONE_CHANNELS:
        if current_app.config["SMS_BACKEND"] == "console":
            return console
        if lines.provider_of(row.line) == Provider.AFRICASTALKING:
            return africastalking
        return twilio_rest
    return email if current_app.config["MAIL_BACKEND"] == "smtp" else console


def console_backends_on() -> bool:
    config = current_app.config
    return config["SMS_BACKEND"] == "console" or config["MAIL_BACKEND"] == "console"
