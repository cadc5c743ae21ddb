"""Sign-in throttling that a stranger cannot turn against an account's owner, and that says
nothing about which accounts exist.

- Per client address: failed attempts are limited (limits.SIGN_IN_FAILURES_PER_IP).
- Per typed email, whether an account has it or not: after LOGIN_MAX_FAILURES failures, each
  next attempt waits 2, 4, 8... seconds after the last failure, capped at
  LOGIN_MAX_DELAY_SECONDS. A delay, never a lock: the owner is always a short wait away.
- A known device (a signed cookie from an earlier sign-in of the same user in this browser)
  skips both, so a stranger's guesses never keep the owner out; it has its own failure limit
  (limits.DEVICE_FAILURES), past which it counts as unknown again.
- Unknown, disabled and real accounts run the same password hash and answer alike.

State lives in the Limiter's Redis storage, read against the app clock (hours.now). While
Redis is down it lives in this process's memory: weaker across workers, but never open.
"""

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError
from werkzeug.security import check_password_hash, generate_password_hash

from ticketing import hours, limits
from ticketing.extensions import limiter
from ticketing.models import User

log = logging.getLogger(__name__)

DEVICE_COOKIE = "fuatilia_device"
DEVICE_SECONDS = 180 * 24 * 3600  # a browser not used for half a year is a stranger again
FORGET_SECONDS = 24 * 3600  # an email's failures are forgotten a day after the first one
PREFIX = "fuatilia"
# What unknown emails are checked against: a hash of nothing anyone knows, with the method new
# passwords get, made at import so that not even the first unknown email answers faster.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class Failure(StrEnum):
    """Why a sign-in failed: for the audit log only; the person always reads the same words."""

    UNKNOWN_ACCOUNT = "unknown_account"
    DISABLED = "disabled"
    WRONG_PASSWORD = "wrong_password"


class Scope(StrEnum):
    PER_IP = "per_ip"
    PER_ACCOUNT = "per_account"


@dataclass(frozen=True)
class Throttle:
    """An attempt refused before its password was looked at, and for how many seconds."""

    scope: Scope
    retry_after: int


def check_password(user: User | None, password: str) -> Failure | None:
    """None when `password` signs `user` in; always one password hash, whoever `user` is."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return Failure.UNKNOWN_ACCOUNT
    if not user.check_password(password):
        return Failure.WRONG_PASSWORD
    return None if user.is_enabled else Failure.DISABLED


def device_for(user: User | None) -> str | None:
    """This browser's device id when its cookie vouches for `user` and it is not over its
    failure limit; None otherwise."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if user is None or not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=DEVICE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.id:
        return None
    if data.get("key") != _fingerprint(user):  # the password changed since
        return None
    device = str(data.get("device"))
    trusted = _with_store(lambda store: _strategy(store).test(_device_limit(), *_device(device)))
    return device if trusted else None


def throttle(email: str, device: str | None) -> Throttle | None:
    """Why this attempt must wait, if it must; a known device never waits."""
    if device is not None:
        return None

    def check(store) -> Throttle | None:
        strategy = _strategy(store)
        for item in _ip_limits():
            if not strategy.test(item, *_client()):
                reset_at = strategy.get_window_stats(item, *_client()).reset_time
                return Throttle(Scope.PER_IP, max(1, math.ceil(reset_at - time.time())))
        wait = _account_wait(store, _account(email))
        return Throttle(Scope.PER_ACCOUNT, wait) if wait > 0 else None

    return _with_store(check)


def record_failure(email: str, device: str | None) -> None:
    """Count a failed attempt: against the known device, or against the address and email."""

    def record(store) -> None:
        strategy = _strategy(store)
        if device is not None:
            strategy.hit(_device_limit(), *_device(device))
            return
        for item in _ip_limits():
            strategy.hit(item, *_client())
        account = _account(email)
        store.incr(_key("failures", account), FORGET_SECONDS)
        store.clear(_key("last", account))
        store.incr(_key("last", account), FORGET_SECONDS, amount=_now_seconds())

    _with_store(record)


def record_success(email: str, device: str | None) -> None:
    """The owner is in: the email's failures, and this device's, are forgotten."""

    def forget(store) -> None:
        account = _account(email)
        store.clear(_key("failures", account))
        store.clear(_key("last", account))
        if device is not None:
            _strategy(store).clear(_device_limit(), *_device(device))

    _with_store(forget)


def remember_device(response, user: User, device: str | None) -> None:
    """Set (or renew) the cookie that makes this browser a known device of `user`."""
    value = _serializer().dumps(
        {"user": user.id, "device": device or secrets.token_urlsafe(16), "key": _fingerprint(user)}
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_SECONDS,
        path="/auth",
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )


def _account_wait(store, account: str) -> int:
    failures = store.get(_key("failures", account))
    free = current_app.config["LOGIN_MAX_FAILURES"]
    if failures < free:
        return 0
    delay = min(2 ** min(failures - free + 1, 30), current_app.config["LOGIN_MAX_DELAY_SECONDS"])
    last = store.get(_key("last", account))
    return min(max(0, last + delay - _now_seconds()), delay)  # bounded whatever `last` holds


def _with_store(action):
    try:
        return action(limiter.storage)
    except RedisError as error:
        log.warning("rate limit store unavailable (%s): sign-in limits in memory", error)
        if "signin-memory" not in current_app.extensions:  # one per app, made when first needed
            current_app.extensions["signin-memory"] = MemoryStorage()
        return action(current_app.extensions["signin-memory"])


def _strategy(store) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(store)


def _ip_limits():
    return parse_many(limits.SIGN_IN_FAILURES_PER_IP)


def _device_limit():
    return parse(limits.DEVICE_FAILURES)


def _client() -> tuple[str, ...]:
    return PREFIX, "signin-ip", request.remote_addr or "unknown"


def _device(device: str) -> tuple[str, ...]:
    return PREFIX, "signin-device", device


def _key(kind: str, account: str) -> str:
    return f"{PREFIX}/signin-{kind}/{account}"


def _account(email: str) -> str:
    """Keys by a digest of the email: bounded, and no typed address sits in Redis."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _now_seconds() -> int:
    return int(hours.now().replace(tzinfo=UTC).timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="fuatilia-known-device")
