"""The ticket's lifecycle: the only writer of ticket state. Every change writes an Event and
owes its notifications. Functions take plain values (by=user) and never commit: the view or
job that calls them does. Callers use the names below; the modules split the work:

- moves: the status table and every move between statuses (resolve, close, reopen, merge...)
- conversation: opening a ticket, and its thread (customer messages, replies, notes)
- handling: who handles it and how urgently (assignee, department, priority, product)
- tagging: the ticket's tags
- refusals: a reply the provider refused after it was handed over, which is no answer
- base: what they share (the next follow-up plan, the assignee, the last-change time)

Promises, CCs, follow-up steps and customers' answers are records with modules of their own.
"""

from ticketing.errors import TransitionError
from ticketing.lifecycle.conversation import (
    add_customer_message,
    file_answer,
    note,
    open_ticket,
    reply,
)
from ticketing.lifecycle.handling import assign, hand_over, set_priority, set_product, transfer
from ticketing.lifecycle.moves import (
    NEXT,
    close,
    merge,
    record_follow_up,
    reopen,
    replan,
    resolve,
    set_pending,
    set_status,
)
from ticketing.lifecycle.refusals import reply_refused
from ticketing.lifecycle.tagging import tag

__all__ = [
    "NEXT",
    "TransitionError",
    "add_customer_message",
    "assign",
    "close",
    "file_answer",
    "hand_over",
    "merge",
    "note",
    "open_ticket",
    "record_follow_up",
    "reopen",
    "replan",
    "reply",
    "reply_refused",
    "resolve",
    "set_pending",
    "set_priority",
    "set_product",
    "set_status",
    "tag",
    "transfer",
]
