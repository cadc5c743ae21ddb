"""The USSD menu: what a caller who dials USSD_CODE sees, and what their choices do. The only
writer of UssdSession rows.

Africa's Talking posts every step of a session with `text`, every choice so far joined by
`*` ("" on the first request), and shows our answer: "CON <screen>" waits for the next
choice, "END <screen>" closes the session. The menu keeps no state of its own: the screen is
a pure function of (text, the caller, the database), so a lost or repeated request is
answered the same way. A wrong choice shows the same screen again under "Invalid choice",
and the walk goes on from there, so later choices still read right.

Each request upserts the session's row (steps, last text, outcome code, customer, ticket):
the log, the figures and the guard against a gateway that repeats the final request. A step
that acts writes and locks the row before acting, so a repeat waits for the first to commit,
then finds its outcome and answers the same reference instead of acting twice.

Nothing here commits: the view does.
"""

import logging
import re
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from ticketing import answers, callbacks, customers, hours, lifecycle, notify
from ticketing import ussd_screens as screens
from ticketing.contacts import InvalidContact, normalise_phone
from ticketing.extensions import db
from ticketing.models import Customer, Ticket, UssdSession
from ticketing.models.enums import Category, Channel, Language, PromiseStatus, Status

log = logging.getLogger(__name__)
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

MAX_TEXT = 500  # a session's choices (last_text holds 500); a step is at most ~160
MAX_DESCRIPTION = 500
MIN_DESCRIPTION = 3  # letters or digits: "ok" or "?" is no description
STATUS_TICKETS = 6  # looked up for the status screen; as many as fit are shown
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

# Outcome codes (UssdSession.outcome): the last screen the session reached.
ACTS = {"reported", "reported_sms", "callback", "rated"}  # outcomes that changed something
ACTING = {"report", "callback", "rated"}  # the walk's screens that may change something
SHOWN_OPTIONS = {"1": "status", "2": "categories", "3": "callback", "4": "rate"}


@dataclass(frozen=True)
class Reply:
    """What the gateway shows: `final` ends the session; `outcome` is the code we log."""

    screen: str
    final: bool
    outcome: str
    ticket: Ticket | None = None
    customer: Customer | None = None

    @property
    def body(self) -> str:
        return ("END " if self.final else "CON ") + self.screen


@dataclass(frozen=True)
class Walk:
    """Where the caller's choices lead: the screen reached and what they chose on the way."""

    screen: str = "menu"
    language: str | None = None
    invalid: bool = False
    category: Category | None = None
    description: str = ""
    by_sms: bool = False
    score: int | None = None


@dataclass(frozen=True)
class Caller:
    number: str
    customer: Customer | None
    session_id: str
    done: Ticket | None = None  # the ticket an identical earlier final request acted on


def answer(
    *, session_id: str, phone: str, text: str, service_code: str = "", network_code: str = ""
) -> Reply:
    """The screen for this step of the session, acting on a final choice; logs the step.

    A step that acts locks the session's row before anything else it writes; any other step
    writes its log line last, so that short write is all it holds (SQLite has one writer)."""
    gateway = (session_id, phone, service_code, network_code)
    text = CONTROL.sub("", text or "")
    try:
        number = normalise_phone(phone, current_app.config["DEFAULT_PHONE_REGION"])
    except InvalidContact as error:
        log.warning("USSD session %s: %s", session_id, error)
        return _logged(gateway, text, Reply(screens.word(None, "bad_phone"), True, "bad_phone"))
    if len(text) > MAX_TEXT:
        log.warning("USSD session %s: %d characters of text, refused", session_id, len(text))
        return _logged(gateway, text, Reply(screens.word(None, "unreadable"), True, "unreadable"))
    customer = customers.find(phone=number)
    here = walk(text, customer)
    caller = Caller(number, customer, session_id)
    if here.screen not in ACTING:
        return _logged(gateway, text, _render(here, caller))
    row = _session(*gateway)
    reply = _act(row, text, here, caller)
    _log(row, text, reply)
    return reply


def session_ended(*, session_id: str, status: str, reason: str = "", phone: str = "") -> None:
    """The gateway's end-of-session notification; an unknown session gets its row now."""
    row = _session(session_id, phone, "", "")
    row.ended_at = hours.now()
    row.end_status = CONTROL.sub("", status or "")[:32] or None
    row.end_reason = CONTROL.sub("", reason or "")[:255] or None
    db.session.flush()


def walk(text: str, customer: Customer | None) -> Walk:
    """Follow the choices in `text` from the main menu; a wrong one stays on its screen."""
    here = Walk(language=customer.language.value if customer is not None else None)
    parts = text.split("*") if text else []
    for index, raw in enumerate(parts):
        if here.screen == "describe":  # the rest is their words, `*` and all
            return _described(here, " ".join("*".join(parts[index:]).strip(" *").split()))
        step = STEPS.get(here.screen)
        if step is None:  # a choice after a final screen: the session was over
            return replace(here, screen="ended", invalid=False)
        here = step(here, raw.strip())
    return here


def _from_menu(here: Walk, choice: str) -> Walk:
    if choice == "0":
        return replace(here, language="en" if here.language == "sw" else "sw", invalid=False)
    if choice in SHOWN_OPTIONS:
        return Walk(SHOWN_OPTIONS[choice], here.language or "en")  # only the menu speaks both
    return replace(here, invalid=True)


def _from_categories(here: Walk, choice: str) -> Walk:
    if len(choice) == 1 and "1" <= choice <= str(len(screens.CATEGORIES)):
        category = screens.CATEGORIES[int(choice) - 1]
        return replace(here, screen="describe", category=category, invalid=False)
    return replace(here, invalid=True)


def _described(here: Walk, words: str) -> Walk:
    if words == "0":
        return replace(here, screen="report", by_sms=True, invalid=False)
    if sum(c.isalnum() for c in words) >= MIN_DESCRIPTION:
        return replace(here, screen="report", description=words[:MAX_DESCRIPTION], invalid=False)
    return replace(here, invalid=True)


def _from_rate(here: Walk, choice: str) -> Walk:
    if len(choice) == 1 and "1" <= choice <= "5":
        return replace(here, screen="rated", score=int(choice), invalid=False)
    return replace(here, invalid=True)


STEPS = {"menu": _from_menu, "categories": _from_categories, "rate": _from_rate}


# -- screens -------------------------------------------------------------------------------


def _act(row: UssdSession, text: str, here: Walk, caller: Caller) -> Reply:
    """Act on the final choice, unless this session already did: then only the same final
    request again is answered, with what it did then."""
    if row.outcome in ACTS:
        done = db.session.get(Ticket, row.ticket_id) if row.ticket_id else None
        if text != row.last_text or done is None:
            return Reply(screens.word(here.language, "ended"), True, "ended")
        caller = replace(caller, done=done)
    return _render(here, caller)


def _render(here: Walk, caller: Caller) -> Reply:
    language = here.language
    if here.screen == "menu":
        return _ask(here, screens.word(language, "menu"), "menu")
    if here.screen == "categories":
        return _ask(here, screens.word(language, "categories"), "categories")
    if here.screen == "describe":
        screen = screens.word(language, "describe")
        if here.invalid:
            screen = f"{screens.word(language, 'too_short')}\n{screen}"
        return Reply(screen, False, "describe")
    if here.screen == "status":
        return _status(language, caller)
    if here.screen == "report":
        return _report(here, caller)
    if here.screen == "callback":
        return _callback(language, caller)
    if here.screen in ("rate", "rated"):
        return _rate(here, caller)
    return Reply(screens.word(language, "ended"), True, "ended")


def _ask(here: Walk, screen: str, outcome: str) -> Reply:
    if here.invalid:
        screen = screens.invalid(here.language, screen)
    return Reply(screen, False, outcome)


def _status(language: str, caller: Caller) -> Reply:
    rows = []
    if caller.customer is not None:
        rows = db.session.scalars(
            select(Ticket)
            .options(selectinload(Ticket.promises))  # each line's next step reads them
            .where(Ticket.customer_id == caller.customer.id, Ticket.merged_into_id.is_(None))
            .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            .limit(STATUS_TICKETS)
        ).all()
    if not rows:
        return Reply(
            screens.word(language, "no_tickets"), True, "no_tickets", None, caller.customer
        )
    return Reply(screens.tickets(language, rows), True, "status", None, caller.customer)


def _report(here: Walk, caller: Caller) -> Reply:
    """Open the ticket (acknowledged by SMS), or, for "send it by SMS", open it and text
    the prompt: their next SMS threads onto it as the newest ticket in progress."""
    ticket = caller.done
    if ticket is None:
        customer = _customer(caller, here.language)
        label = screens.WORDS["en"]["categories_labels"][screens.CATEGORIES.index(here.category)]
        ticket = lifecycle.open_ticket(
            customer,
            subject=here.description or f"Reported by USSD: {label}",
            body=here.description or f"Reported by USSD ({label}): description to follow by SMS",
            channel=Channel.USSD,
            category=here.category,
            external_id=f"ussd:{caller.session_id}" if caller.session_id else None,
            acknowledge=not here.by_sms,
        )
        if here.by_sms:
            notify.customer(ticket, "ussd_describe")
    outcome = "reported_sms" if here.by_sms else "reported"
    when = screens.when(ticket.first_response_due_at)
    screen = screens.word(here.language, outcome, ref=ticket.reference, when=when)
    return Reply(screen, True, outcome, ticket, ticket.customer)


def _callback(language: str, caller: Caller) -> Reply:
    ticket = caller.done
    if ticket is None:
        ticket = callbacks.request(_customer(caller, language), channel=Channel.USSD, reason="ussd")
    due = [p.due_at for p in ticket.promises if p.is_callback and p.status == PromiseStatus.OPEN]
    when = screens.when(min(due) if due else ticket.first_response_due_at)
    screen = screens.word(language, "callback", ref=ticket.reference, when=when)
    return Reply(screen, True, "callback", ticket, ticket.customer)


def _rate(here: Walk, caller: Caller) -> Reply:
    """Rate the last closed ticket through answers.rate, as the status page does (USSD asks
    the question itself, so it counts whether or not the survey SMS went)."""
    language, customer = here.language, caller.customer
    ticket = caller.done or (_last_closed(customer) if customer is not None else None)
    if ticket is None:
        return Reply(screens.word(language, "nothing_to_rate"), True, "nothing_to_rate")
    done = caller.done is not None
    if ticket.satisfaction_score is not None and not done:
        screen = screens.word(
            language, "already_rated", ref=ticket.reference, score=ticket.satisfaction_score
        )
        return Reply(screen, True, "already_rated", ticket, customer)
    if here.screen == "rate":
        subject = screens.short(ticket.subject, 40)
        screen = screens.word(language, "rate", ref=ticket.reference, subject=subject)
        return _ask(here, screen, "rate")
    if not done:
        result = answers.rate(
            ticket,
            here.score,
            words=str(here.score),
            channel=Channel.USSD,
            external_id=f"ussd:{caller.session_id}" if caller.session_id else None,
        )
        if result != answers.Result.RECORDED:
            return Reply(screens.word(language, "nothing_to_rate"), True, "nothing_to_rate")
    score = ticket.satisfaction_score
    screen = screens.word(language, "rated", ref=ticket.reference, score=score)
    return Reply(screen, True, "rated", ticket, customer)


def _last_closed(customer: Customer) -> Ticket | None:
    return db.session.scalar(
        select(Ticket)
        .where(
            Ticket.customer_id == customer.id,
            Ticket.status == Status.CLOSED,
            Ticket.merged_into_id.is_(None),
        )
        .order_by(Ticket.closed_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def _customer(caller: Caller, language: str | None) -> Customer:
    """The caller as a customer, new ones in the language they used and reached by SMS; a
    known caller who switched language with "0" before acting is answered in it from now on."""
    if caller.customer is not None:
        if language:
            customers.set_language(caller.customer, Language(language), source="USSD")
        return caller.customer
    return customers.find_or_create(
        phone=caller.number,
        language=Language(language or "en"),
        preferred_channel=Channel.SMS,
    )


# -- the session log ---------------------------------------------------------------------


def _session(session_id: str, phone: str, service_code: str, network_code: str) -> UssdSession:
    """The session's row, created on its first request and locked until the commit."""
    now = hours.now()
    insert = INSERTS[db.engine.dialect.name](UssdSession).values(
        session_id=session_id,
        phone=CONTROL.sub("", phone or "")[:32],
        service_code=CONTROL.sub("", service_code or "")[:40],
        network_code=CONTROL.sub("", network_code or "")[:16],
        started_at=now,
        updated_at=now,
        steps=0,
        last_text="",
    )
    db.session.execute(insert.on_conflict_do_nothing(index_elements=["session_id"]))
    query = select(UssdSession).where(UssdSession.session_id == session_id).with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def _logged(gateway: tuple, text: str, reply: Reply) -> Reply:
    _log(_session(*gateway), text, reply)
    return reply


def _log(row: UssdSession, text: str, reply: Reply) -> None:
    """Count the step; once the session acted, its record (text, outcome, ticket) stands,
    so a late repeat of the final request still finds what it did."""
    row.steps += 1
    row.updated_at = hours.now()
    if row.outcome in ACTS:
        db.session.flush()
        return
    row.last_text = text[:500]
    row.outcome = reply.outcome
    if reply.customer is not None:
        row.customer_id = reply.customer.id
    if reply.ticket is not None:
        row.ticket_id = reply.ticket.id
    db.session.flush()
