"""The only writer of Customer rows: finding or creating a customer, their details, and their
SMS consent. Nothing here commits: the view or job that calls it does."""

import re

from sqlalchemy import Select, and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from ticketing import audit, events, fresh
from ticketing.channels import Inbound
from ticketing.contacts import InvalidContact, normalise_email, normalise_phone
from ticketing.extensions import db
from ticketing.models import Call, Customer, Event, OptOut, Outbox, Ticket, User, UssdSession
from ticketing.models.enums import PHONE_CHANNELS, AuditAction, Channel, Language

SWAHILI_HINTS = {
    "habari",
    "tafadhali",
    "yangu",
    "haipoi",
    "asante",
    "shida",
    "sijapata",
    "nimelipa",
    "tatizo",
    "bado",
    "jana",
    "leo",
    "kwa",
    "ya",
    "na",
    "ni",
}
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def find(*, email: str | None = None, phone: str | None = None) -> Customer | None:
    """The customer with this email, else the one with this phone; None for a stranger.

    On PostgreSQL the row stays locked (FOR UPDATE) until the caller commits: one customer's
    messages are filed one at a time, so a burst threads into one ticket instead of opening
    several. SQLite orders writers only from their first write: there a known customer's
    simultaneous texts with no ticket open may open two tickets (both acknowledged)."""
    for column, value in ((Customer.email, email), (Customer.phone, phone)):
        if value and (customer := _locked(column == value)) is not None:
            return current(customer)
    return None


def current(customer: Customer) -> Customer:
    """The customer a merged duplicate became (a contact it kept files there), else itself.
    One step is enough: merge() points older duplicates at the customer kept as well."""
    if customer.merged_into_id is None:
        return customer
    return _locked(Customer.id == customer.merged_into_id)


def _locked(condition) -> Customer | None:
    query = select(Customer).where(condition).with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def find_or_create(
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str = "",
    language: Language = Language.EN,
    preferred_channel: Channel | None = None,
) -> Customer:
    """The customer with this email, else this phone, created with these details when neither
    is known; a contact they lack is added when nobody else has it.

    Safe when several transactions meet the same new sender at once: the insert yields to the
    unique key (ON CONFLICT DO NOTHING) and everyone gets the one row, locked as find() says."""
    if not (email or phone):
        raise ValueError("a customer needs an email or a phone")
    customer = find(email=email, phone=phone)
    if customer is None:
        field, value = ("email", email) if email else ("phone", phone)
        insert = (
            INSERTS[db.engine.dialect.name](Customer)
            .values(
                {
                    field: value,
                    "name": name[:120],
                    "language": language,
                    "preferred_channel": preferred_channel,
                }
            )
            .on_conflict_do_nothing(index_elements=[field])
            .returning(Customer)
        )
        customer = db.session.scalar(insert)
        if customer is not None:  # ours, this instant: no opt-out can exist yet to look up
            set_committed_value(customer, "opt_outs", [])
            fresh.mark(customer)
        else:  # someone else's insert won: theirs is the one row
            customer = find(**{field: value})
    _add_contact_if_free(customer, "email", email)
    _add_contact_if_free(customer, "phone", phone)
    return customer


def for_inbound(inbound: Inbound) -> Customer:
    """The sender of an email or SMS, a new customer on their first message."""
    return find_or_create(
        **contact(inbound),
        name=inbound.sender_name,
        language=guess_language(inbound.text),
        preferred_channel=inbound.channel,
    )


def contact(inbound: Inbound) -> dict[str, str]:
    """The sender's address as find()'s keyword: their phone for SMS, else their email."""
    return {"phone" if inbound.channel in PHONE_CHANNELS else "email": inbound.sender}


def from_form(*, name: str, email: str | None, phone: str | None, language: Language) -> Customer:
    """The web form's customer (known by email, else phone, else new) with the name and
    language they just gave; email is their channel when they gave one."""
    email = (email or "").strip().lower() or None
    channel = Channel.EMAIL if email else Channel.SMS
    customer = find_or_create(
        email=email,
        phone=phone or None,
        name=name.strip(),
        language=language,
        preferred_channel=channel,
    )
    customer.name, customer.language = name.strip(), language
    customer.preferred_channel = channel
    db.session.flush()
    return customer


def for_desk(*, name: str, phone: str | None, email: str | None, language: Language) -> Customer:
    """The customer an agent logs a call or a visit for: the one with this email or phone
    when there is one (given the name if we had none), else a new customer, even with
    neither contact: a walk-in who leaves none is still heard, and told the reference."""
    name = name.strip()[:120]
    if phone or email:
        customer = find_or_create(
            email=email,
            phone=phone,
            name=name,
            language=language,
            preferred_channel=Channel.SMS if phone else Channel.EMAIL,
        )
        customer.name = customer.name or name
    else:
        customer = Customer(name=name, language=language)
        db.session.add(customer)
    db.session.flush()
    return customer


PHONE_LIKE = re.compile(r"^[+\d][\d\s().-]{5,}$")


def look_up(text: str, *, region: str, among: Select | None = None) -> dict:
    """What staff typed to find a customer: an email or phone (normalised, with its customer
    or None), else a name with up to 10 customers named like it (from `among` when given),
    or why the phone or email cannot be one."""
    text = text.strip()[:254]
    if not text:
        return {"q": ""}
    try:
        if "@" in text:
            email = normalise_email(text)
            return {"q": text, "email": email, "customer": find(email=email)}
        if PHONE_LIKE.match(text):
            phone = normalise_phone(text, region)
            return {"q": text, "phone": phone, "customer": find(phone=phone)}
    except InvalidContact as error:
        return {"q": text, "lookup_error": str(error)}
    return {"q": text, "matches": named(text, among=among)}


def named(text: str, *, limit: int = 10, among: Select | None = None) -> list[Customer]:
    """Customers whose name holds `text`, in any case: the desk's look-up by name. Merged
    duplicates are left out: their customer is the one to find."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        (among if among is not None else select(Customer))
        .where(Customer.name.ilike(f"%{escaped}%", escape="\\"), Customer.merged_into_id.is_(None))
        .order_by(Customer.name, Customer.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def guess_language(text: str) -> Language:
    """Swahili when the text has two of its common words: the language we first answer in."""
    words = set(re.findall(r"[a-z]+", (text or "").lower()))
    return Language.SW if len(words & SWAHILI_HINTS) >= 2 else Language.EN


def set_language(customer: Customer, language: Language, *, source: str) -> None:
    """The customer chose a language (the USSD menu's "0" before they acted): we answer in
    it from now on; an event says where they chose it."""
    if customer.language == language:
        return
    customer.language = language
    events.record_for_customer(customer, "language_changed", to=language.value, source=source)


EVERY_LINE = "*"  # an opt-out kept from before lines existed: silent on all of them


def set_sms_opt_out(customer: Customer, opted_out: bool, *, line: str, source: str) -> None:
    """STOP or START to one of our lines (or a provider's opt-out for it): only that line
    falls silent or speaks again, and agents see an event. START also ends an old STOP kept
    for every line, since that STOP was said to the one line there was."""
    current = {row.line: row for row in customer.opt_outs}
    if opted_out:
        if line in current or EVERY_LINE in current:
            return
        customer.opt_outs.append(OptOut(line=line, source=source[:80]))
    else:
        gone = [current[name] for name in (line, EVERY_LINE) if name in current]
        if not gone:
            return
        for row in gone:
            customer.opt_outs.remove(row)
    db.session.flush()
    events.record_for_customer(
        customer, "sms_opt_out" if opted_out else "sms_opt_in", source=source, line=line
    )


def opt_out_for(customer: Customer, line: str | None) -> OptOut | None:
    """The customer's STOP that silences `line` (said to it, or to every line), if any."""
    return next((row for row in customer.opt_outs if row.line in (line, EVERY_LINE)), None)


def is_opted_out(customer: Customer, line: str | None) -> bool:
    return opt_out_for(customer, line) is not None


def _add_contact_if_free(customer: Customer, field: str, value: str | None) -> None:
    """Give the customer a phone or email they lack, unless another customer already has it.

    One conditional UPDATE, atomic under SQLite's single writer; on PostgreSQL a concurrent
    claim of the same contact can still win, so there it runs in a savepoint and yields."""
    if not value or getattr(customer, field) is not None:
        return
    column, other = getattr(Customer, field), aliased(Customer)
    claim = (
        update(Customer)
        .where(
            Customer.id == customer.id,
            column.is_(None),
            ~exists().where(getattr(other, field) == value),
        )
        .values({field: value})
        .execution_options(synchronize_session=False)
    )
    try:
        if db.engine.dialect.name == "postgresql":
            with db.session.begin_nested():
                db.session.execute(claim)
        else:
            db.session.execute(claim)
    except IntegrityError:
        return  # someone else took it meanwhile: it stays theirs
    db.session.refresh(customer, [field])


def recent_events(customer: Customer, limit: int = 5) -> list[Event]:
    """What happened to the person rather than to one ticket (SMS consent), newest first."""
    return db.session.scalars(
        select(Event)
        .where(Event.customer_id == customer.id, Event.ticket_id.is_(None))
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()


# -- staff editing and merging a customer (the profile page, ticketing/views/agent_customers.py)

CONTACT_LABELS = {"phone": "phone number", "email": "email address"}


class ContactTaken(ValueError):
    """The phone or email belongs to another customer: `holder`, the one to merge with."""

    def __init__(self, field: str, holder: Customer):
        self.field, self.holder = field, holder
        super().__init__(f"That {CONTACT_LABELS[field]} belongs to {holder.display_name}.")


class MergeRefused(ValueError):
    """A merge that cannot be: `code` says why (self, tombstone, merged_elsewhere)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def update_details(customer: Customer, *, by: User, **values) -> dict[str, list[str]]:
    """Give the customer the name, language, preferred channel, phone and email staff typed
    (already validated); returns what changed, as audited. A contact another customer has
    raises ContactTaken and changes nothing; one a duplicate merged into this customer kept
    moves here."""
    changes = {field: value for field, value in values.items() if getattr(customer, field) != value}
    for field in ("phone", "email"):
        if changes.get(field):
            _take_contact(customer, field, changes[field])
    detail = {
        field: [_text(getattr(customer, field)), _text(new)] for field, new in changes.items()
    }
    try:
        with db.session.begin_nested():
            for field, value in changes.items():
                setattr(customer, field, value)
    except IntegrityError:  # claimed by someone else since the check
        field = next(field for field in ("phone", "email") if field in changes)
        raise ContactTaken(field, find(**{field: changes[field]}) or customer) from None
    if detail:
        audit.record(
            AuditAction.CUSTOMER_CHANGED, actor=by, target=f"customer:{customer.id}", detail=detail
        )
    return detail


def _take_contact(customer: Customer, field: str, value: str) -> None:
    column = getattr(Customer, field)
    holder = db.session.scalar(select(Customer).where(column == value, Customer.id != customer.id))
    if holder is None:
        return
    if holder.merged_into_id != customer.id:
        raise ContactTaken(field, current(holder))
    setattr(holder, field, None)  # our own duplicate's: it becomes the customer's own
    db.session.flush()


def _text(value) -> str:
    return "" if value is None else str(value)


MOVED = (Ticket, Call, UssdSession, Outbox, Event)  # rows that say whose they are


def _whose(model, customer_id: int):
    """The rows of `model` that name the customer; a ticket's events go with their ticket."""
    if model is Event:
        return and_(Event.customer_id == customer_id, Event.ticket_id.is_(None))
    return model.customer_id == customer_id


def merge(kept: Customer, duplicate: Customer, *, by: User) -> bool:
    """Fold `duplicate` into `kept`: its tickets (with their messages, promises and answers),
    calls, USSD sessions, messages owed and events become kept's, its STOPs too (one per
    line: the older stays), and kept's empty name, contacts and channel are filled from it.
    The duplicate stays as a tombstone pointing at kept. False when that was done already
    (a double post); MergeRefused when it cannot be."""
    if kept.id == duplicate.id:
        raise MergeRefused("self", "A customer cannot be merged into themselves.")
    for customer_id in sorted((kept.id, duplicate.id)):  # one lock order: no deadlock
        _locked(Customer.id == customer_id)  # and both rows read afresh
    if duplicate.merged_into_id == kept.id:
        return False
    if kept.merged_into_id is not None:
        raise MergeRefused("tombstone", f"{kept.display_name} was merged into another customer.")
    if duplicate.merged_into_id is not None:
        raise MergeRefused(
            "merged_elsewhere", f"{duplicate.display_name} was merged into another customer."
        )
    moved = merge_preview(duplicate)
    filled = _fill_from(kept, duplicate)
    _merge_opt_outs(kept, duplicate)
    for model in MOVED:
        moving = update(model).where(_whose(model, duplicate.id))
        db.session.execute(moving.values(customer_id=kept.id))
    db.session.execute(
        update(Customer)
        .where(Customer.merged_into_id == duplicate.id)
        .values(merged_into_id=kept.id)
    )
    duplicate.merged_into_id = kept.id
    db.session.flush()
    db.session.expire(kept, ["tickets"])
    db.session.expire(duplicate, ["tickets"])
    events.record_for_customer(kept, "customer_merged", duplicate=duplicate.id, by=by.name)
    audit.record(
        AuditAction.CUSTOMER_MERGED,
        actor=by,
        target=f"customer:{kept.id}",
        detail={"duplicate": duplicate.id, "moved": moved, "filled": filled},
    )
    return True


def merge_preview(duplicate: Customer) -> dict[str, int]:
    """How many of each kind of row a merge of `duplicate` moves, for the confirmation page."""
    counts = {
        model.__tablename__: db.session.scalar(
            select(func.count()).select_from(model).where(_whose(model, duplicate.id))
        )
        for model in MOVED
    }
    return counts | {"opt_outs": len(duplicate.opt_outs)}


def _fill_from(kept: Customer, duplicate: Customer) -> list[str]:
    """Kept's empty fields take the duplicate's values; a contact moves (unique: one holder)."""
    filled = []
    for field in ("name", "email", "phone", "preferred_channel"):
        value = getattr(duplicate, field)
        if value and not getattr(kept, field):
            if field in CONTACT_LABELS:
                setattr(duplicate, field, None)
                db.session.flush()
            setattr(kept, field, value)
            filled.append(field)
    db.session.flush()
    return filled


def _merge_opt_outs(kept: Customer, duplicate: Customer) -> None:
    """Every STOP either said survives: a line silent for one is silent for the merged
    customer. When both stopped the same line, the older STOP (and its source) stays."""
    theirs = {row.line: row for row in kept.opt_outs}
    for row in list(duplicate.opt_outs):
        duplicate.opt_outs.remove(row)
        same_line = theirs.get(row.line)
        if same_line is not None and same_line.created_at <= row.created_at:
            continue  # the row is deleted as an orphan
        if same_line is not None:
            kept.opt_outs.remove(same_line)
            db.session.flush()
        kept.opt_outs.append(OptOut(line=row.line, source=row.source, created_at=row.created_at))
    db.session.flush()
