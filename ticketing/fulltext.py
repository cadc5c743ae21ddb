"""Full-text matching of message bodies, ticket subjects and customer names, indexed so that
it stays fast at a million tickets (migration 0010): on PostgreSQL GIN indexes on
to_tsvector('simple', column); on SQLite FTS5 tables that triggers keep in step with their
rows. The 'simple' configuration does not stem: customers write English, Swahili and Sheng.
Every word is matched as a prefix ("wanj" finds Wanjiku), and all words must match.

Words reach the engines only as letters and digits (ticketing.search_terms), so no FTS
operator ("NEAR", '"', "*", "-") a user types is ever parsed as one.
"""

from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    any_,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    type_coerce,
    union_all,
)

from ticketing.extensions import db
from ticketing.models import Customer, Message, Ticket

_SIMPLE = literal_column("'simple'::regconfig")  # a constant, so the planner uses the index
# gather(): a source of ticket ids first walks the newest WINDOW times the limit of tickets
WINDOW = 4
# ... and again further when it found 1/16 of the limit (a name 1/32: each ticket costs less)
_SPARSEST = {True: 16, False: 32}


def places_with_words(words: tuple[str, ...]) -> list[tuple[Select, object]]:
    """tickets_with_words for gather(): (ids found, the ticket column they are) per place.
    On PostgreSQL a subject or message also contains each word (ILIKE), tested first: a walk
    over the newest tickets (gather) otherwise parsed every one into a tsvector (4,000
    messages: 14 ms; 2 ms so). Any text with a word starting so contains it: the same matches."""
    return [
        (
            select(Ticket.id).where(
                *_contains(Ticket.subject, words),
                _matches(Ticket.subject, "tickets_fts", Ticket.id, words),
            ),
            Ticket.id,
        ),
        (
            select(Customer.id).where(_matches(Customer.name, "customers_fts", Customer.id, words)),
            Ticket.customer_id,
        ),
        (
            select(Message.ticket_id).where(
                *_contains(Message.body, words),
                _matches(Message.body, "messages_fts", Message.id, words),
            ),
            Ticket.id,
        ),
    ]


def _contains(text_column, words: tuple[str, ...]) -> list:
    """On PostgreSQL, `text_column` contains every word (words are letters and digits only,
    so none is a LIKE wildcard)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return []
    return [text_column.ilike(f"%{word}%") for word in words]


def tickets_with_words(words: tuple[str, ...]) -> list[Select]:
    """Queries of ticket ids whose subject, customer's name or any message has every word."""
    return [
        select(Ticket.id).where(_matches(Ticket.subject, "tickets_fts", Ticket.id, words)),
        select(Ticket.id).where(
            Ticket.customer_id.in_(
                select(Customer.id).where(
                    _matches(Customer.name, "customers_fts", Customer.id, words)
                )
            )
        ),
        select(Message.ticket_id).where(_matches(Message.body, "messages_fts", Message.id, words)),
    ]


def gather(
    query: Select, sources: list[tuple[Select, object]], limit: int
) -> tuple[list[int], bool]:
    """The newest `limit` + 1 tickets of `query` (highest id first) that the sources find, and
    whether there are more than `limit` (the search is broad: only some are kept). Each
    source's newest `limit` + 1, then the newest `limit` + 1 of those. A source is a query of
    ids and the ticket column they are (Ticket.id, or Ticket.customer_id: a name finds 5,000
    customers, who have 15,000 tickets). The same tickets come back on every load, so paging
    a broad search neither repeats nor skips one.

    A source of customers (a name, a phone) gives the newest `limit` + 1 tickets of its newest
    `limit` + 1 customers (highest customer id: _by_customers): finding the newest tickets of
    5,000 customers walked 130,000 tickets (40-100 ms at a million), their newest 1,001 have
    3,000 tickets, found by ix_tickets_customer (20-35 ms). When more than `limit` customers
    match and those have `limit` tickets of `query` or fewer (a narrow filter), the source
    gives the newest tickets of all its customers instead, as the others do.

    On PostgreSQL the planner, given ORDER BY id DESC LIMIT, walked a million tickets
    backwards to meet a rare word (10 s), or read a common word's whole posting list (half a
    million messages say "haipoi" at a million tickets). So each source first walks the
    newest WINDOW times `limit` tickets only (_walk): a common word finds its `limit` + 1
    there. One that found a sixteenth of that (a name a 32nd) walks again as far back as it
    then should need, twice over. A source still short is matched on its own first (a
    materialised CTE: the GIN scan of a rare word), and its matches ordered. Still slow: a
    common word within a narrow filter (a department's open tickets: about a second)."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    ids = query.order_by(None).with_only_columns(Ticket.id, maintain_column_froms=True)
    if postgres:
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # costs more
    try:
        found, rest = [], [place for place in sources if place[1] is Ticket.id]
        by_customer = [place for place in sources if place[1] is not Ticket.id]
        for place, (kept, capped) in zip(
            by_customer, _by_customers(ids, by_customer, limit, postgres), strict=True
        ):
            if len(kept) > limit or not capped:
                found.append(kept)
            else:  # its newest customers have too few of these tickets: those of them all
                rest.append(place)
        if not rest:
            return _newest(found, limit)
        if not postgres:
            return _newest(found + _run([_kept(ids, s, c, limit) for s, c in rest]), limit)
        return _newest(found + _walked(ids, rest, limit), limit)
    finally:
        if postgres:
            db.session.execute(text("RESET max_parallel_workers_per_gather"))


def _by_customers(ids, places, limit: int, postgres: bool) -> list[tuple[list[int], bool]]:
    """Each place's newest `limit` + 1 ids of `ids` among the tickets of its newest `limit` + 1
    customers, and whether more customers match (one UNION ALL query)."""
    parts = []
    for source, ticket_column in places:
        customers = source.order_by(source.selected_columns[0].desc()).limit(limit + 1).cte()
        if postgres:
            customers = customers.prefix_with("MATERIALIZED")
        kept = ids.where(ticket_column.in_(select(customers.c[0])))
        parts.append(select(kept.order_by(Ticket.id.desc()).limit(limit + 1).subquery().c.id))
        parts.append(select(func.count()).select_from(customers))
    found = _run(parts) if parts else []
    return [(found[n], found[n + 1][0] > limit) for n in range(0, len(found), 2)]


def _walked(ids: Select, sources, limit: int) -> list[list[int]]:
    """gather() on PostgreSQL: each source's newest `limit` + 1 ticket ids."""
    newest_id = db.session.scalar(select(func.max(Ticket.id))) or 0
    first = WINDOW * (limit + 1)
    found, short, windows = [], [], dict.fromkeys(sources, first)
    for again in (False, True):
        walks = [place for place in windows if newest_id - windows[place] > 0]
        short += [place for place in windows if place not in walks]
        windows_now, windows = windows, {}
        for place, kept in zip(
            walks, _walk(ids, walks, windows_now, newest_id, limit), strict=True
        ):
            if len(kept) > limit:
                found.append(kept)
            elif not again and len(kept) * _SPARSEST[place[1] is Ticket.id] > limit + 1:
                # again, as far back as it should need, twice over
                windows[place] = first * 2 * (limit + 1) // len(kept)
            else:
                short.append(place)
    if short:
        found += _run([_kept(ids, s, c, limit, materialised=True) for s, c in short])
    return found


def _walk(ids, places, windows, newest_id, limit) -> list[list[int]]:
    """The newest `limit` + 1 ids each place finds among the newest tickets (its window): a
    word tested on each ticket (bitmap scans off: no GIN scan of a common word), a name's
    customers hashed first (nested loops off: no look-up of a customer for each ticket)."""
    found = {}
    for by_name in (False, True):
        walks = [place for place in places if (place[1] is not Ticket.id) == by_name]
        if not walks:
            continue
        setting = "enable_nestloop" if by_name else "enable_bitmapscan"
        db.session.execute(text(f"SET LOCAL {setting} = off"))
        try:
            parts = [
                _kept(ids, s, c, limit, newest_id - windows[(s, c)], materialised=by_name)
                for s, c in walks
            ]
            found.update(zip(walks, _run(parts), strict=True))
        finally:
            db.session.execute(text(f"RESET {setting}"))
    return [found[place] for place in places]


def _kept(ids, source, ticket_column, limit, floor=None, materialised=False) -> Select:
    """The newest `limit` + 1 ids of `ids` that `source` finds, from after `floor` only."""
    if floor is not None:
        if ticket_column is Ticket.id:
            source = source.where(source.selected_columns[0] > floor)
        ids = ids.where(Ticket.id > floor)
    if materialised:
        found = source.cte().prefix_with("MATERIALIZED")
        source = select(found.c[0])
    kept = ids.where(ticket_column.in_(source)).order_by(Ticket.id.desc()).limit(limit + 1)
    return select(kept.subquery().c.id)


def _run(parts: list[Select]) -> list[list[int]]:
    """Each part's ids, in one UNION ALL query."""
    tagged = [
        select(literal_column(str(n)).label("part"), *part.subquery().c)
        for n, part in enumerate(parts)
    ]
    found = [[] for _ in parts]
    for n, ticket_id in db.session.execute(union_all(*tagged)):
        found[n].append(ticket_id)
    return found


def _newest(found, limit: int) -> tuple[list[int], bool]:
    """The newest `limit` + 1 of the ids found, and whether there were more than `limit`."""
    tickets = sorted({ticket_id for kept in found for ticket_id in kept}, reverse=True)
    return tickets[: limit + 1], len(tickets) > limit


def among_ids(id_column, ids):
    """`id_column` is one of these ids (a few thousand at most): one array on PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return id_column == any_(type_coerce(sorted(ids), ARRAY(Integer)))
    return id_column.in_(sorted(ids))


def among(id_column, ids: Select):
    """`id_column` is one of `ids`. On PostgreSQL as = ANY(ARRAY(...)): the planner guesses
    thousands of rows for a full-text match and, given IN (...), scanned every ticket; the
    array is one index lookup per id found (100 ms less at 100,000 tickets, more at a million)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return id_column == any_(func.array(ids.scalar_subquery()))
    return id_column.in_(ids)


def _matches(text_column, fts_table: str, id_column, words: tuple[str, ...]):
    if db.session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{word}:*" for word in words)
        return func.to_tsvector(_SIMPLE, text_column).op("@@")(func.to_tsquery(_SIMPLE, query))
    fts = table(fts_table, column("rowid"))
    query = " ".join(f'"{word}"*' for word in words)
    return id_column.in_(select(fts.c.rowid).where(literal_column(fts_table).op("MATCH")(query)))
