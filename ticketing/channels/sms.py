"""SMS through Twilio (or any service with Twilio's API): what Twilio posts to us (signed
webhooks, inbound messages, delivery reports) and the shape of an SMS. Sending is in
twilio_rest.py."""

import functools
import hashlib
import logging
import math
import mimetypes
from dataclasses import replace
from urllib.parse import urlsplit

import requests
from flask import abort, current_app, request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from ticketing import lines
from ticketing.channels import Inbound, StatusReport
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.models.enums import Channel, OutboxStatus, Provider

log = logging.getLogger(__name__)
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
MAX_BODY = 1600  # Twilio refuses longer bodies (21617)
MAX_MEDIA = 10  # Twilio sends at most 10 media per MMS
# What WhatsApp and MMS carry that we keep as files: photos, voice notes, videos, documents.
KEPT_MEDIA_FAMILIES = {"image", "audio", "video"}
KEPT_MEDIA_TYPES = {
    "application/pdf",
    "text/plain",
    "text/vcard",
    "text/x-vcard",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
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
    """A Twilio inbound-message form post (SMS, or WhatsApp when From is "whatsapp:+...") as
    one Inbound; raises InvalidContact on a bad From."""
    sender = form.get("From", "")
    channel = Channel.WHATSAPP if sender.startswith(lines.WHATSAPP_PREFIX) else Channel.SMS
    phone = normalise_phone(
        sender.removeprefix(lines.WHATSAPP_PREFIX), current_app.config["DEFAULT_PHONE_REGION"]
    )
    return Inbound(
        channel=channel,
        sender=phone,
        text=(form.get("Body") or "").strip(),
        external_id=form.get("MessageSid") or form.get("SmsSid") or "",
        attachments=_media(form),
        sender_name=form.get("ProfileName", "") if channel == Channel.WHATSAPP else "",
        line=_line(form),
    )


def _line(form: dict) -> str:
    """The line the message came in on: its Messaging Service when that is one of our lines
    (then answers go through the service, not from one number of its pool), else the number."""
    service = form.get("MessagingServiceSid") or ""
    if service:
        by_service = lines.key(Provider.TWILIO, service)
        if by_service == lines.configured(Channel.SMS) or lines.find(by_service) is not None:
            return by_service
    return lines.for_inbound(Provider.TWILIO, form.get("To", ""))


def _media(form: dict) -> tuple[dict, ...]:
    """MMS and WhatsApp media as links; the worker that files the message fetches them
    (`fetch_media`), never the webhook."""
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


def fetch_media(inbound: Inbound) -> Inbound:
    """`inbound` with its Twilio-hosted media fetched and kept as files. What cannot be kept
    (too big, not a photo, sound, video or document, Twilio refused or unreachable, a link
    that is not Twilio's) stays a link, with a note on the ticket that says why."""
    if not any(item.get("url") for item in inbound.attachments):
        return inbound
    kept, notes = [], list(inbound.notes)
    for item in inbound.attachments:
        fetched, note = _fetch(item) if item.get("url") else (item, None)
        kept.append(fetched)
        if note:
            notes.append(f"{item['filename']} kept only as a link: {note}")
    return replace(inbound, attachments=tuple(kept), notes=tuple(notes))


def _fetch(item: dict) -> tuple[dict, str | None]:
    """(the stored file, None), or (the link as it was, why it was not fetched). Twilio's
    media URLs take the account's credentials and redirect to the file: requests drops the
    credentials when the redirect leaves Twilio's host, as it must."""
    config = current_app.config
    url, limit = item["url"], config["MAX_MEDIA_BYTES"]
    if not _is_twilio(url):
        return item, f"not at {config['TWILIO_API_BASE']}, so not fetched with our credentials"
    try:
        with requests.get(
            url,
            auth=(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]),
            timeout=config["TWILIO_TIMEOUT"],
            stream=True,
        ) as response:
            if response.status_code != 200:
                return item, f"Twilio answered HTTP {response.status_code}"
            content_type = response.headers.get("Content-Type", "").partition(";")[0]
            content_type = content_type.strip().lower()
            if not _is_keepable(content_type):
                return item, f"{content_type or 'no content type'} is not a file we keep"
            data = _read_at_most(response, limit)
    except requests.RequestException as error:
        return item, f"Twilio unreachable ({error.__class__.__name__})"
    if data is None:
        return item, f"over the {_size(limit)} limit per file"
    extension = mimetypes.guess_extension(content_type) or ""
    return {
        "filename": f"{item['filename']}{extension}",
        "content_type": content_type,
        "size": len(data),
        "data": data,
    }, None


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MB" if count >= 1_048_576 else f"{count / 1024:.0f} KB"


def _is_twilio(url: str) -> bool:
    """Our credentials go only to the Twilio API we are configured with."""
    ours, theirs = urlsplit(current_app.config["TWILIO_API_BASE"]), urlsplit(url)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def _is_keepable(content_type: str) -> bool:
    if content_type == "image/svg+xml":  # a picture that can carry scripts
        return False
    family = content_type.partition("/")[0]
    return family in KEPT_MEDIA_FAMILIES or content_type in KEPT_MEDIA_TYPES


def _read_at_most(response, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over `limit` bytes (read no further)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    data = bytearray()
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)


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


__all__ = [
    "InvalidContact",
    "parse",
    "segments",
    "verified",
    "sign",
    "parse_status",
    "fetch_media",
]
