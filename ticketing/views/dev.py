"""Development pages, only while a console backend is on: the outbox, and a pretend phone.

The phone plays a customer and the gateways both: it posts to our own webhooks exactly what
Twilio (SMS, WhatsApp) or Africa's Talking (SMS, USSD) would post, signed or keyed as they
would be, to the line the user picks, so routing by number shows as it would live."""

import re
import secrets
import uuid
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ticketing import hours, lines
from ticketing.channels import africastalking, console_backends_on, sms
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.extensions import db
from ticketing.models import InboundRaw, Outbox
from ticketing.models.enums import Channel, Provider

bp = Blueprint("dev", __name__, url_prefix="/dev")
RECENT = 200
PRETEND_NUMBER = "+254700000000"  # our number while TWILIO_FROM is unset (`make run`)
PRETEND_SHORTCODE = "21525"  # our Africa's Talking shortcode while AT_FROM is unset
NETWORK_CODE = "63902"  # Safaricom, as Africa's Talking names it
FORM = "application/x-www-form-urlencoded"
MAX_CHOICE, MAX_USSD_TEXT = 160, 500  # a USSD reply fits one screen; the session log keeps 500
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
MODES = {"twilio": "Twilio SMS", "africastalking": "Africa's Talking SMS", "whatsapp": "WhatsApp"}


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
    """Play a customer's phone: texts go through the real, signed (or keyed) inbound webhook."""
    number = _number()
    if number is None:
        return redirect(url_for("dev.phone"))
    targets = _targets()
    if request.method == "GET":
        return _page(number, targets, to=request.args.get("to", ""))
    target = next(
        (t for t in targets if t["key"] == request.form.get("to", targets[0]["key"])), None
    )
    if target is None:
        flash("Choose one of our lines to send to.", "error")
        return _page(number, targets), 400
    status = _text_in(target, number, request.form.get("body", ""), request.form.get("name", ""))
    flash(
        "Sent." if status == 200 else f"The webhook answered {status}.",
        "success" if status == 200 else "error",
    )
    return redirect(url_for("dev.phone", number=number, to=target["key"]))


@bp.post("/ussd")
def ussd():
    """Dial the USSD code (no session yet) or answer the screen: each step posts the whole
    session so far to /webhooks/africastalking/ussd, as the gateway does."""
    number = _number()
    if number is None:
        return redirect(url_for("dev.phone"))
    form = request.form
    session_id, so_far = form.get("session_id", ""), form.get("text", "")
    choice = form.get("choice", "").strip()
    if session_id:
        screen = {"session_id": session_id, "text": so_far, "body": form.get("screen", "")}
        problem = _bad_step(session_id, so_far, choice)
        if problem:
            return _page(number, _targets(), ussd=screen | {"open": True, "error": problem}), 400
        text = f"{so_far}*{choice}" if so_far else choice
    else:
        session_id, text = "ATUid_" + secrets.token_hex(16), ""
    return _page(number, _targets(), ussd=_ussd_step(session_id, number, text))


def _number() -> str | None:
    """This phone's number, E.164; None (with a flash) when it is not one."""
    if current_app.config["SMS_BACKEND"] != "console":
        abort(404)  # with a real gateway on, a pretend phone could forge customers' messages
    try:
        return normalise_phone(
            request.values.get("number", "+254712345678"),
            current_app.config["DEFAULT_PHONE_REGION"],
        )
    except InvalidContact as error:
        flash(str(error), "error")
        return None


def _targets() -> list[dict]:
    """The lines the phone may write to: the configured ones (pretend ones while unset), then
    every enabled line an admin added, each with its department."""
    config = current_app.config
    twilio_from = config["TWILIO_FROM"] or PRETEND_NUMBER
    keys = [
        lines.key(Provider.TWILIO, twilio_from),
        lines.key(Provider.AFRICASTALKING, config["AT_FROM"] or PRETEND_SHORTCODE),
        lines.key(
            Provider.TWILIO, lines.with_prefix(config["TWILIO_WHATSAPP_FROM"] or twilio_from)
        ),
    ]
    owners = {row.key: row.department for row in lines.listed() if row.is_enabled}
    targets = []
    for key in dict.fromkeys(keys + list(owners)):
        provider, address = lines.split(key)
        mode = "whatsapp" if lines.channel_of(key) == Channel.WHATSAPP else provider.value
        owner = owners.get(key)
        targets.append(
            {
                "key": key,
                "mode": mode,
                "address": address,
                "label": f"{MODES[mode]} to {address.removeprefix(lines.WHATSAPP_PREFIX)}"
                + (f" ({owner.name})" if owner is not None else ""),
            }
        )
    return targets


def _page(number: str, targets: list[dict], *, to: str = "", ussd: dict | None = None):
    return render_template(
        "dev/sms.html",
        number=number,
        targets=targets,
        to=to or targets[0]["key"],
        conversation=_conversation(number),
        ussd=ussd,
        ussd_code=current_app.config["USSD_CODE"],
    )


def _conversation(number: str) -> list[dict]:
    """What this phone sent (raw inbound rows) and received (outbox rows), oldest first."""
    received = [
        {
            "direction": "outbound",
            "body": row.body,
            "at": row.created_at,
            "status": row.status.value,
            "error": row.last_error,
            "line": row.line or "",
        }
        for row in db.session.scalars(
            select(Outbox)
            .where(Outbox.channel.in_((Channel.SMS, Channel.WHATSAPP)), Outbox.recipient == number)
            .order_by(Outbox.id.desc())
            .limit(RECENT)
        )
    ]
    sent = []
    for raw in db.session.scalars(
        select(InboundRaw)
        .where(InboundRaw.channel.in_((Channel.SMS, Channel.WHATSAPP)))
        .order_by(InboundRaw.id.desc())
        .limit(RECENT)
    ):
        form = dict(parse_qsl(raw.payload.decode(errors="replace"), keep_blank_values=True))
        sender = form.get("From", form.get("from", ""))
        if sender.removeprefix(lines.WHATSAPP_PREFIX) == number:
            sent.append(
                {
                    "direction": "inbound",
                    "body": form.get("Body", form.get("text", "")),
                    "at": raw.created_at,
                    "status": raw.status.value,
                    "error": raw.error,
                    "line": form.get("To", form.get("to", "")),
                }
            )
    return sorted(received + sent, key=lambda text: text["at"])


def _text_in(target: dict, number: str, body: str, name: str) -> int:
    if target["mode"] == "africastalking":
        params = {
            "from": number,
            "to": target["address"],
            "text": body,
            "date": hours.now().strftime("%Y-%m-%d %H:%M:%S"),
            "id": str(uuid.uuid4()),
            "linkId": "",  # only premium (on-demand) shortcodes get one
            "networkCode": NETWORK_CODE,
        }
        return _post(africastalking.callback_url("/webhooks/africastalking/sms"), params)[0]
    return _twilio_in(number, target["address"], body, name)


def _twilio_in(number: str, to: str, body: str, name: str) -> int:
    """Post to /webhooks/twilio/sms exactly as Twilio would, signature included."""
    url = current_app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"
    sid = "SM" + secrets.token_hex(16)
    whatsapp = to.startswith(lines.WHATSAPP_PREFIX)
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "ACdev",
        "From": lines.with_prefix(number) if whatsapp else number,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1" if whatsapp else str(sms.segments(body)[1]),
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    if whatsapp:
        params |= {
            "ProfileName": name.strip()[:60] or "Pretend customer",
            "WaId": number.removeprefix("+"),
            "MessageType": "text",
        }
    else:
        params |= {"FromCountry": "KE", "ToCountry": "KE"}
    return _post(url, params, {"X-Twilio-Signature": sms.sign(url, params)})[0]


def _bad_step(session_id: str, so_far: str, choice: str) -> str:
    """Why this answer to a USSD screen cannot go to the gateway, or ""."""
    if not SESSION_ID.match(session_id):
        return "That is not a session of this phone: dial again."
    if not choice:
        return "Type your choice first."
    if len(choice) > MAX_CHOICE or len(so_far) + len(choice) + 1 > MAX_USSD_TEXT:
        return "That is longer than a USSD session takes."
    return ""


def _ussd_step(session_id: str, number: str, text: str) -> dict:
    """One request of the session, and the screen the menu answered with."""
    params = {
        "sessionId": session_id,
        "serviceCode": current_app.config["USSD_CODE"],
        "phoneNumber": number,
        "text": text,
        "networkCode": NETWORK_CODE,
    }
    status, answer = _post(africastalking.callback_url("/webhooks/africastalking/ussd"), params)
    screen = {"session_id": session_id, "text": text, "body": answer, "open": False, "error": ""}
    if status == 200 and answer.startswith(("CON ", "END ")):
        return screen | {"body": answer[4:], "open": answer.startswith("CON ")}
    return screen | {"error": f"The USSD webhook answered {status}: {answer[:200]}"}


def _post(url: str, params: dict, headers: dict | None = None) -> tuple[int, str]:
    """(status, body) of a form post to our own app, as a provider would send it to `url`."""
    base = current_app.config["PUBLIC_BASE_URL"]
    response = current_app.test_client().post(
        url.removeprefix(base),  # the query (Africa's Talking's ?key=) stays on
        base_url=base,
        data=urlencode(params),
        content_type=FORM,
        headers=headers or {},
    )
    return response.status_code, response.get_data(as_text=True)
