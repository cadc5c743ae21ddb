"""The words of every USSD screen, in English, Kiswahili and (for a caller we do not know yet)
both at once. Kept apart from the menu's logic (ticketing/ussd.py) so that wording can change
without touching a decision, and so one test can read every screen of every path.

A screen is at most MAX_CHARS characters (what a basic phone shows without cutting), plain
ASCII (GSM-7 on every handset). `language` is "en", "sw" or None for the bilingual screens;
after the bilingual main menu the screens speak English until the caller presses 0.
"""

from flask import current_app

from ticketing import hours
from ticketing.models.enums import Category, PromiseStatus, Status

MAX_CHARS = 182
BILINGUAL = None

# The categories a caller can pick, in menu order.
CATEGORIES = (Category.AFTER_SALE, Category.DELIVERY, Category.BILLING, Category.GENERAL)

WORDS = {
    "en": {
        "menu": "Fuatilia support\n1 My tickets\n2 Report a problem\n3 Call me back\n"
        "4 Rate my last ticket\n0 Kiswahili",
        "invalid": "Invalid choice.",
        "categories": "Your problem is about:\n1 Repair/after-sale\n2 Delivery\n"
        "3 Billing/payment\n4 Something else",
        "categories_labels": ("Repair/after-sale", "Delivery", "Billing/payment", "Other"),
        "describe": "Type a short description of the problem.\nOr 0 to send it by SMS.",
        "too_short": "Please type a few words.",
        "reported": "Thank you. Your ref is {ref}. We will answer by {when}. An SMS confirms it.",
        "reported_sms": "Your ref is {ref}. We sent you an SMS: reply to it describing "
        "the problem. We will answer by {when}.",
        "callback": "We will call you back by {when}. Ref {ref}. An SMS confirms it.",
        "no_tickets": "You have no tickets with us. Dial again and choose 2 to report a problem.",
        "tickets": "Your tickets:",
        "nothing_to_rate": "You have no closed ticket to rate.",
        "already_rated": "{ref} is already rated {score}/5. Thank you!",
        "rate": "Rate {ref} ({subject}):\n1 Very poor\n2 Poor\n3 Fair\n4 Good\n5 Excellent",
        "rated": "Thank you for rating {ref} {score}/5.",
        "bad_phone": "Sorry, we cannot read your phone number. Please call us instead.",
        "unreadable": "Sorry, we could not read that. Please dial again.",
        "ended": "This session has ended. Please dial again.",
        "busy": "Sorry, we are having trouble. Please try again in a few minutes.",
        "states": {
            Status.NEW: "Received",
            Status.OPEN: "In progress",
            Status.PENDING_CUSTOMER: "Waiting for you",
            Status.RESOLVED: "Solved",
            Status.CLOSED: "Closed",
        },
        "continued": "see {ref}",
        "reply": "please reply by SMS",
        "confirm": "reply 1 by SMS if fixed",
        "promised": "next step by {when}",
        "answer_by": "answer by {when}",
        "solve_by": "fix by {when}",
    },
    "sw": {
        "menu": "Huduma ya Fuatilia\n1 Maombi yangu\n2 Ripoti tatizo\n3 Nipigie simu\n"
        "4 Tathmini ombi la mwisho\n0 English",
        "invalid": "Chaguo si sahihi.",
        "categories": "Tatizo lako ni kuhusu:\n1 Matengenezo/baada ya mauzo\n2 Usafirishaji\n"
        "3 Malipo\n4 Jingine",
        "categories_labels": ("Matengenezo", "Usafirishaji", "Malipo", "Jingine"),
        "describe": "Andika maelezo mafupi ya tatizo.\nAu 0 kutuma kwa SMS.",
        "too_short": "Tafadhali andika maneno machache.",
        "reported": "Asante. Kumb. yako ni {ref}. Tutakujibu kabla ya {when}. "
        "Utapata SMS ya uthibitisho.",
        "reported_sms": "Kumb. yako ni {ref}. Tumekutumia SMS: ijibu ukieleza tatizo. "
        "Tutakujibu kabla ya {when}.",
        "callback": "Tutakupigia simu kabla ya {when}. Kumb. {ref}. Utapata SMS ya uthibitisho.",
        "no_tickets": "Huna ombi lolote kwetu. Piga tena uchague 2 kuripoti tatizo.",
        "tickets": "Maombi yako:",
        "nothing_to_rate": "Huna ombi lililofungwa la kutathmini.",
        "already_rated": "{ref} tayari imepewa alama {score}/5. Asante!",
        "rate": "Tathmini {ref} ({subject}):\n1 Mbaya sana\n2 Mbaya\n3 Wastani\n4 Nzuri\n"
        "5 Nzuri sana",
        "rated": "Asante kwa kutathmini {ref} {score}/5.",
        "bad_phone": "Samahani, hatuwezi kusoma nambari yako. Tafadhali tupigie simu.",
        "unreadable": "Samahani, hatukuelewa. Tafadhali piga tena.",
        "ended": "Kipindi hiki kimeisha. Tafadhali piga tena.",
        "busy": "Samahani, tuna hitilafu. Tafadhali jaribu tena baada ya dakika chache.",
        "states": {
            Status.NEW: "Imepokelewa",
            Status.OPEN: "Inashughulikiwa",
            Status.PENDING_CUSTOMER: "Tunakusubiri",
            Status.RESOLVED: "Imetatuliwa",
            Status.CLOSED: "Imefungwa",
        },
        "continued": "tazama {ref}",
        "reply": "tafadhali jibu kwa SMS",
        "confirm": "jibu 1 kwa SMS kama imetengenezwa",
        "promised": "hatua ijayo kabla ya {when}",
        "answer_by": "jibu kabla ya {when}",
        "solve_by": "suluhisho kabla ya {when}",
    },
}
# The caller we do not know yet sees both languages on the screens that can hold both.
BOTH = {
    "menu": "Karibu/Welcome Fuatilia\n1 Maombi/My tickets\n2 Ripoti tatizo/Report problem\n"
    "3 Nipigie/Call me back\n4 Tathmini/Rate us\n0 Kiswahili",
    "invalid": "Si sahihi/Invalid.",
    "bad_phone": "Samahani, nambari yako haisomeki. Sorry, we cannot read your number.",
    "unreadable": "Samahani, piga tena. Sorry, please dial again.",
    "ended": "Kipindi kimeisha, piga tena. Session ended, please dial again.",
    "busy": "Samahani, jaribu tena baadaye. Sorry, please try again later.",
}


def word(language: str | None, key: str, **values) -> str:
    """One screen or phrase; the bilingual text where there is one, else English."""
    if language is BILINGUAL and key in BOTH:
        return BOTH[key].format(**values)
    return WORDS[language or "en"][key].format(**values)


def invalid(language: str | None, screen: str) -> str:
    """The same screen again, under a short "invalid choice" line."""
    return f"{word(language, 'invalid')}\n{screen}"


def when(moment) -> str:
    """A time as the caller's clock shows it, short ("24/11 14:00")."""
    return hours.to_local(moment, current_app.config["TIMEZONE"]).strftime("%d/%m %H:%M")


def ticket_line(language: str | None, ticket) -> str:
    """One ticket on the status screen: reference, state in words, next step and when."""
    words = WORDS[language or "en"]
    step = next_step(language, ticket)
    state = words["states"][ticket.status]
    return f"{ticket.reference} {state}" + (f": {step}" if step else "")


def next_step(language: str | None, ticket) -> str:
    """What happens next and by when, as the status page says it (shorter)."""
    words = WORDS[language or "en"]
    if ticket.merged_into is not None:
        return words["continued"].format(ref=ticket.merged_into.reference)
    if ticket.status == Status.CLOSED:
        return ""
    if ticket.status == Status.PENDING_CUSTOMER:
        return words["reply"]
    if ticket.status == Status.RESOLVED:
        return words["confirm"] if ticket.category == Category.AFTER_SALE else ""
    now = hours.now()
    promised = [p.due_at for p in ticket.promises if p.status == PromiseStatus.OPEN]
    if promised and min(promised) > now:
        return words["promised"].format(when=when(min(promised)))
    if ticket.first_response_at is None and ticket.due_at and ticket.due_at > now:
        return words["answer_by"].format(when=when(ticket.due_at))
    if ticket.resolution_due_at and ticket.resolution_due_at > now:
        return words["solve_by"].format(when=when(ticket.resolution_due_at))
    return ""


def tickets(language: str | None, rows) -> str:
    """As many tickets as fit on one screen, latest first."""
    screen = word(language, "tickets")
    for ticket in rows:
        line = ticket_line(language, ticket)
        if len(screen) + 1 + len(line) > MAX_CHARS:
            break
        screen += "\n" + line
    return screen


def short(text: str, limit: int) -> str:
    """Text cut to `limit` characters, ASCII only (a subject may hold anything)."""
    text = " ".join((text or "").split())
    text = "".join(c for c in text if " " <= c <= "~")
    return text if len(text) <= limit else text[: limit - 2].rstrip() + ".."
