"""What a customer's answer to one of our questions means, decided once for SMS, email and
the status page alike; the only writer of the ticket's satisfaction fields: "is it fixed?" (1/2), "is it still working?" (1/2) and "rate us" (1-5).

An answer counts only while its question is open; a second answer to the same question is
filed on the thread and changes nothing. The customer's own words are always filed.
"""

from enum import StrEnum

from sqlalchemy import select

from ticketing import events, hours, lifecycle, notify
from ticketing.errors import TransitionError
from ticketing.extensions import db
from ticketing.models import Event, Outbox, Ticket
from ticketing.models.enums import Category, Channel, OutboxStatus, Outcome, Priority, Status


class Question(StrEnum):
    CONFIRM_FIX = "confirm_fix"
    FIX_CHECK = "fix_check"
    RATING = "rating"


class Result(StrEnum):
    RECORDED = "recorded"
    NOT_ASKED = "not_asked"  # filed, but no such question is open: it changes nothing


YES_NO = ("1", "2")
DIGITS = {
    Question.CONFIRM_FIX: YES_NO,
    Question.FIX_CHECK: YES_NO,
    Question.RATING: ("1", "2", "3", "4", "5"),
}
ANSWER_EVENTS = ("fix_confirmed", "fix_check_answer", "rated")
# The messages that put each question to the customer (a held update may carry the first).
ASKED_BY = {
    Question.CONFIRM_FIX: ("confirm_fix", "confirm_reminder", "updates"),
    Question.FIX_CHECK: ("fix_check",),
    Question.RATING: ("satisfaction",),
}
HANDED_OVER = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DELIVERED)


def open_questions(ticket: Ticket, *, by_text: bool = True) -> list[Question]:
    """The questions the customer can answer now, first the one a bare digit answers first.
    By text, a question counts only once its message was handed to the provider (a digit sent
    before that answers nothing); the status page asks its questions itself."""
    questions = []
    if ticket.status == Status.RESOLVED and ticket.category == Category.AFTER_SALE:
        questions.append(Question.CONFIRM_FIX)
    if ticket.awaits_fix_check:
        questions.append(Question.FIX_CHECK)
    rateable = (
        ticket.status == Status.CLOSED
        and ticket.satisfaction_score is None
        and ticket.merged_into_id is None
    )
    if rateable:
        questions.append(Question.RATING)
    return [q for q in questions if not by_text or _was_sent(ticket, q)]


def answer_by_text(
    ticket: Ticket, word: str, *, text: str, channel: Channel, external_id: str | None = None
) -> bool:
    """Read a bare digit sent by SMS or email as the answer to the open question it fits.
    A digit that answers no open question (it repeats an answer already given, or comes
    before the question was sent) is filed and changes nothing on a ticket that is resolved,
    closed or was answered before: a lone digit is no complaint. False when the message is no answer
    at all (it is then an ordinary message)."""
    question = next((q for q in open_questions(ticket) if word in DIGITS[q]), None)
    if question is None:
        lone_digit = word in DIGITS[Question.RATING]
        settled = ticket.status in (Status.RESOLVED, Status.CLOSED)
        if lone_digit and (settled or _answered_before(ticket)):
            lifecycle.file_answer(ticket, body=text, channel=channel, external_id=external_id)
            return True
        return False
    filed = {"words": text, "channel": channel, "external_id": external_id}
    if question == Question.CONFIRM_FIX:
        confirm_fix(ticket, fixed=word == "1", by_text=True, **filed)
    elif question == Question.FIX_CHECK:
        check_fix(ticket, held=word == "1", by_text=True, **filed)
    else:
        rate(ticket, int(word), by_text=True, **filed)
    return True


def confirm_fix(
    ticket: Ticket,
    *,
    fixed: bool,
    words: str,
    channel: Channel,
    external_id: str | None = None,
    by_text: bool = False,
) -> Result:
    """The answer to "is it fixed?": yes closes it, no reopens it with high priority."""
    lifecycle.file_answer(ticket, body=words, channel=channel, external_id=external_id)
    if Question.CONFIRM_FIX not in open_questions(ticket, by_text=by_text):
        return Result.NOT_ASKED
    events.record(ticket, "fix_confirmed", fixed=fixed)
    if fixed:
        lifecycle.close(ticket, outcome=Outcome.CONFIRMED_FIXED, message="confirmed_fixed")
    else:
        lifecycle.reopen(ticket, outcome=Outcome.REOPENED_NOT_FIXED, priority=Priority.HIGH)
    return Result.RECORDED


def check_fix(
    ticket: Ticket,
    *,
    held: bool,
    words: str,
    channel: Channel,
    external_id: str | None = None,
    by_text: bool = False,
) -> Result:
    """The answer to "is it still working?": a no reopens it with high priority."""
    lifecycle.file_answer(ticket, body=words, channel=channel, external_id=external_id)
    if Question.FIX_CHECK not in open_questions(ticket, by_text=by_text):
        return Result.NOT_ASKED
    events.record(ticket, "fix_check_answer", held=held)
    if not held:
        lifecycle.reopen(ticket, outcome=Outcome.REOPENED_FIX_FAILED, priority=Priority.HIGH)
    return Result.RECORDED


def rate(
    ticket: Ticket,
    score: int,
    comment: str = "",
    *,
    words: str,
    channel: Channel,
    external_id: str | None = None,
    by_text: bool = False,
) -> Result:
    """The answer to "rate us": kept once, thanked once."""
    if not 1 <= score <= 5:
        raise TransitionError("a rating is a number from 1 to 5")
    lifecycle.file_answer(ticket, body=words, channel=channel, external_id=external_id)
    if Question.RATING not in open_questions(ticket, by_text=by_text):
        return Result.NOT_ASKED
    _record_score(ticket, score, comment)
    if by_text:
        notify.customer(ticket, "thanks_rating")
    return Result.RECORDED


def ask_rating(ticket: Ticket) -> None:
    """Send the satisfaction question; from now on a bare digit can answer it."""
    _mark_asked(ticket)
    notify.customer(ticket, "satisfaction", proactive=True, dedupe_key=f"satisfaction:{ticket.id}")


def _mark_asked(ticket: Ticket) -> None:
    ticket.satisfaction_asked_at = hours.now()


def _record_score(ticket: Ticket, score: int, comment: str = "") -> None:
    if not 1 <= score <= 5:
        raise TransitionError("a rating is a number from 1 to 5")
    if ticket.satisfaction_score is not None:
        raise TransitionError("this ticket has already been rated")
    ticket.satisfaction_score = score
    ticket.satisfaction_comment = comment.strip()[:2000] or None
    events.record(ticket, "rated", score=score)


def _was_sent(ticket: Ticket, question: Question) -> bool:
    """Whether the question's message reached the provider: "is it fixed?" since this
    resolution, "still working?" since this closing, "rate us" ever (it is asked once)."""
    conditions = [
        Outbox.ticket_id == ticket.id,
        Outbox.kind.in_(ASKED_BY[question]),
        Outbox.status.in_(HANDED_OVER),
    ]
    if question == Question.CONFIRM_FIX:
        conditions.append(Outbox.created_at >= ticket.status_changed_at)
    elif question == Question.FIX_CHECK:
        conditions.append(Outbox.created_at >= ticket.closed_at)
    return db.session.scalar(select(Outbox.id).where(*conditions).limit(1)) is not None


def _answered_before(ticket: Ticket) -> bool:
    return (
        db.session.scalar(
            select(Event.id)
            .where(Event.ticket_id == ticket.id, Event.kind.in_(ANSWER_EVENTS))
            .limit(1)
        )
        is not None
    )
