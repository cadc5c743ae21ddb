"""The follow-up steps carried out when they fall due: reminders, breach alerts, chases of
the customer, closing for silence, the satisfaction question. `followup.plan` says which
step comes next and when; this module says what each step does."""

from ticketing import alerts, answers, lifecycle, notify, routing
from ticketing.models import Ticket
from ticketing.models.enums import FollowUpStep, Outcome


def follow_up(ticket: Ticket) -> None:
    """Carry out the ticket's due follow-up step, record it, and plan the next one."""
    step = ticket.follow_up_step
    key = lifecycle.record_follow_up(ticket, step)
    STEPS[step](ticket, key)
    lifecycle.replan(ticket)


def _hand_over_if_absent(ticket: Ticket) -> None:
    """An away, disabled or missing assignee hands the ticket to the agent on duty with least
    work; with nobody on duty it stays put and the supervisor hears of it."""
    current = ticket.assignee
    if current is not None and current.is_enabled and not current.is_away:
        return
    successor = routing.pick_assignee(ticket.department)
    if successor is not None and successor != current:
        lifecycle.hand_over(ticket, successor)


def _remind_assignee(ticket: Ticket, key: str) -> None:
    _hand_over_if_absent(ticket)
    agent = ticket.assignee
    on_duty = agent is not None and agent.is_enabled and not agent.is_away
    alerts.alert(
        agent if on_duty else alerts.supervisor_of(ticket),
        "first_response_reminder",
        ticket,
        dedupe_key=key,
    )


def _alert_breach(what: str):
    """A breach hands the ticket over from an absent assignee and is noted for the pass's
    digest to the supervisor (alerts.owe_breach_digests): one email per department per pass,
    not one per ticket. The daily repeat while it stays breached emails nobody: the daily
    summary (alerts.owe_summary) lists what stays breached."""

    def alert(ticket: Ticket, key: str) -> None:
        _hand_over_if_absent(ticket)
        step = ticket.follow_up_step
        if list(ticket.follow_ups_done or []).count(step) == 1:  # this target, newly breached
            alerts.note_breach(ticket, what)

    return alert


def _ask_satisfaction(ticket: Ticket, key: str) -> None:
    answers.ask_rating(ticket)


def _chase(kind: str):
    def chase(ticket: Ticket, key: str) -> None:
        notify.customer(ticket, kind, proactive=True, dedupe_key=key)

    return chase


def _close_with(outcome: Outcome, message: str | None):
    def close_ticket(ticket: Ticket, key: str) -> None:
        lifecycle.close(ticket, outcome=outcome, message=message, proactive=True)

    return close_ticket


STEPS = {
    FollowUpStep.FIRST_RESPONSE_REMINDER: _remind_assignee,
    FollowUpStep.FIRST_RESPONSE_BREACH: _alert_breach("first response"),
    FollowUpStep.RESOLUTION_BREACH: _alert_breach("resolution"),
    FollowUpStep.PENDING_REMINDER: _chase("pending_reminder"),
    FollowUpStep.PENDING_CLOSE: _close_with(Outcome.CLOSED_NO_REPLY, "closed_no_reply"),
    FollowUpStep.CONFIRM_REMINDER: _chase("confirm_reminder"),
    FollowUpStep.CONFIRM_CLOSE: _close_with(Outcome.CLOSED_AFTER_SILENCE, "closed_silence"),
    FollowUpStep.AUTO_CLOSE: _close_with(Outcome.SOLVED, "closed_auto"),
    FollowUpStep.SATISFACTION: _ask_satisfaction,
    FollowUpStep.FIX_CHECK: _chase("fix_check"),
}
