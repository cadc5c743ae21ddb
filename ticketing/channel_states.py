"""What the channels screen says of each channel: configured or not (which settings are
missing; of a secret only whether it is set), its last message in and out, and its failed or
suppressed messages of the last 24 hours with the last error's code and meaning.

Read-only: the settings come from the app's config (the environment), the rest from the
rows the channels write (Message, InboundRaw, Call, UssdSession, Outbox)."""

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from ticketing import hours, lines
from ticketing.channels import failure_words
from ticketing.extensions import db
from ticketing.models import Call, InboundRaw, Message, Outbox, UssdSession
from ticketing.models.enums import Channel, Direction, OutboxStatus, Provider

FAILURE_WINDOW = timedelta(hours=24)
SENT = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED)
FAILED = (OutboxStatus.FAILED, OutboxStatus.SUPPRESSED)


@dataclass(frozen=True)
class Spec:
    """One channel: its settings (required, optional, secret) and where its traffic is kept."""

    key: str
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    secrets: frozenset[str] = field(default_factory=frozenset)
    backend: tuple[str, tuple[str, ...]] | None = None  # (setting, values that carry it)
    inbound: str = ""  # how its last message in is found, see _last_in
    outbound: Channel | None = None
    provider: Provider | None = None  # SMS: whose lines


SPECS = (
    Spec("web", "Web form", (), ("SPOOL_DIR",), inbound="web"),
    Spec(
        "email_imap",
        "Email in (IMAP)",
        ("IMAP_HOST", "IMAP_USER", "IMAP_PASSWORD"),
        ("IMAP_PORT", "IMAP_FOLDER", "IMAP_SSL"),
        frozenset({"IMAP_PASSWORD"}),
        inbound="imap",
    ),
    Spec(
        "email_webhook",
        "Email in (webhook)",
        ("INBOUND_EMAIL_SECRET",),
        secrets=frozenset({"INBOUND_EMAIL_SECRET"}),
        inbound="webhook",
    ),
    Spec(
        "email_smtp",
        "Email out (SMTP)",
        ("SMTP_HOST", "MAIL_FROM"),
        ("SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS"),
        frozenset({"SMTP_PASSWORD"}),
        backend=("MAIL_BACKEND", ("smtp",)),
        outbound=Channel.EMAIL,
    ),
    Spec(
        "sms_twilio",
        "SMS (Twilio)",
        ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"),
        ("TWILIO_API_BASE", "TWILIO_PREVIOUS_AUTH_TOKEN", "TWILIO_WEBHOOK_SHARED_KEYS"),
        frozenset(
            {"TWILIO_AUTH_TOKEN", "TWILIO_PREVIOUS_AUTH_TOKEN", "TWILIO_WEBHOOK_SHARED_KEYS"}
        ),
        backend=("SMS_BACKEND", ("twilio", "africastalking")),
        inbound="sms",
        outbound=Channel.SMS,
        provider=Provider.TWILIO,
    ),
    Spec(
        "sms_africastalking",
        "SMS (Africa's Talking)",
        ("AT_USERNAME", "AT_API_KEY", "AT_FROM", "AT_WEBHOOK_SECRET"),
        ("AT_API_BASE", "AT_ALLOWED_NETWORKS"),
        frozenset({"AT_API_KEY", "AT_WEBHOOK_SECRET"}),
        backend=("SMS_BACKEND", ("twilio", "africastalking")),
        inbound="sms",
        outbound=Channel.SMS,
        provider=Provider.AFRICASTALKING,
    ),
    Spec(
        "whatsapp",
        "WhatsApp (Twilio)",
        ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM"),
        ("WHATSAPP_CONTENT_SIDS",),
        frozenset({"TWILIO_AUTH_TOKEN"}),
        backend=("SMS_BACKEND", ("twilio", "africastalking")),
        inbound="whatsapp",
        outbound=Channel.WHATSAPP,
    ),
    Spec(
        "phone",
        "Phone calls (Twilio Voice)",
        ("VOICE_NUMBER", "TWILIO_AUTH_TOKEN"),
        ("VOICE_RING_SECONDS",),
        frozenset({"TWILIO_AUTH_TOKEN"}),
        inbound="call",
    ),
    Spec(
        "ussd",
        "USSD (Africa's Talking)",
        ("USSD_CODE", "AT_WEBHOOK_SECRET"),
        secrets=frozenset({"AT_WEBHOOK_SECRET"}),
        inbound="ussd",
    ),
)


def report() -> list[dict]:
    """Every channel's state, in the screen's order."""
    return [_state(spec) for spec in SPECS]


def _state(spec: Spec) -> dict:
    config = current_app.config
    missing = [name for name in spec.required if not config.get(name)]
    if spec.backend and config[spec.backend[0]] not in spec.backend[1]:
        missing.insert(0, f"{spec.backend[0]} (now {config[spec.backend[0]]!r})")
    settings = [
        {"name": name, "value": _shown(spec, name), "is_required": name in spec.required}
        for name in spec.required + spec.optional
    ]
    return {
        "key": spec.key,
        "name": spec.name,
        "is_configured": not missing,
        "missing": missing,
        "settings": settings,
        "last_in": _last_in(spec),
        "last_out": _last_out(spec),
        "failures": _failures(spec),
        "has_outbound": spec.outbound is not None,
    }


def _shown(spec: Spec, name: str) -> str:
    """A setting as the page may show it: a secret only as set or not set."""
    value = current_app.config.get(name)
    if name in spec.secrets:
        return "set" if value else "not set"
    return "" if value in (None, "") else str(value)


def _last_in(spec: Spec) -> dict | None:
    """{"at", "ticket_id"} of the channel's newest message in; None when none came."""
    if spec.inbound in ("imap", "webhook"):
        query = select(InboundRaw.created_at, InboundRaw.ticket_id).where(
            InboundRaw.channel == Channel.EMAIL, InboundRaw.source == spec.inbound
        )
        query = query.order_by(InboundRaw.id.desc())
    elif spec.inbound == "call":
        query = select(Call.started_at, Call.ticket_id).order_by(Call.started_at.desc())
    elif spec.inbound == "ussd":
        query = select(UssdSession.started_at, UssdSession.ticket_id).order_by(
            UssdSession.started_at.desc()
        )
    elif spec.inbound:
        channel = {"web": Channel.WEB, "sms": Channel.SMS, "whatsapp": Channel.WHATSAPP}
        query = select(Message.created_at, Message.ticket_id).where(
            Message.direction == Direction.INBOUND, Message.channel == channel[spec.inbound]
        )
        if spec.provider is not None:
            query = query.where(Message.line.like(f"{spec.provider.value}:%"))
        query = query.order_by(Message.id.desc())
    else:
        return None
    row = db.session.execute(query.limit(1)).first()
    return {"at": row[0], "ticket_id": row[1]} if row else None


def _outbox(spec: Spec):
    """The channel's outbox rows: its channel and, for SMS, its provider's lines (a row
    without a line goes by the configured SMS provider)."""
    query = select(Outbox).where(Outbox.channel == spec.outbound)
    if spec.provider is not None:
        ours = Outbox.line.like(f"{spec.provider.value}:%")
        if lines.sms_provider() == spec.provider:
            ours = or_(ours, Outbox.line.is_(None))
        query = query.where(ours)
    return query


def _last_out(spec: Spec) -> dict | None:
    if spec.outbound is None:
        return None
    query = _outbox(spec).where(Outbox.status.in_(SENT)).order_by(Outbox.id.desc()).limit(1)
    row = db.session.scalar(query)
    return {"at": row.sent_at or row.created_at, "ticket_id": row.ticket_id} if row else None


def _failures(spec: Spec) -> dict | None:
    """{"count", "code", "meaning", "error", "at"} of the last 24 hours' failed or suppressed
    rows; None for a channel we send nothing on."""
    if spec.outbound is None:
        return None
    since = hours.now() - FAILURE_WINDOW
    query = _outbox(spec).where(Outbox.status.in_(FAILED), Outbox.created_at >= since)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if not count:
        return {"count": 0}
    last = db.session.scalar(query.order_by(Outbox.id.desc()).limit(1))
    provider = spec.provider or (lines.provider_of(last.line) if last.line else None)
    return {
        "count": count,
        "code": last.error_code or "",
        "meaning": failure_words.meaning(last.error_code, provider),
        "error": last.last_error or "",
        "status": last.status.value,
        "at": last.created_at,
        "ticket_id": last.ticket_id,
    }
