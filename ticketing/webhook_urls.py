"""The webhook URLs to paste into each provider's console, in full, as the lines screen and the
channels screen show them. One place, so both screens always say the same URLs.

Africa's Talking signs nothing, so its URLs carry our secret (`?key=`): each comes with a
masked copy for the page to show by default."""

from flask import current_app

from ticketing.channels import africastalking

MASK = "•" * 10
# (path, where it goes in the provider's console); the order is the console's.
TWILIO = (
    ("/webhooks/twilio/sms", "Messaging: “A message comes in” (numbers and WhatsApp senders)"),
    ("/webhooks/twilio/status", "Messaging: status callback (we also name it on each message)"),
    ("/webhooks/twilio/voice", "Voice: “A call comes in”"),
    ("/webhooks/twilio/voice/status", "Voice: “Call status changes”"),
)
AFRICASTALKING = (
    ("/webhooks/africastalking/sms", "SMS → Inbox callback (incoming messages)"),
    ("/webhooks/africastalking/delivery", "SMS → Delivery reports callback"),
    ("/webhooks/africastalking/optout", "SMS → Bulk SMS opt-out callback"),
    ("/webhooks/africastalking/ussd", "USSD → service code callback"),
    ("/webhooks/africastalking/ussd/events", "USSD → events (end of session) callback"),
)
# The mail relay posts the raw message with INBOUND_EMAIL_SECRET as its bearer token.
EMAIL = (("/webhooks/email", "Mail relay: where it POSTs each raw message (RFC 822)"),)


def twilio_urls() -> list[dict]:
    return _made(TWILIO, secret=False)


def africastalking_urls() -> list[dict]:
    return _made(AFRICASTALKING, secret=True)


def email_urls() -> list[dict]:
    return _made(EMAIL, secret=False)


def _made(hooks, *, secret: bool) -> list[dict]:
    """Each URL in full (`url`), and the copy to show by default (`masked`)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    made = []
    for path, where in hooks:
        url = africastalking.callback_url(path) if secret else base + path
        masked = url.partition("?key=")[0] + f"?key={MASK}" if secret else url
        made.append({"path": path, "where": where, "url": url, "masked": masked})
    return made
