"""Phone calls through Twilio Voice: what Twilio posts about a call (read into our terms, or
refused as BadCall) and the TwiML we answer with. Signatures are checked as for SMS
(channels.sms.verified); the call's state is ticketing/calls.py's."""

import re
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

# Language -> (Twilio <Say> language, voice). Google's voices speak Kiswahili (Kenya); the
# default "man" voice does not.
VOICES = {
    "en": ("en-GB", "Google.en-GB-Standard-A"),
    "sw": ("sw-KE", "Google.sw-KE-Standard-A"),
}
MAX_RECORDING_SECONDS = 120
MENU_WAIT_SECONDS = 5  # the pause for a key before the call goes to the desk or voicemail
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
# Twilio's CallStatus words; the last five end a call.
CALL_STATUSES = {"queued", "initiated", "ringing", "in-progress"}
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# <Dial>'s DialCallStatus: someone at the desk picked up, or nobody did.
DIAL_ANSWERED = {"completed", "answered"}
DIAL_MISSED = {"no-answer", "busy", "failed", "canceled"}
MAX_SECONDS = 24 * 3600  # no call, ring or recording lasts longer
# What Twilio puts in From when the caller withheld their number (each spells a word on the
# keypad: ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE), and the words some carriers send.
WITHHELD = {
    "+266696687",
    "+7378742833",
    "+2562533",
    "+8656696",
    "+86282452253",
    "anonymous",
    "restricted",
    "unknown",
    "private",
}


class BadCall(ValueError):
    """A voice webhook whose fields Twilio would never send; the message says which."""


@dataclass(frozen=True, slots=True)
class CallReport:
    """One voice webhook in our terms. `status` is Twilio's word, kept for people."""

    sid: str
    caller: str = ""  # From, as Twilio sent it (a number, "anonymous", "client:...")
    called: str = ""  # To: our number
    status: str = ""
    is_final: bool = False
    duration_seconds: int | None = None
    digits: str = ""
    desk_answered: bool | None = None  # None: this is not a <Dial> action
    desk_seconds: int | None = None  # how long the desk talked
    recording_url: str = ""
    recording_seconds: int | None = None
    recording_sid: str = ""

    @property
    def number(self) -> str:
        """The caller's phone number, or "" when they withheld it or called from an app."""
        caller = self.caller.strip()
        if caller.lower() in WITHHELD or ":" in caller:  # client:alice, sip:...
            return ""
        return caller


def parse(form) -> CallReport:
    """Any voice webhook (call, status, menu, dial, recording) as a CallReport; BadCall when a
    field is missing or is not what Twilio sends."""
    sid = form.get("CallSid") or ""
    if not sid:
        raise BadCall("CallSid is missing")
    if not CALL_SID.fullmatch(sid):
        raise BadCall("CallSid is not a Twilio call SID")
    status = (form.get("CallStatus") or "").lower()
    if status and status not in CALL_STATUSES | FINAL_STATUSES:
        raise BadCall(f"CallStatus {status[:20]!r} is not one of Twilio's")
    return CallReport(
        sid=sid,
        caller=(form.get("From") or "")[:100],
        called=(form.get("To") or "")[:60],
        status=status,
        is_final=status in FINAL_STATUSES,
        duration_seconds=_seconds(form, "CallDuration"),
        digits=(form.get("Digits") or "")[:10],
        desk_answered=_dial(form.get("DialCallStatus")),
        desk_seconds=_seconds(form, "DialCallDuration"),
        recording_seconds=_seconds(form, "RecordingDuration"),
        **_recording(form),
    )


def _dial(value: str | None) -> bool | None:
    if value is None:
        return None
    word = value.lower()
    if word not in DIAL_ANSWERED | DIAL_MISSED:
        raise BadCall(f"DialCallStatus {value[:20]!r} is not one of Twilio's")
    return word in DIAL_ANSWERED


def _seconds(form, name: str) -> int | None:
    value = form.get(name)
    if value in (None, ""):
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_SECONDS:
        raise BadCall(f"{name} must be a number of seconds")
    return int(value)


def _recording(form) -> dict:
    url, sid = form.get("RecordingUrl") or "", form.get("RecordingSid") or ""
    if not url and not sid:
        return {}
    if not url.startswith("https://") or len(url) > 400 or any(c.isspace() for c in url):
        raise BadCall("RecordingUrl must be Twilio's https address of the recording")
    if not RECORDING_SID.fullmatch(sid):
        raise BadCall("RecordingSid is not a Twilio recording SID")
    return {"recording_url": url, "recording_sid": sid}


# -- TwiML ---------------------------------------------------------------------------------
# A prompt is a list of (language, words): each is said in its own voice, so one prompt can
# be bilingual.


def _say(verb, prompt) -> None:
    for language, words in prompt:
        code, voice = VOICES.get(language, VOICES["en"])
        verb.say(words, language=code, voice=voice)


def menu(
    prompt,
    *,
    menu_url: str,
    desk: str | None,
    ring_seconds: int,
    dial_url: str,
    record_prompt,
    record_url: str,
) -> str:
    """The greeting with its menu (a key goes to `menu_url`); a caller who presses nothing is
    put through to `desk` when there is one, else asked for a voicemail."""
    response = VoiceResponse()
    gather = Gather(
        num_digits=1, action=menu_url, method="POST", timeout=MENU_WAIT_SECONDS, input="dtmf"
    )
    _say(gather, prompt)
    response.append(gather)
    if desk:
        response.dial(desk, timeout=ring_seconds, action=dial_url, method="POST")
        return str(response)
    return _record(response, record_prompt, record_url)


def record(prompt, *, record_url: str) -> str:
    """Ask for a voicemail and record it (up to two minutes), then hang up."""
    return _record(VoiceResponse(), prompt, record_url)


def _record(response: VoiceResponse, prompt, record_url: str) -> str:
    _say(response, prompt)
    response.record(
        max_length=MAX_RECORDING_SECONDS,
        play_beep=True,
        action=record_url,
        method="POST",
        recording_status_callback=record_url,
        recording_status_callback_method="POST",
    )
    response.hangup()
    return str(response)


def say_and_hang_up(prompt) -> str:
    response = VoiceResponse()
    _say(response, prompt)
    response.hangup()
    return str(response)
