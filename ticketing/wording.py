"""The words of every message we send: an admin's template (run in a sandbox) or the
standard one under templates/messages/<language>/, for SMS or email."""

import logging
import re
from datetime import timedelta

from flask import current_app
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ticketing import hours, settings_cache
from ticketing.extensions import db
from ticketing.models import (
    Customer,
    Department,
    Message,
    Promise,
    Ticket,
    User,
)
from ticketing.models.enums import PHONE_CHANNELS, Channel, Language, Priority, Status
from ticketing.models.people import DEFAULT_POLICY

log = logging.getLogger(__name__)


def render(kind: str, language: str, channel: Channel, context: dict) -> tuple[str, str, str]:
    """(subject, text, html): an admin's wording from MessageTemplate if there is one, else
    templates/messages/<language>/<kind>.<channel>.*; WhatsApp says what SMS says."""
    if channel in PHONE_CHANNELS:
        channel = Channel.SMS
    subject, body = _render_override(kind, language, channel, context) or _render_file(
        f"messages/{language}/{kind}", channel, context
    )
    if channel == Channel.SMS:
        return "", body, ""
    html = current_app.jinja_env.get_template("messages/email_layout.html").render(
        context | {"text": body}
    )
    return subject, body, html


def _render_override(kind, language, channel, context) -> tuple[str, str] | None:
    """(subject, text) from the admin's MessageTemplate; None when there is none or it fails,
    so that a faulty edit falls back to the standard wording instead of losing the message."""
    if language == "staff":
        return None
    override = settings_cache.current().templates.get((kind, language, Channel(channel)))
    if override is None:
        return None
    try:
        subject = render_text(override[0], context) if channel == Channel.EMAIL else ""
        return subject, render_text(override[1], context)
    except Exception:  # noqa: BLE001 - an admin's text must never stop a message
        log.exception(
            "message template %s/%s/%s failed; standard one used", kind, language, channel.value
        )
        return None


def _render_file(base: str, channel: Channel, context: dict) -> tuple[str, str]:
    env = current_app.jinja_env
    if channel == Channel.SMS:
        return "", env.get_template(f"{base}.sms.txt").render(context).strip()
    text_template = env.get_template(f"{base}.email.txt")
    ctx = text_template.new_context(context)
    subject = "".join(text_template.blocks["subject"](ctx)).strip()
    return subject, "".join(text_template.blocks["body"](ctx)).strip()


class MessageSandbox(ImmutableSandboxedEnvironment):
    """Where admins' template text runs: it may read the ticket, never change or query data."""

    HIDDEN = frozenset({"query", "query_class", "metadata", "registry"})

    def is_safe_attribute(self, obj, attr, value) -> bool:
        hidden = isinstance(obj, db.Model) and attr in self.HIDDEN
        return not hidden and super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj) -> bool:
        bound_to_model = isinstance(getattr(obj, "__self__", None), db.Model)
        return not bound_to_model and super().is_safe_callable(obj)

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        """Refuse the arithmetic that builds huge strings or numbers ("x" * 10**9)."""
        if any(isinstance(side, int) and abs(side) > 10_000 for side in (left, right)):
            raise SecurityError("numbers above 10000 are not allowed in * or **")
        return super().call_binop(context, operator, left, right)


def render_text(source: str, context: dict) -> str:
    """Render an admin's template text in the sandbox; raises Jinja's errors as they come."""
    return sandbox().from_string(source).render(context).strip()


def sandbox() -> MessageSandbox:
    app = current_app._get_current_object()
    env = app.extensions.get("message_sandbox")
    if env is None:
        env = MessageSandbox()
        env.filters.update(
            {name: f for name, f in app.jinja_env.filters.items() if name not in env.filters}
        )
        app.extensions["message_sandbox"] = env
    return env


def standard_source(kind: str, language: str, channel: Channel) -> tuple[str, str]:
    """The standard template's text, split into (subject, body) for the editor."""
    extension = "sms.txt" if channel == Channel.SMS else "email.txt"
    name = f"messages/{language}/{kind}.{extension}"
    source = current_app.jinja_loader.get_source(current_app.jinja_env, name)[0]
    if channel == Channel.SMS:
        return "", source.strip()
    blocks = {
        block: re.search(r"{%-?\s*block " + block + r"\s*-?%}(.*?){%-?\s*endblock", source, re.S)
        for block in ("subject", "body")
    }
    return tuple(match.group(1).strip() if match else "" for match in blocks.values())


def sample_context(language: str) -> dict:
    """A made-up ticket at every stage's fields, never added to the database."""
    now = hours.now()
    agent = User(name="Otieno Ouma", email="otieno@example.com")
    department = Department(name="After-sales service", policy={})
    customer = Customer(name="Wanjiku Achieng", phone="+254712000001", language=Language(language))
    ticket = Ticket(
        reference="FT-7K3Q9",
        token="sample",
        subject="Friji yangu haipoi",
        customer=customer,
        department=department,
        assignee=agent,
        status=Status.OPEN,
        priority=Priority.NORMAL,
        product="Friji LG 260L",
        first_response_due_at=now + timedelta(hours=4),
        resolution_due_at=now + timedelta(days=1),
        due_at=now + timedelta(hours=4),
    )
    promise = Promise(
        description="A technician will visit", due_at=now + timedelta(days=1), agent=agent
    )
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return {
        "ticket": ticket,
        "customer": customer,
        "link": f"{base_url}/t/{'x' * 32}",
        "base_url": base_url,
        "policy": dict(DEFAULT_POLICY),
        "promise": promise,
        "new_time": now + timedelta(hours=2),
        "kinds": ["assigned", "waiting"],
        "tickets": [ticket],
        "staff": agent,
        "reason": "no answer from the customer",
        "what": "first response",
        "message": Message(body="A technician will come tomorrow at 10:00.", author=agent),
    }
