"""Development pages, only while a console backend is on: the outbox, and a pretend phone."""

import secrets
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ticketing.channels import console_backends_on, sms
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.extensions import db
from ticketing.models import InboundRaw, Outbox
from ticketing.models.enums import Channel

bp = Blueprint("dev", __name__, url_prefix="/dev")
RECENT = 200


@bp.before_request
def console_only():
    """Never in production: these pages show every message and need no login."""
    if current_app.config["ENV"] == "production" or not console_backends_on():
        abort(404)


@bp.get("/outbox")
def outbox():
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id.desc()).limit(RECENT)).all()
    return render_template("dev/outbox.html", rows=rows)


@bp.route("/sms", methods=["GET", "POST"])
def phone():
    """Play a customer's phone: texts go through the real, signed inbound webhook."""
    if current_app.config["SMS_BACKEND"] != "console":
        abort(404)  # with real Twilio on, a pretend phone could forge customers' texts
    try:
        number = normalise_phone(
            request.values.get("number", "+254712345678"),
            current_app.config["DEFAULT_PHONE_REGION"],
        )
    except InvalidContact as error:
        flash(str(error), "error")
        return redirect(url_for("dev.phone"))
    if request.method == "POST":
        status = _text_in(number, request.form.get("body", ""))
        flash(
            "Sent." if status == 200 else f"The webhook answered {status}.",
            "success" if status == 200 else "error",
        )
        return redirect(url_for("dev.phone", number=number))
    return render_template("dev/sms.html", number=number, conversation=_conversation(number))


def _conversation(number: str) -> list[dict]:
    """What this phone sent (raw inbound rows) and received (SMS outbox rows), oldest first."""
    received = [
        {
            "direction": "outbound",
            "body": row.body,
            "at": row.created_at,
            "status": row.status.value,
            "error": row.last_error,
        }
        for row in db.session.scalars(
            select(Outbox)
            .where(Outbox.channel == Channel.SMS, Outbox.recipient == number)
            .order_by(Outbox.id.desc())
            .limit(RECENT)
        )
    ]
    sent = []
    for raw in db.session.scalars(
        select(InboundRaw)
        .where(InboundRaw.channel == Channel.SMS)
        .order_by(InboundRaw.id.desc())
        .limit(RECENT)
    ):
        form = dict(parse_qsl(raw.payload.decode(errors="replace"), keep_blank_values=True))
        if form.get("From") == number:
            sent.append(
                {
                    "direction": "inbound",
                    "body": form.get("Body", ""),
                    "at": raw.created_at,
                    "status": raw.status.value,
                    "error": raw.error,
                }
            )
    return sorted(received + sent, key=lambda text: text["at"])


def _text_in(number: str, body: str) -> int:
    """Post the text to /webhooks/twilio/sms exactly as Twilio would, signature included."""
    url = current_app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"
    sid = "SM" + secrets.token_hex(16)
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "ACdev",
        "From": number,
        "To": current_app.config["TWILIO_FROM"] or "+254700000000",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": str(sms.segments(body)[1]),
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "FromCountry": "KE",
        "ToCountry": "KE",
    }
    client = current_app.test_client()
    response = client.post(
        "/webhooks/twilio/sms",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sms.sign(url, params)},
        base_url=current_app.config["PUBLIC_BASE_URL"],
    )
    return response.status_code
