"""Ticket queries shared by the agent queue and the API: views, filters, urgency order."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, case, false, func, select, union

from ticketing import fulltext, hours, search_terms, stats, tags
from ticketing.extensions import db
from ticketing.models import Customer, Department, Promise, Ticket, TicketTag, User
from ticketing.models.enums import (
    OPEN_STATUSES,
    Category,
    Channel,
    Priority,
    PromiseStatus,
    Status,
)

VIEWS = {
    "mine": "My tickets",
    "departments": "My departments",
    "unassigned": "Unassigned",
    "overdue": "Overdue",
    "all": "All tickets",
}
PRIORITY_ORDER = case(
    {
        Priority.URGENT.value: 0,
        Priority.HIGH.value: 1,
        Priority.NORMAL.value: 2,
        Priority.LOW.value: 3,
    },
    value=Ticket.priority,
)

# a merged duplicate's phone or email (it may keep one) finds the tickets of the customer kept
WHOSE = func.coalesce(Customer.merged_into_id, Customer.id)


STATUS_ORDER = case({status.value: rank for rank, status in enumerate(Status)}, value=Ticket.status)
# The queue's sortable columns; anything else keeps the urgency order.
SORTS = {
    "ticket": Ticket.reference,
    "customer": func.coalesce(func.nullif(Customer.name, ""), Customer.email, Customer.phone),
    "status": STATUS_ORDER,
    "priority": PRIORITY_ORDER,
    "department": Department.name,
    "assignee": User.name,
    "due": Ticket.due_at,
}
DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class Page:
    """One page of the queue with a capped count: `total` is exact unless `more`, when it is
    the bound counted to (there are more). Counting every match of a broad search or a big view
    was most of its time at a million tickets: the queue counts to QUEUE_COUNT_CAP (further on
    a page past it, so the page the last ticket is on counts exactly) and says "More than".
    `ends`: a broad search lists only `total` (more match), and its pages end there."""

    items: list
    page: int
    per_page: int
    total: int
    more: bool
    ends: bool = False

    @property
    def more_pages(self) -> bool:
        """Whether pages past `pages` may list more: "Page 3 of more than 50"."""
        return self.more and not self.ends

    @property
    def pages(self) -> int:
        if self.more_pages:
            return self.total // self.per_page
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more_pages or self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def total_words(self) -> str:
        if self.more:
            return f"More than {self.total:,} tickets"
        return f"{self.total:,} ticket{'' if self.total == 1 else 's'}"

    @property
    def short_total(self) -> str:
        """For the window's title: "1,000+" or "12"."""
        return f"{self.total:,}+" if self.more else f"{self.total:,}"


def capped_count(query: Select, bound: int | None = None) -> tuple[int, bool]:
    """How many tickets the query finds, counted up to `bound` (QUEUE_COUNT_CAP); and whether
    there are more."""
    bound = bound or current_app.config["QUEUE_COUNT_CAP"]
    ids = query.order_by(None).with_only_columns(Ticket.id, maintain_column_froms=True)
    found = db.session.scalar(select(func.count()).select_from(ids.limit(bound + 1).subquery()))
    return min(found, bound), found > bound


def counted_to(page: int, per_page: int) -> int:
    """How far the queue counts for this page: the cap, or the end of the page when it lies
    further."""
    return max(current_app.config["QUEUE_COUNT_CAP"], max(page, 1) * per_page)


def paginate(query: Select, page: int, per_page: int, listed: int | None = None) -> Page:
    """A page of an ordered ticket query; counted up to QUEUE_COUNT_CAP, or to the end of this
    page when it lies further, so the last page, once reached, knows the exact total.
    `listed`: a broad search (Found.broad) lists the first `listed` of the query only, whose
    pages end there: a page past them would gather more and reorder the ones listed."""
    page = max(page, 1)
    start = (page - 1) * per_page
    size = per_page
    if listed is None:
        total, more = capped_count(query, counted_to(page, per_page))
    else:
        total, more, size = listed, True, max(0, min(per_page, listed - start))
    items = db.session.scalars(query.limit(size).offset(start)).all() if size else []
    return Page(items, page, per_page, total, more, ends=listed is not None)


def apply_view(query: Select, view: str, user, every_status: bool = False) -> Select:
    """Narrow to one queue view; `every_status` keeps its resolved and closed tickets too."""
    active = () if every_status else (Ticket.status.in_(OPEN_STATUSES),)
    if view == "mine":
        return query.where(Ticket.assignee_id == user.id, *active)
    if view == "unassigned":
        return query.where(Ticket.assignee_id.is_(None), *active)
    if view == "overdue":
        return query.where(Ticket.due_at < hours.now(), *active)
    return query


def apply_filters(
    query: Select,
    *,
    status=None,
    priority=None,
    channel=None,
    department_id=None,
    q=None,
    phone=None,
    email=None,
    updated_since: datetime | None = None,
    category=None,
    assignee_id=None,
    ticket_ids: Select | None = None,
    tag: str | None = None,
) -> Select:
    """Narrow a ticket query; every argument is optional and already validated."""
    if ticket_ids is not None:  # the tickets behind a report figure
        query = query.where(Ticket.id.in_(ticket_ids))
    if status == "active":
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(Ticket.status == status)
    for column, value in (
        (Ticket.priority, priority),
        (Ticket.channel, channel),
        (Ticket.department_id, department_id),
        (Ticket.category, category),
        (Ticket.assignee_id, assignee_id),
    ):
        if value:
            query = query.where(column == value)
    if updated_since:
        query = query.where(Ticket.updated_at >= updated_since)
    if tag:  # ix_ticket_tags_name
        query = query.where(Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.name == tag)))
    if phone or email:
        customers = select(WHOSE).where(
            Customer.phone == phone if phone else Customer.email == (email or "").lower()
        )
        query = query.where(Ticket.customer_id.in_(customers))
    if q:
        query = query.where(_text_match(_terms(q)))
    return query


@dataclass(frozen=True)
class Found:
    """What the queue's search box found: the newest QUEUE_COUNT_CAP + 1 tickets (highest id)
    that match in any place (reference, contact, subject, name, message; a name more customers
    have than the cap, of its newest customers: fulltext.gather). `broad` when more match: the
    ids are then only some, the same on every load, and the page says so."""

    ids: frozenset[int]
    broad: bool


def gather(query: Select, q: str) -> Found:
    """The newest tickets of `query` (its view and filters applied) that a search finds,
    gathered once up to a limit: the queue sorts, counts and pages these. Ordering
    and counting every match of a common word took seconds at a million tickets; a search that
    finds more than the cap is one to narrow, not to page through: every page of it lists
    the same newest QUEUE_COUNT_CAP + 1 (the queue shows the first QUEUE_COUNT_CAP of them in
    its order), so paging and reloading neither repeat nor skip a ticket."""
    terms = _terms(q)
    sources = _places(terms)
    if not sources:
        return Found(frozenset(), False)
    ids, broad = fulltext.gather(query, sources, current_app.config["QUEUE_COUNT_CAP"])
    return Found(frozenset(ids), broad)


def only_found(query: Select, found: Found) -> Select:
    return query.where(fulltext.among_ids(Ticket.id, found.ids) if found.ids else false())


def widen_for_lookup(filters: dict) -> bool:
    """A reference, phone or email names one ticket or customer, whatever its status: a search
    for one in the default "active" filter looks in every status (the page says so)."""
    if filters.get("status") != "active" or not filters.get("q"):
        return False
    if not _terms(filters["q"]).names_one:
        return False
    filters["status"] = ""
    return True


def ordered(query: Select, sort: str | None, direction: str | None, default=None) -> Select:
    """Sort by a column of the queue (empty ones last, either way), else by `default` (the
    queue's own order: call backs first, then urgency)."""
    if sort not in SORTS:
        return (default or callbacks_first)(query)
    if sort == "customer":
        query = query.join(Customer, Customer.id == Ticket.customer_id)
    elif sort == "department":
        query = query.join(Department, Department.id == Ticket.department_id)
    elif sort == "assignee":
        query = query.outerjoin(User, User.id == Ticket.assignee_id)
    key = SORTS[sort]
    return query.order_by(
        key.is_(None), key.desc() if direction == "desc" else key.asc(), Ticket.id
    )


def queue_filters(args) -> dict:
    """The queue's filters from query arguments. Unknown simple values fall back to "any";
    a report figure (?figure=...&period=...) raises stats.ScopeError when it is malformed."""
    status = args.get("status", "active")
    valid_status = status in ("active", "") or status in Status._value2member_map_

    def choice(name, enum):
        return args.get(name) if args.get(name) in enum._value2member_map_ else None

    return {
        "status": status if valid_status else "active",
        "priority": choice("priority", Priority),
        "channel": choice("channel", Channel),
        "category": choice("category", Category),
        "department_id": args.get("department", type=int),
        "assignee_id": args.get("assignee", type=int),
        "q": args.get("q") or None,
        "tag": tag_or_none(args.get("tag")),
        "ticket_ids": stats.tickets_behind(
            stats.Scope.from_args(args), args["figure"], args.get("part", "")
        )
        if args.get("figure")
        else None,
    }


def tag_or_none(value: str | None) -> str | None:
    """A tag filter as typed, normalised; None (any tag) when empty or not a tag name."""
    try:
        return tags.normalise(value) if value else None
    except tags.TagError:
        return None


def _terms(q: str) -> search_terms.Terms:
    return search_terms.parse(q, current_app.config["DEFAULT_PHONE_REGION"])


def _text_match(terms: search_terms.Terms):
    """Tickets by reference, by their customer's phone or email, or by words in the subject,
    the customer's name or any message. One union of indexed lookups, never a scan."""
    found = _match_sources(terms)
    if not found:
        return false()
    return fulltext.among(Ticket.id, found[0] if len(found) == 1 else union(*found))


def _places(terms: search_terms.Terms) -> list[tuple[Select, object]]:
    """_match_sources for gather(): (ids found, the ticket column they are) per place."""
    found = []
    if terms.reference:
        found.append((select(Ticket.id).where(Ticket.reference == terms.reference), Ticket.id))
    if terms.phone or terms.email:
        contact = Customer.phone == terms.phone if terms.phone else Customer.email == terms.email
        found.append((select(WHOSE).where(contact), Ticket.customer_id))
    if terms.words:
        found += fulltext.places_with_words(terms.words)
    return found


def _match_sources(terms: search_terms.Terms) -> list[Select]:
    """Queries of the ticket ids each term finds, one per place a ticket can match."""
    found = []
    if terms.reference:
        found.append(select(Ticket.id).where(Ticket.reference == terms.reference))
    if terms.phone or terms.email:
        contact = Customer.phone == terms.phone if terms.phone else Customer.email == terms.email
        found.append(select(Ticket.id).where(Ticket.customer_id.in_(select(WHOSE).where(contact))))
    if terms.words:
        found += fulltext.tickets_with_words(terms.words)
    return found


def urgency_order(query: Select) -> Select:
    """Breached and about-to-breach first (earliest deadline), then priority, then age (then id:
    tickets opened together keep one order, so paging neither repeats nor skips one)."""
    return query.order_by(
        Ticket.due_at.is_(None), Ticket.due_at, PRIORITY_ORDER, Ticket.created_at, Ticket.id
    )


def _owed_callbacks() -> Select:
    """Tickets with a call back their department owes: open promises are few, and
    ix_promises_status_due finds them."""
    return select(Promise.ticket_id).where(
        Promise.status == PromiseStatus.OPEN, Promise.agent_id.is_(None)
    )


def callbacks_first(query: Select) -> Select:
    """The queue's order: call backs owed first (a customer who could not reach us by phone
    is waiting for the call), then urgency."""
    owed_first = case((Ticket.id.in_(_owed_callbacks()), 0), else_=1)
    return urgency_order(query.order_by(owed_first))


def owed_callbacks(tickets) -> set[int]:
    """Which of these tickets are owed a call back (one query, for a page of the queue)."""
    ids = [ticket.id for ticket in tickets]
    if not ids:
        return set()
    return set(db.session.scalars(_owed_callbacks().where(Promise.ticket_id.in_(ids))))


def due_state(ticket: Ticket, now: datetime | None = None) -> str:
    """ "breached", "soon" (within 2 hours) or "ok", for badges in lists."""
    now = now or hours.now()
    if ticket.due_at is None:
        return "ok"
    if ticket.due_at < now:
        return "breached"
    return "soon" if ticket.due_at - now < timedelta(hours=2) else "ok"
