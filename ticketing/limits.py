"""Every rate limit of the public surface, with the reason for its numbers, and the Limiter's
storage (the app's Redis).

Redis down: message intake fails open (Flask-Limiter swallows the storage error, logs it and
lets the request through), because a refused webhook or form is a customer's message lost.
Sign-in keeps its limits in process memory meanwhile (ticketing/signin.py). All limits are
per client address (`request.remote_addr`, which TRUSTED_PROXIES makes the real client's) and
use fixed windows, so a client can at most double a limit across a window's edge.
"""

import logging
import time
from functools import wraps

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse, parse_many
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, TooManyRequests

from ticketing import queues
from ticketing.extensions import limiter

log = logging.getLogger(__name__)

# /support POSTs. A customer sends one request, perhaps after fixing a field or two; mobile
# carriers put many customers behind one address (CGNAT), so the minute allows a few at once.
# Each ticket sends an SMS or email acknowledgment: the hour stops a script from using us to
# text strangers.
SUPPORT_PER_IP = "10 per minute; 60 per hour"

# /t/<token> pages. Tokens are 192 random bits, so guessing cannot succeed; what we stop is a
# scanner loading the database. Only misses (404) count, and for one minute only, so a
# scanner behind a carrier's shared address blocks its neighbours' status pages for at most a
# minute while a family sharing a phone never meets the limit.
STATUS_MISSES_PER_IP = "30 per minute"
# Views (page and attachments): a family refreshing one phone, or many customers behind CGNAT.
STATUS_VIEWS_PER_IP = "120 per minute"
# Replies, answers to "is it fixed?" and ratings: each files a message and may notify an agent.
STATUS_POSTS_PER_IP = "20 per minute; 200 per hour"

# Provider webhooks (Twilio SMS and status callbacks, the email relay). Twilio does not retry
# a refused inbound webhook, so a 429 loses a text: the ceiling sits far above any single
# address's share of a provider's burst (Twilio posts from many addresses; a mail relay from
# one, 20 a second sustained). Per endpoint.
WEBHOOK_PER_IP = "1200 per minute"
# Requests refused for a bad signature or secret (403/401), per endpoint. Only these count, so
# a flood of unsigned posts is answered 429 from one Redis read, before any HMAC or database
# work; Twilio, whose requests are signed, never meets it.
WEBHOOK_REFUSED_PER_IP = "10 per minute"
# The USSD gateway: every session is about four requests from one address of Africa's
# Talking's, and a 429 there is a caller's "connection problem or invalid MMI code". Far above
# a busy public office's peak (1,500 sessions a minute).
USSD_PER_IP = "6000 per minute"

# Inbound texts per sender. Counted and logged, never refused: the text came through Twilio's
# signature, refusing it would lose it, and what we send back is already capped by the loop
# guard (AUTO_MESSAGES_PER_HOUR). A sender past this is an auto-responder loop or a script.
SMS_PER_SENDER = "30 per minute"

# Test messages from the channels screen, per admin: each one reaches a real phone or mailbox
# and may cost money; a few tries while fixing a setting, never a way to spam someone.
CHANNEL_TESTS_PER_ADMIN = "5 per minute; 30 per hour"
# IMAP connection checks, per admin: each one opens a connection to the mail server.
IMAP_CHECKS_PER_ADMIN = "10 per minute"

# Sign-in (ticketing/signin.py enforces these, with an in-memory fallback when Redis is down).
# Failed attempts per address: an office of agents behind one NAT signs in without meeting it
# (successes do not count); a guesser gets 100 tries an hour from one address.
SIGN_IN_FAILURES_PER_IP = "10 per minute; 100 per hour"
# Failed attempts from one known device (the cookie of an earlier sign-in on that browser).
# Past this the device is treated as unknown, so a stolen device cookie buys few guesses.
DEVICE_FAILURES = "5 per 15 minutes"
# The per-account delay: LOGIN_MAX_FAILURES free failures, then 2, 4, 8... seconds between
# attempts, capped at LOGIN_MAX_DELAY_SECONDS (config.py).


def _not_found(response) -> bool:
    return response.status_code == 404


_status_misses = limiter.shared_limit(
    STATUS_MISSES_PER_IP, scope="status-miss", deduct_when=_not_found
)
_status_views = limiter.shared_limit(STATUS_VIEWS_PER_IP, scope="status-view", methods=["GET"])
_status_posts = limiter.shared_limit(STATUS_POSTS_PER_IP, scope="status-post", methods=["POST"])

# Every window of a limit in one round trip: INCR each of the first ARGV[1] keys (its expiry
# set when the window opens), read the others, and give back each count and time to live.
# Flask-Limiter takes one round trip per window and two more for its headers: four of a
# /support POST's six, five of a webhook's.
_COUNT_WINDOWS = """
local hits = tonumber(ARGV[1])
local counted = {}
for i, key in ipairs(KEYS) do
  local count
  if i <= hits then
    count = redis.call('INCR', key)
    if count == 1 then redis.call('EXPIRE', key, ARGV[i + 1]) end
  else
    count = tonumber(redis.call('GET', key) or '0')
  end
  counted[#counted + 1] = count
  counted[#counted + 1] = redis.call('TTL', key)
end
return counted
"""
REFUSED = (401, 403)  # a webhook's answers to a bad signature or secret
_SUPPORT_WINDOWS = parse_many(SUPPORT_PER_IP)
_WEBHOOK_WINDOWS = parse_many(WEBHOOK_PER_IP)
_USSD_WINDOWS = parse_many(USSD_PER_IP)
_REFUSED_WINDOWS = parse_many(WEBHOOK_REFUSED_PER_IP)


def support(view):
    """Limit /support POSTs per address (SUPPORT_PER_IP) in one Redis round trip; the same
    keys, fixed windows, 429 page and headers as the Flask-Limiter limits, and open when Redis
    is down."""
    return _limited(view, _SUPPORT_WINDOWS)


def webhook(view):
    """Limit a provider webhook (WEBHOOK_PER_IP, and WEBHOOK_REFUSED_PER_IP of refused
    requests); put it above the signature check, which a flood of refused posts never reaches."""
    return _limited(view, _WEBHOOK_WINDOWS, refusals=_REFUSED_WINDOWS)


def ussd(view):
    """Limit the USSD gateway's callbacks like a webhook, with the gateway's higher ceiling."""
    return _limited(view, _USSD_WINDOWS, refusals=_REFUSED_WINDOWS)


def _limited(view, windows, refusals=()):
    """`view` behind POSTs counted in `windows` and, when there are `refusals` windows, the
    requests it refused (401, 403) counted there: past either, 429 with Retry-After. One round
    trip a request (a refused one takes a second to be counted)."""

    @wraps(view)
    def limited(*args, **kwargs):
        if request.method != "POST" or not current_app.config["RATELIMIT_ENABLED"]:
            return view(*args, **kwargs)
        found = _count(windows, request.endpoint, read=refusals)
        if found is None:
            return view(*args, **kwargs)
        hit, read = found[: len(windows)], found[len(windows) :]
        over = [(item, ttl) for item, count, ttl in hit if count > item.amount]
        over += [(item, ttl) for item, count, ttl in read if count >= item.amount]
        if over:
            response = current_app.make_response(
                current_app.handle_user_exception(TooManyRequests())
            )
            item, ttl = max(over, key=lambda window: window[1])
            response.headers["Retry-After"] = str(ttl)
            return _rate_headers(response, item, 0, ttl)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except HTTPException as error:  # a signature check's abort(403)
            if refusals and error.code in REFUSED:
                _count(refusals, request.endpoint)
            raise
        if refusals and response.status_code in REFUSED:
            _count(refusals, request.endpoint)
        item, count, ttl = min(hit, key=lambda window: window[0].amount - window[1])
        return _rate_headers(response, item, item.amount - count, ttl)

    return limited


def _count(items, scope: str, read=()):
    """[(item, count, seconds left)] of each window of `items` after this hit, then of each
    window of `read` (counted elsewhere, read here); None if Redis is down."""
    address = get_remote_address()  # the Limiter's key_func (ticketing/extensions.py)
    windows = [*items, *read]
    keys = [f"LIMITS:{item.key_for('fuatilia', address, scope)}" for item in windows]
    expiries = [item.get_expiry() for item in items]
    try:
        counted = _count_windows()(keys=keys, args=[len(items), *expiries])
    except RedisError as error:
        log.warning("Failed to rate limit. Swallowing error (%s): %s open", error, scope)
        return None
    return [(item, counted[2 * i], max(counted[2 * i + 1], 1)) for i, item in enumerate(windows)]


def _count_windows():
    """The counting script, registered once per app's Redis client (its SHA is computed then;
    redis-py loads it again by itself after a Redis restart)."""
    client = queues.connection()
    script = current_app.extensions.get("count_windows")
    if script is None or script.registered_client is not client:
        script = current_app.extensions["count_windows"] = client.register_script(_COUNT_WINDOWS)
    return script


def _rate_headers(response, item, remaining: int, ttl: int):
    response.headers["X-RateLimit-Limit"] = str(item.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(remaining, 0))
    response.headers["X-RateLimit-Reset"] = str(int(time.time()) + ttl)
    return response


def _signed_in_user() -> str:
    return f"user:{current_user.id}"


channel_test = limiter.limit(CHANNEL_TESTS_PER_ADMIN, key_func=_signed_in_user, methods=["POST"])
imap_check = limiter.limit(IMAP_CHECKS_PER_ADMIN, key_func=_signed_in_user, methods=["POST"])


def status_page(view):
    """Limit a GET of the customer's status page or its files."""
    return _status_misses(_status_views(view))


def status_post(view):
    """Limit a customer's POST on their status page."""
    return _status_misses(_status_posts(view))


def sms_sender_within_limit(sender: str) -> bool:
    """Count one inbound text from `sender`; False past SMS_PER_SENDER (true if Redis is down)."""
    try:
        return limiter.limiter.hit(parse(SMS_PER_SENDER), "fuatilia", "sms-sender", sender)
    except RedisError as error:
        log.warning("rate limit store unavailable (%s): not counting %s", error, sender)
        return True


def storage_uri(config) -> str:
    """The app's Redis as a `limits` storage URI (it spells a socket `redis+unix://`)."""
    url = queues.redis_url(config)
    return "redis+" + url if url.startswith("unix://") else url


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_ENABLED", True)  # Limiter.init_app would keep a False
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    # Short timeouts, as queues.connection(): a hung Redis must not hold a customer's request.
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    # Flask runs after_request hooks last-registered first: the limiter's header hook runs
    # between these two.
    app.after_request(_restore_own_retry_after)
    limiter.init_app(app)
    app.after_request(_note_own_retry_after)


def _note_own_retry_after(response):
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def _restore_own_retry_after(response):
    """Flask-Limiter rewrites a view's Retry-After as the later of it and the window's reset,
    in whole seconds counted again after the view ran: the 503 of a database outage, which
    means "try again in 60 s", came out as 59 or as the end of an hour's window. A view's own
    value stands; the limiter's stays on everything else (its 429s included)."""
    own = g.pop("own_retry_after", None)
    if own is not None:
        response.headers["Retry-After"] = own
    return response
