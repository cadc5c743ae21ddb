"""Which language a page speaks: the customer's pages in English or Kiswahili, staff pages in
English.

The choice, first match wins:
  1. the customer's own choice on the page (`?lang=sw`, kept in the session);
  2. on a ticket's status pages (`/t/<token>...`), the language of the ticket's customer;
  3. the browser's `Accept-Language`, best match among the languages we have;
  4. English.
"""

import re

from babel.dates import format_datetime
from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from ticketing import hours

LANGUAGES = ("en", "sw")
DEFAULT = "en"
NAMES = {"en": "English", "sw": "Kiswahili"}
SESSION_KEY = "lang"
# Staff pages, machine endpoints and the dev tools stay English whatever the session says.
ENGLISH_ONLY = ("/agent", "/admin", "/reports", "/auth", "/api/", "/webhooks/", "/dev/")


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if not has_request_context() or request.path.startswith(ENGLISH_ONLY):
        return DEFAULT
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    ticket_language = _ticket_language()
    if ticket_language in LANGUAGES:
        return ticket_language
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def current() -> str:
    """The language this request's page is rendered in ("en" or "sw")."""
    return str(get_locale() or DEFAULT)


def remember(ticket) -> None:
    """The status views found their ticket: the selector need not look it up again."""
    g.ticket_language = ticket.customer.language.value


def for_ticket(ticket) -> str:
    """The language the ticket's status page will speak: the customer's explicit choice in
    this session, else the ticket's customer's language."""
    chosen = session.get(SESSION_KEY)
    return chosen if chosen in LANGUAGES else ticket.customer.language.value


def speaking(language: str):
    """A block whose gettext calls answer in `language` (a flash for the next page)."""
    return force_locale(language if language in LANGUAGES else DEFAULT)


def _ticket_language() -> str | None:
    if "ticket_language" in g:
        return g.ticket_language
    token = (request.view_args or {}).get("token") if request.blueprint == "public" else None
    if not token or len(token) >= 80:
        return None
    from ticketing.extensions import db
    from ticketing.models import Customer, Ticket

    try:
        language = db.session.scalar(
            select(Customer.language)
            .join(Ticket, Ticket.customer_id == Customer.id)
            .where(Ticket.token == token)
        )
    except Exception:  # noqa: BLE001 - an error page must still render when the database fails
        db.session.rollback()
        language = None
    g.ticket_language = language.value if language is not None else None
    return g.ticket_language


def local_time(moment, pattern: str = "EEE d MMM y, HH:mm") -> str:
    """A naive-UTC time on the clock of the desk's time zone, in the page's language:
    "Tue 1 Dec 2026, 10:00" / "Jumanne 1 Des 2026, 10:00"."""
    if moment is None:
        return ""
    local = hours.to_local(moment, current_app.config["TIMEZONE"])
    return format_datetime(local, pattern, locale=current())


def short_time(moment) -> str:
    """A time soon enough to name by weekday ("Tue 10:00"), else with its date."""
    if moment is None:
        return ""
    days = (moment - hours.now()).total_seconds() / 86400
    return local_time(moment, "EEE HH:mm" if -1 < days < 6 else "EEE d MMM, HH:mm")


def month_words(moment) -> str:
    """A month already on local time, as "December 2026" / "Desemba 2026"."""
    return format_datetime(moment, "LLLL y", locale=current()) if moment else ""


# The charter's targets come in words from ticketing/stats (target_in_words), in English.
_TARGET = re.compile(
    r"^(?:(?P<days>\d+) working days?|(?P<hours>\d+) working hours?|(?P<minutes>\d+) working minutes"
    r"|(?P<h>\d+) h (?P<m>\d+) min of working time)$"
)


def target_words(words: str) -> str:
    """A charter target ("4 working hours") in the page's language; as given in English, or
    when the words are not one of the forms target_in_words writes."""
    found = _TARGET.match(words or "")
    if current() == DEFAULT or not found:
        return words
    if found["days"]:
        n = int(found["days"])
        return ngettext("%(num)d working day", "%(num)d working days", n)
    if found["hours"]:
        n = int(found["hours"])
        return ngettext("%(num)d working hour", "%(num)d working hours", n)
    if found["minutes"]:
        n = int(found["minutes"])
        return ngettext("%(num)d working minute", "%(num)d working minutes", n)
    return _(
        "%(hours)d h %(minutes)02d min of working time",
        hours=int(found["h"]),
        minutes=int(found["m"]),
    )


def _remember_choice() -> None:
    wanted = request.args.get(SESSION_KEY)
    if wanted in LANGUAGES and not request.path.startswith(ENGLISH_ONLY):
        session[SESSION_KEY] = wanted


def init_app(app) -> None:
    app.before_request(_remember_choice)
    app.jinja_env.globals.update(
        page_language=current,
        language_names=NAMES,
        local_time=local_time,
        short_time=short_time,
        month_words=month_words,
        target_words=target_words,
    )
