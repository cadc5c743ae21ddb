"""Outbound SMS through Twilio's REST API: send one message, and, when an earlier attempt may
have got through (its answer timed out, its worker died), find it at Twilio instead of
sending it twice. Apart from sms.py, which reads what Twilio posts to us."""

import logging
import time
from datetime import UTC, datetime, timedelta

import requests
from flask import current_app
from redis.exceptions import RedisError
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ticketing import lines, whatsapp
from ticketing.channels import PermanentFailure, Sent, TransientFailure, may_have_arrived
from ticketing.channels.sms import OPT_OUT_CODE, STATUS, fit
from ticketing.models.enums import Channel, OutboxStatus

log = logging.getLogger(__name__)
# Codes that will not change on a retry: bad number, not mobile, unsubscribed, blocked...
PERMANENT_CODES = {
    "21211",
    "21214",
    "21408",
    "21610",
    "21612",
    "21614",
    "21617",
    "21635",
    "30003",
    "30004",
    "30005",
    "30006",
    "30007",
    "30008",
}
# Answers that do not say Twilio refused: its own 500, or a gateway that gave up waiting for
# it (502, 504), may come after the message was created. 429 and 503 say it was not taken.
MAYBE_TAKEN = {500, 502, 504}
CLOCK_SKEW = timedelta(minutes=2)  # our clock against Twilio's, when matching by time
LOOK_BACK = 50  # the most recent messages to one recipient read when matching
# Reserve the next free send slot of a sender, in microseconds of Redis's own clock, so that
# every worker on every machine shares one schedule; returns how long to wait for the slot.
PACE_SCRIPT = """
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', slot + interval),
           'PX', math.floor((slot - now + interval) / 1000) + 1000)
return slot - now
"""


def client() -> Client:
    """The app's Twilio client, built once per process and settings: its HTTP session keeps
    the connection to Twilio open between messages (one TLS handshake, not one a message)."""
    config = current_app.config
    settings = tuple(
        config[name]
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_TIMEOUT", "TWILIO_API_BASE")
    )
    built = current_app.extensions.get("twilio")
    if built is None or built[0] != settings:
        built = (settings, _build(*settings))
        current_app.extensions["twilio"] = built
    return built[1]


def _build(account_sid: str, auth_token: str, timeout: int, api_base: str) -> Client:
    """A client whose session read the environment's proxy and CA bundle settings once, for
    Twilio's address, instead of on every request (requests' default, a tenth of a send)."""
    http = TwilioHttpClient(timeout=timeout)
    found = http.session.merge_environment_settings(api_base, {}, None, None, None)
    http.session.proxies, http.session.verify = found["proxies"], found["verify"]
    http.session.trust_env = False
    twilio = Client(account_sid, auth_token, http_client=http)
    twilio.api.base_url = api_base
    return twilio


def status_callback_url(outbox_id: int) -> str:
    """Where Twilio reports delivery; the outbox id lets a callback that overtakes our own
    commit of the message SID still find its row."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/webhooks/twilio/status?outbox={outbox_id}"


def body_for(outbox) -> str:
    """The words exactly as handed to Twilio: cut to its limit, with a link to the rest."""
    base = current_app.config["PUBLIC_BASE_URL"]
    link = f"{base}/t/{outbox.ticket.token}" if outbox.ticket is not None else base
    return fit(outbox.body, link)


def sender_of(outbox) -> str:
    """The Twilio number, Messaging Service or WhatsApp sender the row goes out from."""
    if outbox.line:
        return lines.split(outbox.line)[1]
    return current_app.config["TWILIO_FROM"]


def recipient_of(outbox) -> str:
    """Twilio's address of the recipient: WhatsApp numbers carry the channel's prefix."""
    if outbox.channel == Channel.WHATSAPP:
        return lines.with_prefix(outbox.recipient)
    return outbox.recipient


def content_of(outbox) -> dict:
    """The words as Twilio takes them: the body, or for WhatsApp outside its 24-hour window an
    approved template (ticketing/whatsapp.py decides; it raises PermanentFailure 63016, as
    Twilio would, when there is none)."""
    if outbox.channel == Channel.WHATSAPP:
        template = whatsapp.content(outbox)
        if template:
            return template
    return {"body": body_for(outbox)}


def send(outbox) -> Sent:
    """Hand one SMS or WhatsApp message to Twilio; classify failures as permanent or worth
    retrying, and say whether a retryable one may have reached Twilio all the same."""
    sender = sender_of(outbox)
    origin = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
    words = content_of(outbox)
    pace(sender)
    try:
        message = client().messages.create(
            to=recipient_of(outbox),
            status_callback=status_callback_url(outbox.id),
            **words,
            **origin,
        )
    except TwilioRestException as error:
        raise _classify(error) from error
    except requests.RequestException as error:
        raise TransientFailure(
            f"Twilio unreachable: {error.__class__.__name__}", in_doubt=may_have_arrived(error)
        ) from error
    return _sent(message)


def find_sent(outbox, since: datetime) -> tuple[Sent, ...]:
    """The messages Twilio holds that may be an earlier attempt at `outbox` since `since`
    (naive UTC), oldest first: the same words to the same number from our sender, created in
    the window. (A status callback about the attempt names the row in its URL and moves it
    out of pending, so such a row is never claimed again.) Raises TransientFailure when
    Twilio cannot be asked: then nobody knows, and nothing may be sent."""
    try:
        return tuple(reversed(list(_matches(outbox, since))))
    except TwilioException as error:  # a list page refused: ("Unable to fetch page", response)
        status = getattr(error.args[-1], "status_code", None)
        raise TransientFailure(
            f"Twilio lookup failed: HTTP {status}", str(status) if status else None
        ) from error
    except requests.RequestException as error:
        raise TransientFailure(f"Twilio lookup failed: {error.__class__.__name__}") from error


def _matches(outbox, since: datetime):
    """Newest first, as Twilio lists them. No DateSent filter: a message Twilio still holds
    in its queue has no date_sent yet, and it is exactly the one we are looking for."""
    sender = sender_of(outbox)
    by_service = sender.startswith("MG")
    body = body_for(outbox)
    # Twilio keeps a template's words, which we never see: then any message of ours to them
    # from this sender in the window may be the attempt (first_unowned skips other rows').
    templated = outbox.channel == Channel.WHATSAPP and outbox.kind in whatsapp.templates()
    start = (since - CLOCK_SKEW).replace(tzinfo=UTC)
    listed = client().messages.stream(
        to=recipient_of(outbox), **({} if by_service else {"from_": sender}), limit=LOOK_BACK
    )
    for message in listed:
        if message.date_created is None or message.date_created < start:
            continue  # the list is ordered by Twilio's own rule: read it all, not up to here
        if not (message.direction or "").startswith("outbound"):
            continue
        if message.body != body and not templated:
            continue
        if not by_service or message.messaging_service_sid == sender:
            yield _sent(message)


def _sent(message) -> Sent:
    """Twilio's record of a message it took, in our terms. A failure's reason and code come
    with its status callback, which records it; until then the message counts as queued."""
    first = STATUS.get(message.status or "", OutboxStatus.QUEUED)
    return Sent(
        provider_id=message.sid,
        status=OutboxStatus.QUEUED if first == OutboxStatus.FAILED else first,
    )


def _classify(error: TwilioRestException) -> Exception:
    """Timeouts, 5xx, 429 and rejected credentials (fixable by an operator) are retried."""
    code = str(error.code) if error.code else str(error.status)
    retry = error.status == 429 or error.status >= 500 or error.status == 401
    if retry and code not in PERMANENT_CODES:
        return TransientFailure(error.msg, code, in_doubt=error.status in MAYBE_TAKEN)
    return PermanentFailure(error.msg, code, opted_out=code == OPT_OUT_CODE)


def pace(sender: str) -> None:
    """Keep to SMS_PER_SECOND messages a second per sending number, across all workers.

    Each send reserves the sender's next free slot and waits for it. A worker waits at most
    (workers sending from this number) / SMS_PER_SECOND, since only running jobs reserve.
    0 turns pacing off (a provider that queues and paces itself): no Redis round trip."""
    from ticketing.queues import connection

    per_second = current_app.config["SMS_PER_SECOND"]
    if per_second <= 0:
        return
    interval = int(1_000_000 / per_second)
    try:
        wait = connection().eval(PACE_SCRIPT, 1, f"fuatilia:sms-pace:{sender}", interval)
    except RedisError as error:
        raise TransientFailure(f"rate limiter unavailable: {error}") from error
    if wait > 0:
        time.sleep(wait / 1_000_000)
