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
# gather(): the sample a common word's GIN scan returns, in times the limit. A source that
# came back with 80% of it (more than the limit) was sampled, or had more than the limit.
FUZZY = 1.25


def places_with_words(words: tuple[str, ...], prefix: bool = True) -> list[tuple[Select, object]]:
    """tickets_with_words for gather(): (ids found, the ticket column they are) per place.
    `prefix=False` matches whole words only (PostgreSQL)."""
    return [
        (
            select(Ticket.id).where(
                _matches(Ticket.subject, "tickets_fts", Ticket.id, words, prefix)
            ),
            Ticket.id,
        ),
        (
            select(Customer.id).where(
                _matches(Customer.name, "customers_fts", Customer.id, words, prefix)
            ),
            Ticket.customer_id,
        ),
        (
            select(Message.ticket_id).where(
                _matches(Message.body, "messages_fts", Message.id, words, prefix)
            ),
            Ticket.id,
        ),
    ]


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
    query: Select, sources: list[tuple[Select, object]], limit: int, words: tuple[str, ...]
) -> tuple[set[int], bool]:
    """The ids of the tickets of `query` that each source finds, at most `limit` + 1 of each:
    one UNION ALL query. A source is a query of ids and the ticket column they are (Ticket.id,
    or Ticket.customer_id: a name finds 5,000 customers, who have 15,000 tickets). Returns the ids and whether the search is
    broad (a source found more than `limit`: the ids are only some of its matches).

    Each source is matched on its own first (a materialised CTE): given the LIMIT, the
    planner otherwise walked every ticket and message in id order to meet a rare word (3 s).
    On PostgreSQL a GIN scan of a common word reads its whole posting list (half a million
    messages say "haipoi" at a million tickets: 100 ms and more). For a one-word search
    gin_fuzzy_search_limit has the index hand back a sample of about FUZZY times `limit`
    instead: a word with fewer matches comes back whole, one with more is broad whatever the
    filters keep of the sample (its unfiltered matches are counted too). With several words
    each would be sampled on its own and their intersection lost: those scan in full."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    sampled = postgres and len(words) == 1
    ids = query.order_by(None).with_only_columns(Ticket.id, maintain_column_froms=True)
    parts = []
    for n, (source, ticket_column) in enumerate(sources):
        found = source.cte(f"found_{n}")
        if postgres:
            found = found.prefix_with("MATERIALIZED")
        kept = ids.where(ticket_column.in_(select(found.c[0]))).limit(limit + 1).subquery()
        parts.append(select(literal_column(str(n)).label("source"), kept.c.id))
        every = select(func.count()).select_from(found).scalar_subquery()
        parts.append(select(literal_column(str(-1 - n)).label("source"), every))
    if postgres:  # parallel workers cost more to start than these few index scans take
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    if sampled:
        db.session.execute(text(f"SET LOCAL gin_fuzzy_search_limit = {int(limit * FUZZY)}"))
    try:
        rows = db.session.execute(union_all(*parts)).all()
    finally:
        if postgres:
            db.session.execute(text("RESET max_parallel_workers_per_gather"))
            db.session.execute(text("RESET gin_fuzzy_search_limit"))
    kept_counts = [0] * len(sources)
    tickets = set()
    broad = False
    for source, value in rows:
        if source >= 0:
            kept_counts[source] += 1
            tickets.add(value)
        elif sampled and value > limit * FUZZY * 0.8:  # about the sample's size: a sample
            broad = True
    return tickets, broad or any(n > limit for n in kept_counts)


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


def _matches(text_column, fts_table: str, id_column, words: tuple[str, ...], prefix=True):
    if db.session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{word}:*" if prefix else word for word in words)
        return func.to_tsvector(_SIMPLE, text_column).op("@@")(func.to_tsquery(_SIMPLE, query))
    fts = table(fts_table, column("rowid"))
    query = " ".join(f'"{word}"*' for word in words)
    return id_column.in_(select(fts.c.rowid).where(literal_column(fts_table).op("MATCH")(query)))
