"""Provider webhooks: verify, store the raw payload, enqueue, answer. Nothing is parsed here
beyond the dedupe key, and "200" is said only once the raw row is committed (or spooled)."""

import hmac
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, request

from ticketing import inbound, lifecycle, limits, outbox, spool
from ticketing.channels import email as email_channel
from ticketing.channels import sms
from ticketing.extensions import csrf, db
from ticketing.models.enums import Channel

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def store_raw(channel: Channel, external_id: str, payload: bytes) -> str:
    """Commit the raw payload once: inbound.store's outcome, or "spooled" when the DB is down."""
    spool.replay_some()
    try:
        outcome = inbound.store(channel, external_id, payload, "webhook")
        db.session.commit()
    except spool.DATABASE_DOWN as error:  # then spool, and still say 200
        db.session.rollback()
        log.error("database unavailable (%s): spooling %s %s", error, channel, external_id)
        spool.write(channel, external_id, payload, "webhook")
        return "spooled"
    return outcome


@bp.post("/twilio/sms")
@limits.webhook
@sms.verified
def twilio_sms():
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        abort(400, "MessageSid is missing")
    if not limits.sms_sender_within_limit(form.get("From", "")):
        log.warning("inbound SMS flood from %s: kept, processing as usual", form.get("From"))
    payload = urlencode(list(form.items(multi=True))).encode()
    store_raw(Channel.SMS, sid, payload)
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/status")
@limits.webhook
@sms.verified
def twilio_status():
    """A delivery report: the channel reads it, the outbox records it."""
    report = sms.parse_status(request.form)
    row = outbox.record_report(Channel.SMS, report, request.args.get("outbox", type=int))
    if row is not None:
        lifecycle.reply_refused(row)  # failed or undelivered: that reply is no answer
    else:
        log.info(
            "status callback %r for %s: no row of ours, or nothing to act on",
            report.description,
            report.provider_id,
        )
    db.session.commit()
    return Response(status=204)


@bp.post("/email")
@limits.webhook
def inbound_email():
    secret = current_app.config["INBOUND_EMAIL_SECRET"]
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not secret or not hmac.compare_digest(supplied.encode(), secret.encode()):
        return jsonify(
            error={
                "code": "unauthorized",
                "message": "Authorization: Bearer <INBOUND_EMAIL_SECRET> required",
            }
        ), 401
    limit = current_app.config["MAX_EMAIL_BYTES"]
    request.max_content_length = limit + 1
    if (request.content_length or 0) > limit:
        return jsonify(error={"code": "too_large", "message": f"over {limit} bytes"}), 413
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        return jsonify(error={"code": "too_large", "message": f"over {limit} bytes"}), 413
    if not raw.strip():
        return jsonify(
            error={"code": "empty", "message": "the body must be one RFC 5322 message"}
        ), 400
    outcome = store_raw(Channel.EMAIL, email_channel.external_id(raw), raw)
    return jsonify(status=outcome), 200
