"""The USSD menu Africa's Talking's gateway calls, and its end-of-session notifications."""

from flask import Blueprint

from ticketing.extensions import csrf

bp = Blueprint("ussd", __name__, url_prefix="/africastalking/ussd")
csrf.exempt(bp)
