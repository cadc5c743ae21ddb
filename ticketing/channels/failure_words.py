"""What a failed send's error code means, in words for an admin: the providers' codes as the
channels record them on outbox rows (Twilio's numbers, Africa's Talking's status codes, SMTP
reply codes, HTTP answers). Only the channels know a provider's codes."""

from ticketing.channels.africastalking import LOST_CODE, REFUSED
from ticketing.models.enums import Provider

TWILIO = {
    "20003": "Twilio refused our credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
    "21211": "not a valid phone number",
    "21214": "not a number that can get messages",
    "21408": "sending to this country is not enabled on the Twilio account",
    "21610": "the customer replied STOP to this number",
    "21612": "Twilio cannot route a message to this number from this sender",
    "21614": "not a mobile number",
    "21617": "the message is too long",
    "21635": "this number cannot get messages from this sender",
    "30003": "the phone is off or out of coverage",
    "30004": "the customer blocked messages from this sender",
    "30005": "the number is unknown to the network",
    "30006": "a landline, or a network we cannot reach",
    "30007": "the network filtered the message as spam",
    "30008": "the network failed without saying why",
    "63016": "WhatsApp: outside the 24-hour window and no approved template",
}
AFRICASTALKING = {str(code): words for code, (_, _, words) in REFUSED.items()} | {
    LOST_CODE: "the gateway's answer was lost; it may have been delivered",
}


def meaning(code: str | None, provider: Provider | None = None) -> str:
    """The words for `code`, or "" when we have none (the row's own error text says more)."""
    if not code:
        return ""
    if code.startswith("http-"):
        status = code.removeprefix("http-")
        if status in ("401", "403"):
            return f"the provider refused our credentials (HTTP {status})"
        return f"the provider was unavailable (HTTP {status})"
    if provider == Provider.AFRICASTALKING:
        return AFRICASTALKING.get(code, "")
    if code in TWILIO:
        return TWILIO[code]
    if len(code) == 3 and code.isdigit():  # an SMTP reply code
        if code.startswith("5"):
            return "the mail server refused it for good (bad address, or refused sender)"
        if code.startswith("4"):
            return "the mail server refused it for now"
    return ""
