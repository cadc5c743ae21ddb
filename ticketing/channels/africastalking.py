"""SMS through Africa's Talking: what its gateway posts to us (inbound messages, delivery
reports, opt-outs) and sending through its bulk SMS API."""

import functools
import hashlib
import hmac
import ipaddress
import logging

from flask import abort, current_app, request

from ticketing import lines
from ticketing.channels import Inbound
from ticketing.contacts import normalise_phone
from ticketing.models.enums import Channel, Provider

log = logging.getLogger(__name__)


def parse(form: dict) -> Inbound:
    """An inbound-message callback (`from`, `to`, `text`, `id`, `linkId`...) as one Inbound;
    raises InvalidContact on a bad `from`."""
    return Inbound(
        channel=Channel.SMS,
        sender=normalise_phone(form.get("from", ""), current_app.config["DEFAULT_PHONE_REGION"]),
        text=(form.get("text") or "").strip(),
        external_id=form.get("id") or "",
        line=lines.for_inbound(Provider.AFRICASTALKING, form.get("to", "")),
        link_id=form.get("linkId") or "",
    )


# -- callbacks: Africa's Talking signs nothing, so every callback URL carries a secret ------


def verified(view):
    """Refuse (403) a callback without our secret `?key=` (compared in constant time), or
    from outside AT_ALLOWED_NETWORKS when set; 503 while no secret is configured."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        secret = webhook_secret()
        if not secret:
            log.error("Africa's Talking callback %s refused: AT_WEBHOOK_SECRET unset", request.path)
            abort(503, "The callback secret (AT_WEBHOOK_SECRET) is not configured")
        supplied = request.args.get("key", "")
        if not hmac.compare_digest(supplied.encode(), secret.encode()):
            log.warning("Africa's Talking callback %s refused: wrong key", request.path)
            abort(403, "Missing or wrong ?key=")
        if not from_allowed_network(request.remote_addr):
            log.warning("Africa's Talking callback from %s refused", request.remote_addr)
            abort(403, "Not from an allowed network")
        return view(*args, **kwargs)

    return checked


def webhook_secret() -> str:
    """AT_WEBHOOK_SECRET; with the console SMS backend and none set, a development secret
    from SECRET_KEY, so that /dev/sms can play the gateway without any set-up."""
    config = current_app.config
    if config["AT_WEBHOOK_SECRET"] or config["SMS_BACKEND"] != "console":
        return config["AT_WEBHOOK_SECRET"]
    return hashlib.sha256(f"console-at:{config['SECRET_KEY']}".encode()).hexdigest()


def from_allowed_network(address: str | None) -> bool:
    """AT_ALLOWED_NETWORKS (CIDRs, comma list) holds the caller; any caller when unset. The
    address is the client's as ProxyFix reports it behind TRUSTED_PROXIES."""
    allowed = [n.strip() for n in current_app.config["AT_ALLOWED_NETWORKS"].split(",") if n.strip()]
    if not allowed:
        return True
    try:
        caller = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(caller in ipaddress.ip_network(network, strict=False) for network in allowed)


def callback_url(path: str) -> str:
    """The URL to paste into Africa's Talking's dashboard for `path`, secret included."""
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}?key={webhook_secret()}"
