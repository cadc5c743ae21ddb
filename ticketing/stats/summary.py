"""Every figure of the dashboard as one JSON-ready dict, and the same figures as tables."""

from ticketing.stats import follow_through, rolled, sql, tickets
from ticketing.stats.agents import agents
from ticketing.stats.departments import backlog_by_department
from ticketing.stats.figures import AFTER_SALE_OUTCOMES
from ticketing.stats.scope import Scope
from ticketing.stats.tags import by_tag


def summary(scope: Scope) -> dict:
    """All report figures for the scope. Durations in minutes, percentages 0-100 or None."""
    sql.tune_for_reports()
    steps = follow_through.follow_ups(scope)
    promises = follow_through.promises(scope)
    silenced = tickets.silence(scope)
    times, volume = rolled.figures(scope, silenced)
    return {
        "scope": scope.as_json(),
        "first_response": times["first_response"].get(sql.TOTAL) or tickets.timing(None),
        "resolution": times["resolution"].get(sql.TOTAL) or tickets.timing(None),
        "charter": tickets.breaches(scope),
        "volume": volume,
        "backlog": tickets.backlog(scope),
        "follow_through": {
            "chases": follow_through.chases(steps),
            "steps": steps,
            "after_sale": follow_through.after_sale(scope),
            "promises": promises[sql.TOTAL],
        },
        "satisfaction": follow_through.satisfaction(scope, steps),
        "delivery": follow_through.delivery(scope),
        "agents": agents(scope, times, promises, silenced),
        "tags": by_tag(scope),
    }


def _times(data):
    columns = ["measure", "tickets", "in_time", "late", "in_time_percent"] + [
        f"{clock}_{stat}_minutes"
        for clock in ("business", "calendar")
        for stat in ("median", "p90", "mean")
    ]
    rows = [
        [kind, t["count"], t["in_time"], t["late"], t["in_time_percent"]]
        + [
            t[f"{clock}_minutes"][stat]
            for clock in ("business", "calendar")
            for stat in ("median", "p90", "mean")
        ]
        for kind, t in ((k, data[k]) for k in ("first_response", "resolution"))
    ]
    return columns, rows


def _daily(data):
    return ["day", "created", "resolved"], [
        [d["day"], d["created"], d["resolved"]] for d in data["volume"]["daily"]
    ]


def _backlog(data):
    return ["age", "new", "open", "pending_customer", "total"], [
        [b["label"], b["new"], b["open"], b["pending_customer"], b["total"]]
        for b in data["backlog"]["by_age"]
    ]


def _channels(data):
    volume, backlog = data["volume"]["channels"], data["backlog"]["by_channel"]
    return ["channel", "created", "resolved", "closed_for_silence", "open_now"], [
        [channel, v["created"], v["resolved"], v["closed_for_silence"], backlog[channel]]
        for channel, v in volume.items()
    ]


def _follow_ups(data):
    return ["step", "count"], sorted(data["follow_through"]["steps"].items())


def _after_sale(data):
    outcomes = data["follow_through"]["after_sale"]
    return ["outcome", "tickets"], [
        [label, outcomes[key]] for key, label in AFTER_SALE_OUTCOMES.items()
    ]


def _satisfaction(data):
    return ["score", "ratings"], [
        [int(score), n] for score, n in data["satisfaction"]["distribution"].items()
    ]


def _comments(data):
    return ["reference", "score", "comment", "at"], [
        [c["reference"], c["score"], c["comment"], c["at"]]
        for c in data["satisfaction"]["latest_comments"]
    ]


def _delivery(data):
    channels = data["delivery"]["channels"]
    states = ["waiting", "sent", "delivered", "failed", "suppressed"]
    return ["channel", *states], [[c, *(v[s] for s in states)] for c, v in channels.items()]


def _failures(data):
    return ["channel", "code", "count"], [
        [f["channel"], f["code"], f["count"]] for f in data["delivery"]["failures"]
    ]


def _agents(data):
    rows = data["agents"]
    columns = list(rows[0]) if rows else ["agent_id", "name"]
    return columns, [[row[c] for c in columns] for row in rows]


def _departments(data):
    return ["department", "open", "new", "pending_customer", "past_charter"], [
        [r.name, r.open, r.new or 0, r.pending or 0, r.breached or 0]
        for r in backlog_by_department()
    ]


def _tags(data):
    return ["tag", "opened", "resolved", "open_now"], [
        [row["tag"], row["opened"], row["resolved"], row["open"]] for row in data["tags"]
    ]


def _figures(data):
    """Every single number of the summary, one per row, named by its path."""
    rows = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif not isinstance(value, list):
            rows.append([prefix, value])

    walk("", {k: v for k, v in data.items() if k != "scope"})
    return ["figure", "value"], rows


TABLES = {
    "figures": _figures,
    "times": _times,
    "daily": _daily,
    "backlog": _backlog,
    "channels": _channels,
    "follow_ups": _follow_ups,
    "after_sale": _after_sale,
    "satisfaction": _satisfaction,
    "comments": _comments,
    "delivery": _delivery,
    "failures": _failures,
    "agents": _agents,
    "departments": _departments,
    "tags": _tags,
}


def table(data: dict, name: str) -> tuple[list[str], list[list]]:
    """(columns, rows) of one named table of a summary; KeyError for an unknown name."""
    return TABLES[name](data)
