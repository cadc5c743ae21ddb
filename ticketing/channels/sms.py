"""SMS through Twilio (or any service with Twilio's REST API): the only `import twilio`."""

import functools
import hashlib
import logging
import math
import time

import requests
from flask import abort, current_app, request
from redis.exceptions import RedisError
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client

from ticketing.channels import Inbound, PermanentFailure, Sent, StatusReport, TransientFailure
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.models.enums import Channel, OutboxStatus

log = logging.getLogger(__name__)
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
MAX_BODY = 1600  # Twilio refuses longer bodies (21617)
MAX_MEDIA = 10  # Twilio sends at most 10 media per MMS
OPT_OUT_CODE = "21610"  # Twilio: the recipient has replied STOP to this sender
# Twilio's words for an outbound message's progress, in ours; any other word is not acted on.
STATUS = {
    "accepted": OutboxStatus.QUEUED,
    "scheduled": OutboxStatus.QUEUED,
    "queued": OutboxStatus.QUEUED,
    "sending": OutboxStatus.QUEUED,
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.FAILED,
    "failed": OutboxStatus.FAILED,
    "canceled": OutboxStatus.FAILED,
}
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


def segments(text: str) -> tuple[str, int]:
    """("GSM-7" or "UCS-2", number of SMS segments) for `text`, as carriers count them."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return "GSM-7", 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else math.ceil(units / 67)


def fit(text: str, link: str) -> str:
    """`text` cut to Twilio's 1,600 characters, ending with a link to the rest when cut."""
    if len(text) <= MAX_BODY:
        return text
    tail = f"... {link}"  # ASCII dots: an ellipsis would switch the whole SMS to UCS-2
    return text[: MAX_BODY - len(tail)].rstrip() + tail


# -- webhooks: signatures and payloads ------------------------------------------------------


def auth_token() -> str:
    """Twilio's auth token; with the console backend, a development token from SECRET_KEY."""
    config = current_app.config
    if config["TWILIO_AUTH_TOKEN"] or config["SMS_BACKEND"] == "twilio":
        return config["TWILIO_AUTH_TOKEN"]
    return hashlib.sha256(f"console-sms:{config['SECRET_KEY']}".encode()).hexdigest()


def signing_secrets() -> list[str]:
    """The secrets a genuine request may be signed with: a Webhook SharedKey when Twilio says
    so in its settings header, else the auth token (and the previous one during a rotation)."""
    config = current_app.config
    if request.headers.get(SIGNATURE_SETTINGS_HEADER):
        candidates = config["TWILIO_WEBHOOK_SHARED_KEYS"].split(",")
    else:
        candidates = [auth_token(), config["TWILIO_PREVIOUS_AUTH_TOKEN"]]
    return [secret.strip() for secret in candidates if secret.strip()]


def public_url() -> str:
    """The URL Twilio signed: our public base URL, not whatever a proxy forwarded to us."""
    query = request.query_string.decode()
    return current_app.config["PUBLIC_BASE_URL"] + request.path + (f"?{query}" if query else "")


def signature_is_valid(secrets: list[str]) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = public_url()
    return any(
        RequestValidator(secret).validate(url, request.form, signature, algorithm)
        for secret in secrets
    )


def verified(view):
    """Reject (403) any webhook call that Twilio did not sign; 503 when we cannot check."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        secrets = signing_secrets()
        if not secrets:
            log.error(
                "Twilio webhook %s refused: no signing secret configured (set "
                "TWILIO_AUTH_TOKEN, or TWILIO_WEBHOOK_SHARED_KEYS)",
                request.path,
            )
            abort(503, "The webhook signing secret is not configured")
        if not signature_is_valid(secrets):
            log.warning(
                "Twilio webhook %s refused: missing or invalid signature (from %s)",
                request.path,
                request.remote_addr,
            )
            abort(403, "Missing or invalid X-Twilio-Signature")
        return view(*args, **kwargs)

    return checked


def sign(url: str, params: dict) -> str:
    """Sign as Twilio would; used by the development phone at /dev/sms."""
    return RequestValidator(auth_token()).compute_signature(url, params)


def parse(form: dict) -> Inbound:
    """A Twilio inbound-message form post as one Inbound; raises InvalidContact on a bad From."""
    sender = normalise_phone(form.get("From", ""), current_app.config["DEFAULT_PHONE_REGION"])
    return Inbound(
        channel=Channel.SMS,
        sender=sender,
        text=(form.get("Body") or "").strip(),
        external_id=form.get("MessageSid") or form.get("SmsSid") or "",
        attachments=_media(form),
    )


def _media(form: dict) -> tuple[dict, ...]:
    """MMS media as links (kept at the provider, never fetched by us)."""
    declared = str(form.get("NumMedia") or "0")
    count = int(declared) if declared.isdigit() else 0
    media = []
    for index in range(min(count, MAX_MEDIA)):
        url = form.get(f"MediaUrl{index}") or ""
        if url.startswith(("https://", "http://")):
            media.append(
                {
                    "filename": f"media-{index + 1}",
                    "url": url,
                    "content_type": form.get(f"MediaContentType{index}") or "unknown",
                }
            )
    return tuple(media)


def parse_status(form: dict) -> StatusReport:
    """A delivery status callback in our terms, with Twilio's own word kept for people."""
    word = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    code = form.get("ErrorCode") or None
    return StatusReport(
        provider_id=form.get("MessageSid") or form.get("SmsSid") or "",
        status=STATUS.get(word),
        error_code=code,
        description=f"Twilio {word}" + (f" (error {code})" if code else ""),
        opted_out=code == OPT_OUT_CODE,
    )


# -- sending ----------------------------------------------------------------------------------


def client() -> Client:
    config = current_app.config
    twilio = Client(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        http_client=TwilioHttpClient(timeout=config["TWILIO_TIMEOUT"]),
    )
    twilio.api.base_url = config["TWILIO_API_BASE"]
    return twilio


def status_callback_url(outbox_id: int) -> str:
    """Where Twilio reports delivery; the outbox id lets a callback that overtakes our own
    commit of the message SID still find its row."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/webhooks/twilio/status?outbox={outbox_id}"


def send(outbox) -> Sent:
    """Hand one SMS to Twilio; classify failures as permanent or worth retrying."""
    sender = current_app.config["TWILIO_FROM"]
    origin = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
    pace(sender)
    try:
        message = client().messages.create(
            to=outbox.recipient,
            body=fit(outbox.body, _link(outbox)),
            status_callback=status_callback_url(outbox.id),
            **origin,
        )
    except TwilioRestException as error:
        raise _classify(error) from error
    except requests.RequestException as error:
        raise TransientFailure(f"Twilio unreachable: {error.__class__.__name__}") from error
    first = STATUS.get(message.status or "", OutboxStatus.QUEUED)
    # a failure's reason and code come with its status callback, which records it
    return Sent(
        provider_id=message.sid,
        status=OutboxStatus.QUEUED if first == OutboxStatus.FAILED else first,
    )


def _link(outbox) -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/t/{outbox.ticket.token}" if outbox.ticket is not None else base


def _classify(error: TwilioRestException) -> Exception:
    """Timeouts, 5xx, 429 and rejected credentials (fixable by an operator) are retried."""
    code = str(error.code) if error.code else str(error.status)
    retry = error.status == 429 or error.status >= 500 or error.status == 401
    if retry and code not in PERMANENT_CODES:
        return TransientFailure(error.msg, code)
    return PermanentFailure(error.msg, code, opted_out=code == OPT_OUT_CODE)


def pace(sender: str) -> None:
    """Keep to SMS_PER_SECOND messages a second per sending number, across all workers.

    Each send reserves the sender's next free slot and waits for it. A worker waits at most
    (workers sending from this number) / SMS_PER_SECOND, since only running jobs reserve."""
    from ticketing.queues import connection

    interval = int(1_000_000 / current_app.config["SMS_PER_SECOND"])
    try:
        wait = connection().eval(PACE_SCRIPT, 1, f"fuatilia:sms-pace:{sender}", interval)
    except RedisError as error:
        raise TransientFailure(f"rate limiter unavailable: {error}") from error
    if wait > 0:
        time.sleep(wait / 1_000_000)


__all__ = ["InvalidContact", "parse", "send", "segments", "verified", "sign", "parse_status"]
