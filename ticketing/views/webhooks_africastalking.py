"""Africa's Talking SMS callbacks: inbound messages, delivery reports, opt-outs."""

from flask import Blueprint

from ticketing.extensions import csrf

bp = Blueprint("africastalking", __name__, url_prefix="/africastalking")
csrf.exempt(bp)
