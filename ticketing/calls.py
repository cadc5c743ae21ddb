"""Phone calls to us: one Call row per Twilio CallSid, from the first webhook to the final
status, and the call back owed for every call nobody answered. The only writer of Call rows.

Each step is idempotent against Twilio's retries: a call's outcome is decided once (the
first word on how it ended stands, except that only the desk's answer makes it ANSWERED),
a recording is kept once, and a final status is recorded once. An unanswered call becomes
a call-back through callbacks.request, so a customer who calls three times has one ticket
with each call on it (a "call" event per call).
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing import callbacks, charter, customers, events, hours, lifecycle, lines, routing
from ticketing.channels.voice import CallReport
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.extensions import db
from ticketing.models import Call, Customer, Department
from ticketing.models.enums import CallOutcome as Outcome
from ticketing.models.enums import Category, Channel, Language, Provider

# Calls that leave us owing the customer a call.
OWED = (
    Outcome.MISSED,
    Outcome.ABANDONED,
    Outcome.AFTER_HOURS,
    Outcome.CALLBACK_REQUESTED,
    Outcome.VOICEMAIL,
)


def find(sid: str) -> Call | None:
    return db.session.scalar(select(Call).where(Call.sid == sid))


def receive(report: CallReport) -> Call:
    """The call of this CallSid, made on Twilio's first word about it: the caller (a customer
    found or created by their number), the department that owns the number called, and,
    outside that department's hours, the call back owed at once."""
    call = find(report.sid)
    if call is not None:
        return call
    line = lines.for_inbound(Provider.TWILIO, report.called) if report.called else None
    department = lines.department_of(line) or routing.pick_department(
        "", Channel.PHONE, Category.GENERAL
    )
    customer = _caller(report.number)
    call = Call(
        sid=report.sid,
        from_number=report.caller[:32],
        line=line,
        customer=customer,
        department=department,
        language=customer.language.value if customer else None,
        status=report.status or "ringing",
        started_at=hours.now(),
    )
    try:
        with db.session.begin_nested():  # two first webhooks at once: the second yields
            db.session.add(call)
    except IntegrityError:
        return find(report.sid)
    if not is_open(department):
        settle(call, Outcome.AFTER_HOURS)
    return call


def _caller(number: str) -> Customer | None:
    if not number:
        return None
    try:
        phone = normalise_phone(number, current_app.config["DEFAULT_PHONE_REGION"])
    except InvalidContact:
        return None
    return customers.find_or_create(phone=phone, preferred_channel=Channel.SMS)


def is_open(department: Department) -> bool:
    """Whether the department is within its business hours now."""
    now = hours.now()
    try:
        return charter.calendar_for(department).add_minutes(now, 0) == now
    except ValueError:  # no working hours at all
        return False


def desk_for(call: Call) -> str | None:
    """The desk phone to put the call through to: none after hours or without one."""
    if call.outcome is not None or call.department is None:
        return None
    return call.department.desk_phone or None


def language_of(call: Call) -> Language:
    return Language(call.language) if call.language in Language._value2member_map_ else Language.EN


def ask_callback(call: Call) -> None:
    """The caller pressed 1: they want us to call them back."""
    settle(call, Outcome.CALLBACK_REQUESTED)


def desk_result(call: Call, report: CallReport) -> None:
    """The desk phone was answered (the call is ANSWERED, from when the desk picked up) or
    rang out, was busy or failed (MISSED: a call back)."""
    if not report.desk_answered:
        settle(call, Outcome.MISSED)
        return
    if call.outcome is None:
        call.outcome = Outcome.ANSWERED
        call.answered_at = hours.now() - timedelta(seconds=report.desk_seconds or 0)
        db.session.flush()


def keep_recording(call: Call, report: CallReport) -> bool:
    """Keep the caller's voicemail once (Twilio reports it twice: the <Record> action and
    its status callback): on the Call, and as the customer's message on their call-back
    ticket. False when there is nothing (new) to keep."""
    if not report.recording_url or report.recording_seconds == 0 or call.recording_url:
        return False
    call.recording_url, call.recording_seconds = report.recording_url, report.recording_seconds
    settle(call, Outcome.VOICEMAIL)
    if call.ticket is None:
        db.session.flush()
        return True
    seconds = f"{report.recording_seconds} s" if report.recording_seconds is not None else "?"
    lifecycle.add_customer_message(
        call.ticket,
        body=f"Voicemail ({seconds}) from {call.from_number}: {report.recording_url}",
        channel=Channel.PHONE,
        external_id=report.recording_sid,
        attachments=[
            {
                "filename": f"voicemail-{report.recording_sid}",
                "url": report.recording_url,
                "content_type": "audio/x-wav",  # Twilio's format without an extension
            }
        ],
    )
    db.session.flush()
    return True


def record_status(call: Call, report: CallReport) -> None:
    """Twilio's word on the call's progress; a call that ends without an outcome was
    abandoned (the caller hung up before anyone answered): a call back."""
    if call.ended_at is not None:
        return  # already over: a retry, or a late word out of order
    if report.status:
        call.status = report.status
    if report.is_final:
        call.ended_at = hours.now()
        call.duration_seconds = report.duration_seconds
        settle(call, Outcome.ABANDONED)
    db.session.flush()


def settle(call: Call, outcome: Outcome) -> None:
    """Decide how the call ended, once; an unanswered call from a known number becomes a
    call back on the customer's call-back ticket."""
    if call.outcome is not None:
        return
    call.outcome = outcome
    if outcome in OWED and call.customer is not None:
        ticket = callbacks.request(
            call.customer,
            channel=Channel.PHONE,
            reason=outcome.value,
            line=call.line if lines.find(call.line) is not None else None,
            department=call.department,
        )
        call.ticket = ticket
        events.record(ticket, "call", sid=call.sid, outcome=outcome.value, caller=call.from_number)
    db.session.flush()
