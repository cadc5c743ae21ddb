"""Phone calls through Twilio Voice: the call menu (TwiML), call status and recordings."""

from flask import Blueprint

from ticketing.extensions import csrf

bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")
csrf.exempt(bp)
