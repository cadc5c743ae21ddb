"""SQL that PostgreSQL and SQLite write differently: percentiles, durations, local days.

Percentiles follow PostgreSQL's percentile_cont: sort the n values, take the position
p * (n - 1) counted from 0, and interpolate linearly between the two values around it.
SQLite has no ordered-set aggregates, so there the same definition is written with
row_number() and count() windows; both give the same figure for the same rows.
"""

from datetime import timedelta

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Interval,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    text,
    tuple_,
    type_coerce,
)
from sqlalchemy import select as sql_select

from ticketing.extensions import db
from ticketing.models.times import PER_SECOND

PERCENTILES = {"median": 0.5, "p90": 0.9}
TOTAL = "total"  # distribution()'s key for all rows together


def dialect() -> str:
    return db.session.get_bind().dialect.name


def tune_for_reports() -> None:
    """Planner settings for the report's own queries (they last until the transaction ends).
    They take a period's rows and look their tickets up by key: PostgreSQL's default
    random_page_cost (4, priced for spinning disks) makes it scan whole tables instead, and
    1.1 is the usual value for SSDs and cached data. Their sorts (percentiles, per agent)
    spill to disk within the default 4 MB of work_mem."""
    if dialect() == "postgresql":
        db.session.execute(text("SET LOCAL random_page_cost = 1.1"))
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))


def joined_lists(column):
    """The JSON number lists of a group's rows as one comma-separated text (NULL for none):
    the rows are joined in the database, and the numbers parsed once (stats/rolled.py)."""
    if dialect() == "postgresql":
        items = func.nullif(func.btrim(cast(column, Text), "[]"), "")
        return func.string_agg(items, ",")
    items = func.nullif(func.trim(type_coerce(column, Text), "[]"), "")
    return func.group_concat(items, ",")


def seconds_between(start, end):
    """Whole seconds from `start` to `end`."""
    if dialect() == "postgresql":  # date_part is float8: cheaper than extract's numeric
        return cast(func.round(func.date_part("epoch", end - start)), Integer)
    micros = type_coerce(end, Integer) - type_coerce(start, Integer)  # ticketing/models/times.py
    return cast(func.round(micros / float(PER_SECOND)), Integer)


def micros_of_text(iso_text):
    """An ISO time held as text (in an event's data) in SQLite's stored form of a time."""
    return cast(func.round((func.julianday(iso_text) - 2440587.5) * 86400 * PER_SECOND), Integer)


def local_day(column, offset_minutes: int):
    """The local calendar day of a naive UTC timestamp, in a zone `offset_minutes` east."""
    if dialect() == "postgresql":
        return cast(column + literal(timedelta(minutes=offset_minutes), Interval), Date)
    seconds = type_coerce(column, Integer) / PER_SECOND
    return func.date(seconds, "unixepoch", f"{offset_minutes:+d} minutes")


def distribution(
    conditions: list,
    values: dict,
    *,
    group=None,
    flags: dict | None = None,
    with_total: bool = False,
    method: str | None = None,
) -> dict:
    """Per group: row count, how many rows match each flag, and median, p90 and mean of
    each value (the conditions must exclude unknown values). with_total adds the figures
    of all rows together under TOTAL. Groups without rows are absent."""
    flags = flags or {}
    method = method or ("ordered_set" if dialect() == "postgresql" else "window")
    if method == "ordered_set":
        queries = [(_ordered_set(conditions, values, group, flags, with_total), group)]
    else:
        queries = [(_window(conditions, values, group, flags), group)]
        if with_total and group is not None:
            queries.append((_window(conditions, values, None, flags), None))
    found = {}
    for query, grouped_by in queries:
        for row in db.session.execute(query):
            total = grouped_by is None or row._mapping.get("is_total")
            if row.n:
                found[TOTAL if total else row.g] = _unpack(row._mapping, values, flags)
    return found


def empty(values, flags=()) -> dict:
    """What distribution() says about a group without rows."""
    return {
        "count": 0,
        **{f: 0 for f in flags},
        **{v: {"median": None, "p90": None, "mean": None} for v in values},
    }


def _ordered_set(conditions, values, group, flags, with_total):
    columns = [_group_label(group), func.count().label("n")]
    columns += [
        func.sum(case((flag, 1), else_=0)).label(f"flag_{name}") for name, flag in flags.items()
    ]
    for name, value in values.items():
        for label, p in PERCENTILES.items():
            columns.append(
                func.percentile_cont(literal(p, Float)).within_group(value).label(f"{name}_{label}")
            )
        columns.append(func.avg(value).label(f"{name}_mean"))
    query = sql_select(*columns).where(*conditions)
    if group is None:
        return query
    if with_total:  # one pass for the groups and the whole
        return query.add_columns(func.grouping(group).label("is_total")).group_by(
            func.grouping_sets(tuple_(), tuple_(group))
        )
    return query.group_by(group)


def _window(conditions, values, group, flags):
    partition = {"partition_by": group} if group is not None else {}
    inner = [_group_label(group), func.count().over(**partition).label("n")]
    inner += [case((flag, 1), else_=0).label(f"flag_{name}") for name, flag in flags.items()]
    for name, value in values.items():
        inner += [
            value.label(f"v_{name}"),
            func.row_number().over(order_by=value, **partition).label(f"rn_{name}"),
        ]
    ranked = sql_select(*inner).where(*conditions).subquery()
    n = ranked.c.n
    columns = [ranked.c.g, n]
    columns += [func.sum(ranked.c[f"flag_{name}"]).label(f"flag_{name}") for name in flags]
    for name in values:
        value, rank = ranked.c[f"v_{name}"], ranked.c[f"rn_{name}"]
        for label, p in PERCENTILES.items():
            position = literal(p, Float) * (n - 1)
            below = _floor(position)
            low = func.max(case((rank == below + 1, value)))
            high = func.coalesce(func.max(case((rank == below + 2, value))), low)
            columns.append((low + (high - low) * (position - below)).label(f"{name}_{label}"))
        columns.append(func.avg(value).label(f"{name}_mean"))
    return sql_select(*columns).group_by(ranked.c.g, n)


def _group_label(group):
    return (group if group is not None else literal_column("0")).label("g")


def _floor(expression):
    if dialect() == "postgresql":
        return func.floor(expression)
    return cast(expression, Integer)  # positions are never negative: truncation is floor


def _unpack(row, values, flags) -> dict:
    result = {"count": int(row["n"])}
    result |= {name: int(row[f"flag_{name}"] or 0) for name in flags}
    for name in values:
        result[name] = {label: _float(row[f"{name}_{label}"]) for label in (*PERCENTILES, "mean")}
    return result


def _float(value) -> float | None:
    return None if value is None else float(value)
