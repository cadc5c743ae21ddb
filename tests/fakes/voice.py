"""A caller for the voice webhooks: what Twilio Voice posts about one call, signed exactly as
Twilio signs it (X-Twilio-Signature over PUBLIC_BASE_URL + path and the form)."""

import secrets

from harness import CUSTOMER

from fakes.twilio_stub import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, sign

BASE = "http://fuatilia.test"  # PUBLIC_BASE_URL in the test configuration
VOICE = "/webhooks/twilio/voice"
OUR_VOICE_NUMBER = "+254709000200"
DESK = "+254720000001"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32


def new_sid(prefix="CA") -> str:
    return prefix + secrets.token_hex(16)


class Caller:
    """A phone calling our voice number: each post is signed exactly as Twilio signs it."""

    def __init__(self, client, number=CUSTOMER, *, to=OUR_VOICE_NUMBER, sid=None):
        self.client, self.number, self.to, self.sid = client, number, to, sid or new_sid()

    def params(self, **extra) -> dict:
        return {
            "CallSid": self.sid,
            "AccountSid": DEFAULT_ACCOUNT_SID,
            "From": self.number,
            "To": self.to,
            "Direction": "inbound",
            "CallStatus": "ringing",
        } | extra

    def post(self, path="", token=DEFAULT_AUTH_TOKEN, signed=True, **extra):
        params = {k: v for k, v in self.params(**extra).items() if v is not None}
        headers = {"X-Twilio-Signature": sign(BASE + VOICE + path, params, token)}
        return self.client.post(VOICE + path, data=params, headers=headers if signed else {})

    def calls(self):
        return self.post()

    def presses(self, digits):
        return self.post("/menu", Digits=digits, CallStatus="in-progress")

    def desk(self, dial_status, seconds=None):
        extra = {"DialCallStatus": dial_status, "CallStatus": "in-progress"}
        if seconds is not None:
            extra["DialCallDuration"] = str(seconds)
        return self.post("/dial", **extra)

    def records(self, seconds=42, sid="RE" + "a" * 32, url=RECORDING, **extra):
        return self.post(
            "/recording",
            RecordingUrl=url,
            RecordingDuration=str(seconds),
            RecordingSid=sid,
            CallStatus="in-progress",
            **extra,
        )

    def hangs_up(self, status="completed", duration=30):
        return self.post("/status", CallStatus=status, CallDuration=str(duration))
