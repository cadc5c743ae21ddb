"""SMS through Africa's Talking: what its gateway posts to us (inbound messages, delivery
reports, opt-outs) and sending through its bulk SMS API (`POST {base}/version1/messaging`).

A small client of ours on `requests`, not AT's SDK: the SDK keeps its credentials in module
globals and hard-codes its hosts, where this reads AT_API_BASE and AT_TIMEOUT per call.

The one rule that differs from Twilio's: Africa's Talking cannot be asked what it holds (it
lists no sent messages by recipient), so an attempt whose answer was lost (a read timeout, a
cut connection, its 500/502/504, a 2xx we cannot read) can never be settled by asking. Sending
again might text Wanjiku twice; retrying in doubt would only wait out every back-off to reach
the same end. So such a send fails at once, as LOST_ANSWER, and the agent sees on the ticket
that it may have been delivered. `find_sent` (reached only when a worker died mid-send) says
it cannot know: the row waits and is never sent blind (workers/deliver.py).
"""

import functools
import hashlib
import hmac
import ipaddress
import logging
from datetime import timedelta

import requests
from flask import abort, current_app, request
from sqlalchemy import select

from ticketing import hours, lines
from ticketing.channels import (
    Inbound,
    PermanentFailure,
    Sent,
    StatusReport,
    TransientFailure,
    may_have_arrived,
)
from ticketing.channels.sms import fit
from ticketing.contacts import normalise_phone
from ticketing.extensions import db
from ticketing.models import Message
from ticketing.models.enums import Channel, Direction, OutboxStatus, Provider

log = logging.getLogger(__name__)
LIVE_API = "https://api.africastalking.com"
SANDBOX_API = "https://api.sandbox.africastalking.com"
LINK_WINDOW = timedelta(hours=3)  # a premium session's linkId is answered within hours
LOST_ANSWER = "the gateway's answer was lost; it may have been delivered"
LOST_CODE = "answer-lost"
# A recipient's statusCode in the bulk SMS answer: taken (our first word on it)...
ACCEPTED = {100: OutboxStatus.QUEUED, 101: OutboxStatus.SENT, 102: OutboxStatus.QUEUED}
# ...or not: (AT's name, worth retrying, the reason for people). A retry cannot change a
# bad number, a refused sender id or a block; an operator's top-up or the gateway can.
REFUSED = {
    401: ("RiskHold", False, "held by Africa's Talking's risk checks"),
    402: ("InvalidSenderId", False, "the sender id is not allowed on this account"),
    403: ("InvalidPhoneNumber", False, "not a valid phone number"),
    404: ("UnsupportedNumberType", False, "this number cannot get SMS from this sender"),
    405: ("InsufficientBalance", True, "the Africa's Talking balance is too low: top it up"),
    406: ("UserInBlacklist", False, "the customer has blocked messages from this sender"),
    407: ("CouldNotRoute", False, "no route to the customer's network"),
    409: ("DoNotDisturbRejection", False, "refused by the customer's Do Not Disturb setting"),
    500: ("InternalServerError", True, "Africa's Talking had an internal error"),
    501: ("GatewayError", True, "the network's gateway failed"),
    502: ("RejectedByGateway", True, "the network's gateway refused it for now"),
}
OPTED_OUT_CODE = 406
# HTTP answers that do not say the request was refused: it may have been taken all the same.
MAYBE_TAKEN = {500, 502, 504}
# A delivery report's status, in our words; Rejected, Failed, AbsentSubscriber, Expired fail.
REPORTED = {
    "Sent": OutboxStatus.SENT,
    "Submitted": OutboxStatus.SENT,
    "Buffered": OutboxStatus.SENT,
    "Success": OutboxStatus.DELIVERED,
    "Rejected": OutboxStatus.FAILED,
    "Failed": OutboxStatus.FAILED,
    "AbsentSubscriber": OutboxStatus.FAILED,
    "Expired": OutboxStatus.FAILED,
}
REPORTED_OPT_OUT = "UserInBlackList"  # a delivery report's failureReason


def parse(form: dict) -> Inbound:
    """An inbound-message callback (`from`, `to`, `text`, `id`, `linkId`...) as one Inbound;
    raises InvalidContact on a bad `from`."""
    return Inbound(
        channel=Channel.SMS,
        sender=normalise_phone(form.get("from", ""), current_app.config["DEFAULT_PHONE_REGION"]),
        text=(form.get("text") or "").strip(),
        external_id=form.get("id") or "",
        line=lines.for_inbound(Provider.AFRICASTALKING, form.get("to", "")),
        link_id=form.get("linkId") or "",
    )


# -- callbacks: Africa's Talking signs nothing, so every callback URL carries a secret ------


def verified(view):
    """Refuse (403) a callback without our secret `?key=` (compared in constant time), or
    from outside AT_ALLOWED_NETWORKS when set; 503 while no secret is configured."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        secret = webhook_secret()
        if not secret:
            log.error("Africa's Talking callback %s refused: AT_WEBHOOK_SECRET unset", request.path)
            abort(503, "The callback secret (AT_WEBHOOK_SECRET) is not configured")
        supplied = request.args.get("key", "")
        if not hmac.compare_digest(supplied.encode(), secret.encode()):
            log.warning("Africa's Talking callback %s refused: wrong key", request.path)
            abort(403, "Missing or wrong ?key=")
        if not from_allowed_network(request.remote_addr):
            log.warning("Africa's Talking callback from %s refused", request.remote_addr)
            abort(403, "Not from an allowed network")
        return view(*args, **kwargs)

    return checked


def webhook_secret() -> str:
    """AT_WEBHOOK_SECRET; with the console SMS backend and none set, a development secret
    from SECRET_KEY, so that /dev/sms can play the gateway without any set-up."""
    config = current_app.config
    if config["AT_WEBHOOK_SECRET"] or config["SMS_BACKEND"] != "console":
        return config["AT_WEBHOOK_SECRET"]
    return hashlib.sha256(f"console-at:{config['SECRET_KEY']}".encode()).hexdigest()


def from_allowed_network(address: str | None) -> bool:
    """AT_ALLOWED_NETWORKS (CIDRs, comma list) holds the caller; any caller when unset. The
    address is the client's as ProxyFix reports it behind TRUSTED_PROXIES."""
    allowed = [n.strip() for n in current_app.config["AT_ALLOWED_NETWORKS"].split(",") if n.strip()]
    if not allowed:
        return True
    try:
        caller = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(caller in ipaddress.ip_network(network, strict=False) for network in allowed)


def callback_url(path: str) -> str:
    """The URL to paste into Africa's Talking's dashboard for `path`, secret included."""
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}?key={webhook_secret()}"


def parse_report(form: dict) -> StatusReport:
    """A delivery report (`id`, `status`, `failureReason`...) in our terms, AT's words kept."""
    word, reason = form.get("status") or "", form.get("failureReason") or ""
    return StatusReport(
        provider_id=form.get("id") or "",
        status=REPORTED.get(word),
        error_code=reason[:32] or None,
        description=f"Africa's Talking {word}" + (f" ({reason})" if reason else ""),
        opted_out=reason == REPORTED_OPT_OUT,
    )


# -- sending --------------------------------------------------------------------------------


def api_base() -> str:
    """AT_API_BASE, else AT's sandbox host for the "sandbox" username, else its live host."""
    config = current_app.config
    if config["AT_API_BASE"]:
        return config["AT_API_BASE"].rstrip("/")
    return SANDBOX_API if config["AT_USERNAME"] == "sandbox" else LIVE_API


def sender_of(outbox) -> str:
    """The shortcode or sender id the row goes out from: its line's, else AT_FROM."""
    if outbox.line:
        return lines.split(outbox.line)[1]
    return current_app.config["AT_FROM"]


def link_id_for(outbox) -> str | None:
    """The premium session to answer in: the newest linkId the customer sent on the row's
    ticket within LINK_WINDOW (AT bills and routes a premium reply by it)."""
    if outbox.ticket_id is None:
        return None
    return db.session.scalar(
        select(Message.link_id)
        .where(
            Message.ticket_id == outbox.ticket_id,
            Message.direction == Direction.INBOUND,
            Message.link_id.is_not(None),
            Message.created_at >= hours.now() - LINK_WINDOW,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


def request_for(outbox) -> dict:
    """The form AT's bulk SMS API takes for one row."""
    base = current_app.config["PUBLIC_BASE_URL"]
    link = f"{base}/t/{outbox.ticket.token}" if outbox.ticket is not None else base
    form = {
        "username": current_app.config["AT_USERNAME"],
        "to": outbox.recipient,
        "message": fit(outbox.body, link),
    }
    if sender := sender_of(outbox):
        form["from"] = sender  # without it AT sends from its shared default sender
    if link_id := link_id_for(outbox):
        form |= {"linkId": link_id, "bulkSMSMode": "0"}
    return form


def send(outbox) -> Sent:
    """Hand one SMS to Africa's Talking; classify a refusal as permanent or worth retrying,
    and fail an attempt whose answer was lost (see the module's docstring)."""
    config = current_app.config
    try:
        response = requests.post(
            f"{api_base()}/version1/messaging",
            data=request_for(outbox),
            headers={"apiKey": config["AT_API_KEY"], "Accept": "application/json"},
            timeout=config["AT_TIMEOUT"],
        )
    except requests.RequestException as error:
        if may_have_arrived(error):
            lost = f"{LOST_ANSWER} ({error.__class__.__name__})"
            raise PermanentFailure(lost, LOST_CODE) from error
        unreachable = f"Africa's Talking unreachable: {error.__class__.__name__}"
        raise TransientFailure(unreachable) from error
    return _outcome(response, outbox.recipient)


def find_sent(outbox, since) -> tuple[Sent, ...]:
    """AT cannot be asked for earlier attempts (a dead worker's send): nobody will ever know,
    so the row fails for the agent to see, and nothing is sent twice."""
    raise PermanentFailure(f"{LOST_ANSWER} (Africa's Talking cannot be asked)", LOST_CODE)


def _outcome(response: requests.Response, recipient: str) -> Sent:
    status = response.status_code
    if status == 401:
        refused = "Africa's Talking refused our credentials (HTTP 401): check AT_USERNAME"
        raise TransientFailure(f"{refused} and AT_API_KEY", "http-401")
    if status in MAYBE_TAKEN:
        raise PermanentFailure(f"{LOST_ANSWER} (HTTP {status})", LOST_CODE)
    if status == 429 or status >= 500:
        raise TransientFailure(f"Africa's Talking unavailable (HTTP {status})", f"http-{status}")
    if status >= 300:
        said = " ".join(response.text.split())[:200]
        raise PermanentFailure(
            f"Africa's Talking refused the request (HTTP {status}): {said}", f"http-{status}"
        )
    try:
        data = response.json()["SMSMessageData"]
        recipients = list(data["Recipients"])
    except (ValueError, KeyError, TypeError) as error:
        raise PermanentFailure(f"{LOST_ANSWER} (an unreadable answer)", LOST_CODE) from error
    answer = _answer_for(recipients, recipient)
    if answer is None:  # sent to nobody: AT names why in its Message ("InvalidSenderId")
        word = str(data.get("Message") or "")
        code = next((c for c, (name, *_) in REFUSED.items() if name == word), None)
        raise _refusal(code, word)
    return _accepted(answer)


def _answer_for(recipients: list, recipient: str) -> dict | None:
    """Our recipient's entry (we send to one number a request)."""
    entries = [entry for entry in recipients if isinstance(entry, dict)]
    mine = [entry for entry in entries if entry.get("number") == recipient]
    return (mine or entries or [None])[0]


def _accepted(answer: dict) -> Sent:
    try:
        code = int(answer.get("statusCode"))
    except (TypeError, ValueError):
        code = None
    message_id = str(answer.get("messageId") or "")
    if code in ACCEPTED and message_id and message_id != "None":
        return Sent(provider_id=message_id[:64], status=ACCEPTED[code])
    raise _refusal(code, str(answer.get("status") or ""))


def _refusal(code: int | None, word: str) -> Exception:
    """A recipient's refusal as the failure deliver records, with the reason for people."""
    if code not in REFUSED:
        return TransientFailure(
            f"Africa's Talking did not take it: {word or 'no reason given'}",
            str(code) if code else None,
        )
    name, retry, reason = REFUSED[code]
    text = f"Africa's Talking: {reason} ({name}, {code})"
    if retry:
        return TransientFailure(text, str(code))
    return PermanentFailure(text, str(code), opted_out=code == OPTED_OUT_CODE)
