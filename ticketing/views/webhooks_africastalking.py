"""Africa's Talking SMS callbacks: inbound messages, delivery reports, opt-outs.

Each URL carries our secret (`?key=`, africastalking.verified), since AT signs nothing. AT
wants a quick 200: an inbound message is answered once its raw row is committed (or spooled),
exactly as Twilio's is in webhooks.py, and parsed later by the worker."""

import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request

from ticketing import customers, lifecycle, limits, lines, outbox
from ticketing.channels import africastalking
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.extensions import csrf, db
from ticketing.models.enums import Channel, Provider
from ticketing.views.webhooks import store_raw

bp = Blueprint("africastalking", __name__, url_prefix="/africastalking")
csrf.exempt(bp)
log = logging.getLogger(__name__)
MAX_FORM_BYTES = 32 * 1024  # a callback is a few fields; anything bigger is not AT's
MAX_TEXT = 5000  # characters: carriers join an SMS from ten or so parts, far below this


def _form():
    """The posted form, refused (413) above MAX_FORM_BYTES before it is read."""
    request.max_content_length = MAX_FORM_BYTES
    return request.form


@bp.post("/sms")
@limits.webhook
@africastalking.verified
def sms():
    form = _form()
    message_id, sender = form.get("id", "").strip(), form.get("from", "").strip()
    if not message_id or not sender:
        abort(400, "An inbound message needs its `id` and `from`")
    if "MessageSid" in form or "SmsSid" in form:  # the worker would read it as Twilio's
        abort(400, "An Africa's Talking message carries no MessageSid")
    if len(form.get("text", "")) > MAX_TEXT:
        abort(413, f"`text` is over {MAX_TEXT} characters")
    if not limits.sms_sender_within_limit(sender):
        log.warning("inbound SMS flood from %s: kept, processing as usual", sender)
    store_raw(Channel.SMS, message_id, urlencode(list(form.items(multi=True))).encode())
    return Response(status=200)


@bp.post("/delivery")
@limits.webhook
@africastalking.verified
def delivery():
    """A delivery report: the channel reads it, the outbox moves its row forward (only)."""
    form = _form()
    if not form.get("id") or not form.get("status"):
        abort(400, "A delivery report needs its `id` and `status`")
    report = africastalking.parse_report(form)
    if (row := outbox.record_report(Channel.SMS, report)) is not None:
        lifecycle.reply_refused(row)  # Failed or Rejected: that reply is no answer
    else:
        log.info("delivery report %r for %s: no row of ours", report.description, form["id"])
    db.session.commit()
    return Response(status=200)


@bp.post("/optout")
@limits.webhook
@africastalking.verified
def optout():
    """The customer opted out at AT (for one sender id): that line of ours falls silent."""
    form = _form()
    sender_id = form.get("senderId", "").strip()
    try:
        phone = normalise_phone(
            form.get("phoneNumber", ""), current_app.config["DEFAULT_PHONE_REGION"]
        )
    except InvalidContact:
        abort(400, "An opt-out needs a valid `phoneNumber`")
    if not sender_id:
        abort(400, "An opt-out needs its `senderId`")
    customer = customers.find(phone=phone)
    if customer is not None:
        line = lines.key(Provider.AFRICASTALKING, sender_id)
        customers.set_sms_opt_out(customer, True, line=line, source="Africa's Talking opt-out")
    else:
        log.info("Africa's Talking opt-out for %s: not a customer of ours", phone)
    db.session.commit()
    return Response(status=200)
