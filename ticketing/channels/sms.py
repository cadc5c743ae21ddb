"""SMS through Twilio (or any service with Twilio's REST API): the only `import twilio`."""

import functools
import hashlib
import math
import time

import requests
from flask import abort, current_app, request
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from ticketing.channels import Inbound, PermanentFailure, Sent, TransientFailure
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.models.enums import Channel

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
OPT_OUT_CODE = "21610"  # Twilio: the recipient has replied STOP to this sender
# Codes that will not change on a retry: bad number, not mobile, unsubscribed, blocked...
PERMANENT_CODES = {"21211", "21214", "21408", "21610", "21612", "21614", "21617", "21635",
                   "30003", "30004", "30005", "30006", "30007", "30008"}


def segments(text: str) -> tuple[str, int]:
    """("GSM-7" or "UCS-2", number of SMS segments) for `text`, as carriers count them."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return "GSM-7", 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else math.ceil(units / 67)


def auth_token() -> str:
    """Twilio's auth token; with the console backend, a development token from SECRET_KEY."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if token:
        return token
    return hashlib.sha256(f"console-sms:{current_app.config['SECRET_KEY']}".encode()).hexdigest()


def public_url() -> str:
    """The URL Twilio signed: our public base URL, not whatever a proxy forwarded to us."""
    query = request.query_string.decode()
    return current_app.config["PUBLIC_BASE_URL"] + request.path + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    return RequestValidator(auth_token()).validate(public_url(), request.form.to_dict(), signature)


def verified(view):
    """Reject (403) any webhook call that Twilio did not sign."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not signature_is_valid():
            abort(403, "Missing or invalid X-Twilio-Signature")
        return view(*args, **kwargs)

    return checked


def sign(url: str, params: dict) -> str:
    """Sign as Twilio would; used by the development phone at /dev/sms."""
    return RequestValidator(auth_token()).compute_signature(url, params)


def parse(form: dict) -> Inbound:
    """A Twilio inbound-message form post as one Inbound; raises InvalidContact on a bad From."""
    sender = normalise_phone(form.get("From", ""), current_app.config["DEFAULT_PHONE_REGION"])
    media = []
    for index in range(min(int(form.get("NumMedia") or 0), 10)):
        url = form.get(f"MediaUrl{index}")
        if url:
            media.append({"filename": f"media-{index + 1}", "url": url,
                          "content_type": form.get(f"MediaContentType{index}") or "unknown"})
    return Inbound(channel=Channel.SMS, sender=sender, text=(form.get("Body") or "").strip(),
                   external_id=form.get("MessageSid") or form.get("SmsSid") or "",
                   attachments=tuple(media))


def client() -> Client:
    config = current_app.config
    twilio = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                    http_client=TwilioHttpClient(timeout=15))
    twilio.api.base_url = config["TWILIO_API_BASE"]
    return twilio


def send(outbox) -> Sent:
    """Hand one SMS to Twilio; classify failures as permanent or worth retrying."""
    sender = current_app.config["TWILIO_FROM"]
    origin = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
    pace(sender)
    try:
        message = client().messages.create(
            to=outbox.recipient, body=outbox.body, **origin,
            status_callback=current_app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/status")
    except TwilioRestException as error:
        code = str(error.code) if error.code else str(error.status)
        if code in PERMANENT_CODES or (400 <= error.status < 500 and error.status != 429):
            raise PermanentFailure(error.msg, code) from error
        raise TransientFailure(error.msg, code) from error
    except requests.RequestException as error:
        raise TransientFailure(f"Twilio unreachable: {error.__class__.__name__}") from error
    return Sent(provider_id=message.sid, status=message.status or "queued")


def pace(sender: str) -> None:
    """Keep to SMS_PER_SECOND messages a second per sending number, across all workers."""
    from ticketing.queues import connection

    limit = current_app.config["SMS_PER_SECOND"]
    redis = connection()
    while True:
        second = int(time.time())
        key = f"fuatilia:sms-rate:{sender}:{second}"
        count = redis.incr(key)
        if count == 1:
            redis.expire(key, 5)
        if count <= limit:
            return
        time.sleep(max(0.0, second + 1 - time.time()) + 0.01)


def parse_status(form: dict) -> tuple[str, str, str | None]:
    """(MessageSid, status, error code) from a delivery status callback."""
    return (form.get("MessageSid") or form.get("SmsSid") or "",
            (form.get("MessageStatus") or form.get("SmsStatus") or "").lower(),
            form.get("ErrorCode") or None)


__all__ = ["InvalidContact", "parse", "send", "segments", "verified", "sign", "parse_status"]
