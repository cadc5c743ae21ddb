"""Provider webhooks: verify, store the raw payload, enqueue, answer. Nothing is parsed here
beyond the dedupe key, and "200" is said only once the raw row is committed (or spooled)."""

import hmac
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ticketing import hours, intake, queues, ratelimit, spool
from ticketing.channels import email as email_channel
from ticketing.channels import sms
from ticketing.extensions import csrf, db
from ticketing.models import InboundRaw, Outbox
from ticketing.models.enums import Channel, OutboxStatus

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATUS_RANK = {OutboxStatus.PENDING: 0, OutboxStatus.QUEUED: 1, OutboxStatus.SENT: 2,
               OutboxStatus.DELIVERED: 3, OutboxStatus.FAILED: 3, OutboxStatus.SUPPRESSED: 3}
TWILIO_STATUS = {"accepted": OutboxStatus.QUEUED, "queued": OutboxStatus.QUEUED,
                 "sending": OutboxStatus.QUEUED, "sent": OutboxStatus.SENT,
                 "delivered": OutboxStatus.DELIVERED, "undelivered": OutboxStatus.FAILED,
                 "failed": OutboxStatus.FAILED}


DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


def store_raw(channel: Channel, external_id: str, payload: bytes, source: str) -> str:
    """Commit the raw payload once; "stored", "duplicate", or "spooled" when the DB is down."""
    spool.replay_some()
    try:
        raw = InboundRaw(channel=channel, external_id=external_id, payload=payload, source=source)
        db.session.add(raw)
        db.session.flush()
        queues.enqueue_after_commit(queues.PROCESS_INBOUND, raw.id)
        db.session.commit()
        return "stored"
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    except DATABASE_DOWN as error:
        db.session.rollback()
        log.error("database unavailable (%s): spooling %s %s", error, channel, external_id)
        spool.write(channel, external_id, payload, source)
        return "spooled"


@bp.post("/twilio/sms")
@sms.verified
def twilio_sms():
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        abort(400, "MessageSid is missing")
    if not ratelimit.allow(f"sms-in:{form.get('From', '')}", 30, 60):
        log.warning("inbound SMS flood from %s: kept, processing as usual", form.get("From"))
    payload = urlencode(list(form.items(multi=True))).encode()
    store_raw(Channel.SMS, sid, payload, "webhook")
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/status")
@sms.verified
def twilio_status():
    sid, status, code = sms.parse_status(request.form)
    row = _sms_outbox_for(sid, request.args.get("outbox", type=int))
    new = TWILIO_STATUS.get(status)
    if row is None or new is None:
        log.info("status callback %r for unknown message %s: ignored", status, sid)
        return Response(status=204)
    if STATUS_RANK[new] > STATUS_RANK[row.status]:
        _advance(row, new, status, code)
        db.session.commit()
    return Response(status=204)


def _sms_outbox_for(sid: str, outbox_id: int | None) -> Outbox | None:
    """The row a callback is about: by SID, or by the outbox id in the callback URL when the
    callback overtook our commit of the SID (never a row that holds another SID)."""
    if not sid:
        return None
    row = db.session.scalar(db.select(Outbox).where(Outbox.provider_id == sid))
    if row is None and outbox_id:
        row = db.session.get(Outbox, outbox_id)
        if row is None or row.channel != Channel.SMS or row.provider_id not in (None, sid):
            return None
        row.provider_id = sid
    return row


def _advance(row: Outbox, new: OutboxStatus, status: str, code: str | None) -> None:
    """Move forward only: a late "sent" never undoes "delivered", a failure keeps its code."""
    row.status = new
    if new in (OutboxStatus.SENT, OutboxStatus.DELIVERED):
        row.sent_at, row.last_error, row.error_code = row.sent_at or hours.now(), None, None
    if new == OutboxStatus.DELIVERED:
        row.delivered_at = hours.now()
    if new == OutboxStatus.FAILED:
        row.error_code = code
        row.last_error = f"Twilio {status}" + (f" (error {code})" if code else "")
        if code == sms.OPT_OUT_CODE and row.customer_id:
            from ticketing import customers
            from ticketing.models import Customer

            customers.set_sms_opt_out(db.session.get(Customer, row.customer_id), True,
                                      source=f"provider error {code}")


@bp.post("/email")
def inbound_email():
    secret = current_app.config["INBOUND_EMAIL_SECRET"]
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not secret or not hmac.compare_digest(supplied.encode(), secret.encode()):
        return jsonify(error={"code": "unauthorized",
                              "message": "Authorization: Bearer <INBOUND_EMAIL_SECRET> required"}), 401
    limit = current_app.config["MAX_EMAIL_BYTES"]
    request.max_content_length = limit + 1
    if (request.content_length or 0) > limit:
        return jsonify(error={"code": "too_large", "message": f"over {limit} bytes"}), 413
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        return jsonify(error={"code": "too_large", "message": f"over {limit} bytes"}), 413
    if not raw.strip():
        return jsonify(error={"code": "empty", "message": "the body must be one RFC 5322 message"}), 400
    try:
        key = intake.email_key(raw)
    except DATABASE_DOWN:  # store_raw spools it; the replay dedupes by Message-ID alone
        db.session.rollback()
        key = email_channel.external_id(raw)
    outcome = store_raw(Channel.EMAIL, key, raw, "webhook")
    return jsonify(status=outcome), 200
