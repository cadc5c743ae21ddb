"""Our lines: the numbers and sender ids customers write and call to (Twilio numbers and
Messaging Services, Africa's Talking shortcodes and sender ids, WhatsApp senders), which
department owns each, and which one a message to a customer goes out from.

The only writer of Line rows. A line is named everywhere by its key, "<provider>:<address>"
(`twilio:+254711000100`, `africastalking:21525`, `twilio:whatsapp:+254711000100`), so that
tickets, outbox rows and opt-outs keep their meaning when a line is disabled or removed. The
lines of the configuration (TWILIO_FROM, AT_FROM, TWILIO_WHATSAPP_FROM) exist without a row:
they are the lines of departments that own none.
"""

from flask import current_app
from sqlalchemy import select

from ticketing import settings_cache
from ticketing.extensions import db
from ticketing.models import Department, Line
from ticketing.models.enums import Channel, Provider

WHATSAPP_PREFIX = "whatsapp:"


class InvalidLine(ValueError):
    """An address no provider would take as a sender, with the reason for people."""


def key(provider: Provider, address: str) -> str:
    return f"{Provider(provider).value}:{address}"


def split(line: str) -> tuple[Provider, str]:
    """(provider, address) of a line key; ValueError for a key that is not one."""
    provider, _, address = (line or "").partition(":")
    return Provider(provider), address


def provider_of(line: str | None) -> Provider:
    """Who carries `line`; a message without one goes by the configured SMS provider."""
    if line:
        return split(line)[0]
    return sms_provider()


def sms_provider() -> Provider:
    """SMS_BACKEND's provider; the console backend pretends to be Twilio (/dev/sms signs so)."""
    backend = current_app.config["SMS_BACKEND"]
    return Provider.AFRICASTALKING if backend == Provider.AFRICASTALKING else Provider.TWILIO


def channel_of(line: str | None) -> Channel:
    """WhatsApp for a WhatsApp sender, else SMS."""
    return Channel.WHATSAPP if line and split(line)[1].startswith(WHATSAPP_PREFIX) else Channel.SMS


def configured(channel: Channel) -> str | None:
    """The configuration's line for `channel`: the default of every department without one."""
    config = current_app.config
    if channel == Channel.WHATSAPP:
        address = config["TWILIO_WHATSAPP_FROM"]
        if not address:
            return None
        return key(Provider.TWILIO, with_prefix(address))
    provider = sms_provider()
    address = config["AT_FROM"] if provider == Provider.AFRICASTALKING else config["TWILIO_FROM"]
    return key(provider, address)


def with_prefix(address: str) -> str:
    return address if address.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + address


def _rows() -> tuple[settings_cache.LineRow, ...]:
    """Every line row, as the settings kept per process hold them (no query): one message
    asks about lines at every step (which channel, which line, is it switched off)."""
    return settings_cache.current().lines


def _row(line: str | None) -> settings_cache.LineRow | None:
    """The row of `line`, enabled or not."""
    if not line:
        return None
    try:
        provider, address = split(line)
    except ValueError:
        return None
    return next((r for r in _rows() if r.provider == provider and r.address == address), None)


def find(line: str | None) -> settings_cache.LineRow | None:
    """The enabled row of `line`, if an admin added one."""
    row = _row(line)
    return row if row is not None and row.is_enabled else None


def department_of(line: str | None) -> Department | None:
    """The department that owns `line`: its messages are routed there before keyword rules."""
    row = find(line)
    if row is None or row.department_id is None:
        return None
    return settings_cache.department(row.department_id)


def of_department(department: Department | None, channel: Channel) -> str | None:
    """The department's own line for `channel` (its oldest enabled one), else the configured."""
    if department is not None:
        for row in _rows():
            if row.department_id == department.id and row.channel == channel and row.is_enabled:
                return row.key
    return configured(channel)


def reply_line(ticket, channel: Channel) -> str | None:
    """The line a message on `ticket` goes out from: the one the customer wrote to (they
    know that number, and their opt-out is kept per line), else the department's."""
    if ticket is not None and _usable(ticket.line) and channel_of(ticket.line) == channel:
        return ticket.line  # a number of ours: its provider posted to us for it
    return of_department(ticket.department if ticket is not None else None, channel)


def _usable(line: str | None) -> bool:
    """A line of ours that an admin has not switched off."""
    try:
        if not line or not split(line)[1]:
            return False
    except ValueError:
        return False
    row = _row(line)
    return row is None or row.is_enabled


def add(
    provider: Provider,
    channel: Channel,
    address: str,
    *,
    department: Department | None = None,
    label: str = "",
) -> Line:
    """An admin's new line; raises InvalidLine for an address the provider would refuse."""
    provider, channel, address = Provider(provider), Channel(channel), address.strip()
    if channel not in (Channel.SMS, Channel.WHATSAPP):
        raise InvalidLine("a line carries SMS or WhatsApp")
    if channel == Channel.WHATSAPP:
        if provider != Provider.TWILIO:
            raise InvalidLine("WhatsApp goes through Twilio")
        address = with_prefix(address)
    check_address(provider, address)
    if db.session.scalar(select(Line.id).where(Line.provider == provider, Line.address == address)):
        raise InvalidLine(f"{address} is already a line")
    row = Line(
        provider=provider, channel=channel, address=address, department=department, label=label
    )
    db.session.add(row)
    db.session.flush()
    return row


def check_address(provider: Provider, address: str) -> None:
    """What each provider takes as a sender: an E.164 number; for Twilio also a Messaging
    Service SID; for Africa's Talking also a shortcode (3-8 digits) or an alphanumeric
    sender id (up to 11 letters and digits)."""
    bare = address.removeprefix(WHATSAPP_PREFIX)
    if bare.startswith("+") and bare[1:].isdigit() and 8 <= len(bare) <= 16:
        return
    if provider == Provider.TWILIO and bare.startswith("MG") and len(bare) == 34:
        return
    if provider == Provider.AFRICASTALKING and address == bare:
        if bare.isdigit() and 3 <= len(bare) <= 8:
            return
        if bare.isascii() and bare.isalnum() and 1 <= len(bare) <= 11:
            return
    raise InvalidLine(f"{address!r} is not a sender {provider.value} accepts")


def for_inbound(provider: Provider, to: str) -> str:
    """The key of our line a message was sent to, from the provider's `To`/`to` field."""
    return key(provider, (to or "").strip())


def listed() -> list[Line]:
    """Every line an admin added, enabled or not, by provider and address."""
    return list(db.session.scalars(select(Line).order_by(Line.provider, Line.address)))


def move(row: Line, department: Department | None) -> None:
    """Give `row` to `department` (None: no owner, so keyword rules route its messages)."""
    row.department = department
    db.session.flush()


def set_enabled(row: Line, enabled: bool) -> None:
    """Switch a line on or off: a disabled line routes nothing and sends nothing, but its key
    stays on the tickets, outbox rows and opt-outs that name it."""
    row.is_enabled = bool(enabled)
    db.session.flush()


def state(row: Line) -> dict:
    """What an admin may change about a line, as the audit log records it."""
    return {
        "line": row.key,
        "channel": Channel(row.channel).value,
        "department": row.department.name if row.department is not None else None,
        "label": row.label,
        "enabled": bool(row.is_enabled),
    }
