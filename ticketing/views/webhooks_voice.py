"""Phone calls through Twilio Voice: the call menu (TwiML), call status and recordings.

Twilio posts the call ("" below), then a key pressed (/menu), the desk's answer or silence
(/dial), a voicemail (/recording: both the <Record> action and its status callback) and the
call's progress (/status). Every post is signed (channels.sms.verified), names its CallSid,
and may come more than once: ticketing/calls.py makes each step count once.
"""

from flask import Blueprint, Response, abort, current_app, get_template_attribute, request, url_for

from ticketing import calls, limits
from ticketing.channels import sms, voice
from ticketing.extensions import csrf, db
from ticketing.models import Call
from ticketing.models.enums import CallOutcome, Language

bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")
csrf.exempt(bp)


@bp.post("")
@limits.webhook
@sms.verified
def incoming():
    call = calls.receive(_report())
    db.session.commit()
    return _twiml(_menu(call))


@bp.post("/menu")
@limits.webhook
@sms.verified
def menu():
    """A key pressed during the greeting: 1 call me back, 2 voicemail, else the menu again."""
    report = _report()
    call = calls.receive(report)
    if report.digits == "1" and call.customer is not None:
        calls.ask_callback(call)
        db.session.commit()
        return _twiml(voice.say_and_hang_up(_prompt(call, "callback")))
    db.session.commit()
    if report.digits == "2" and call.customer is not None:
        return _twiml(voice.record(_prompt(call, "record"), record_url=_url("recording")))
    return _twiml(_menu(call))


@bp.post("/dial")
@limits.webhook
@sms.verified
def dial():
    """The desk phone's answer (<Dial action>): over after a conversation, else a call back
    and the offer of a voicemail."""
    report = _report()
    if report.desk_answered is None:
        abort(400, "DialCallStatus is missing")
    call = calls.receive(report)
    calls.desk_result(call, report)
    db.session.commit()
    if call.outcome == CallOutcome.ANSWERED or call.customer is None:
        return _twiml(voice.say_and_hang_up([]))
    return _twiml(voice.record(_prompt(call, "missed", "record"), record_url=_url("recording")))


@bp.post("/recording")
@limits.webhook
@sms.verified
def recording():
    """A voicemail: the <Record> action (answered with thanks) or its status callback."""
    report = _report()
    if not report.recording_url and "RecordingStatus" not in request.form:
        abort(400, "RecordingUrl is missing")
    call = calls.receive(report)
    calls.keep_recording(call, report)
    db.session.commit()
    return _twiml(voice.say_and_hang_up(_prompt(call, "thanks")))


@bp.post("/status")
@limits.webhook
@sms.verified
def status():
    """The call's progress (the number's status callback); its end settles an unanswered call."""
    report = _report()
    if not report.status:
        abort(400, "CallStatus is missing")
    calls.record_status(calls.receive(report), report)
    db.session.commit()
    return Response(status=204)


def _report() -> voice.CallReport:
    try:
        report = voice.parse(request.form)
    except voice.BadCall as error:
        abort(400, str(error))
    if calls.find(report.sid) is None and not report.caller:
        abort(400, "From is missing")
    return report


def _menu(call: Call) -> str:
    """The greeting, and what the caller can do now."""
    desk = calls.desk_for(call)
    if call.customer is None and not desk:
        return voice.say_and_hang_up(_prompt(call, "greeting", "withheld"))
    if call.outcome == CallOutcome.AFTER_HOURS:
        words = ("greeting", "after_hours", "menu_after_hours")
    else:
        words = ("greeting", "menu_desk" if desk else "menu_no_desk")
    return voice.menu(
        _prompt(call, *words) if call.customer is not None else _prompt(call, "greeting"),
        menu_url=_url("menu"),
        desk=desk,
        ring_seconds=current_app.config["VOICE_RING_SECONDS"],
        dial_url=_url("dial"),
        record_prompt=_prompt(call, "record"),
        record_url=_url("recording"),
    )


def _prompt(call: Call, *names: str) -> list[tuple[str, str]]:
    """The prompts `names`, in the caller's language first and then the other one."""
    first = calls.language_of(call)
    order = [first, Language.SW if first == Language.EN else Language.EN]
    return [
        (language.value, " ".join(_words(language, name) for name in names))
        for language in order
        if names
    ]


def _words(language: Language, name: str) -> str:
    return str(get_template_attribute(f"voice/{language.value}.txt", name)()).strip()


def _url(action: str) -> str:
    """The public address of one of our actions: Twilio signs the URL it was given."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(f"webhooks.voice.{action}")


def _twiml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")
