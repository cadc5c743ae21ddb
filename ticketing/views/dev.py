"""Development pages, only while a console backend is on: the outbox, and a pretend phone."""

import secrets
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from ticketing.channels import console_backends_on, sms
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.extensions import db
from ticketing.models import InboundRaw, Outbox
from ticketing.models.enums import Channel

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def console_only():
    if not console_backends_on():
        abort(404)


@bp.get("/outbox")
def outbox():
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id.desc()).limit(200)).all()
    return render_template("dev/outbox.html", rows=rows)


@bp.route("/sms", methods=["GET", "POST"])
def phone():
    """Play a customer's phone: texts go through the real, signed inbound webhook."""
    number = request.values.get("number", "+254712345678").strip()
    try:
        number = normalise_phone(number, current_app.config["DEFAULT_PHONE_REGION"])
    except InvalidContact as error:
        flash(str(error), "error")
        return redirect(url_for("dev.phone"))
    if request.method == "POST":
        status = _text_in(number, request.form.get("body", ""))
        flash("Sent." if status == 200 else f"The webhook answered {status}.",
              "success" if status == 200 else "error")
        return redirect(url_for("dev.phone", number=number))
    received = db.session.scalars(select(Outbox).where(
        Outbox.channel == Channel.SMS, Outbox.recipient == number).order_by(Outbox.id)).all()
    sent = db.session.scalars(select(InboundRaw).where(
        InboundRaw.channel == Channel.SMS,
        or_(InboundRaw.source == "dev", InboundRaw.source == "webhook"))
        .order_by(InboundRaw.id.desc()).limit(200)).all()
    return render_template("dev/sms.html", number=number, received=received,
                           sent=[raw for raw in sent if f"From={number}".replace("+", "%2B")
                                 in raw.payload.decode(errors="replace")])


def _text_in(number: str, body: str) -> int:
    """Post the text to /webhooks/twilio/sms exactly as Twilio would, signature included."""
    url = current_app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"
    sid = "SM" + secrets.token_hex(16)
    params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": "ACdev",
              "From": number, "To": current_app.config["TWILIO_FROM"] or "+254700000000",
              "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
              "ApiVersion": "2010-04-01", "FromCountry": "KE", "ToCountry": "KE"}
    client = current_app.test_client()
    response = client.post("/webhooks/twilio/sms", data=urlencode(params),
                           content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": sms.sign(url, params)},
                           base_url=current_app.config["PUBLIC_BASE_URL"])
    return response.status_code
