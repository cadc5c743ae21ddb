"""Tags in the supervisor's reports and exports, on the hand-built week of test_reports.py:
"fridge" is on T1, T2 and T8, "billing" on T0, T7 and T8; T5 (merged) counts nowhere."""

import re

from harness import WEEK
from sqlalchemy import select
from test_reports import Figures, api, csv_rows, queue_total

from ticketing import lifecycle
from ticketing.models import Ticket

TAGGED = {"fridge": ("T1", "T2", "T8"), "billing": ("T0", "T7", "T8", "T5")}
# T1 created Fri 16, confirmed fixed; T2 created Mon 19, resolved Wed 21; T8 created Wed 21, open.
# T0 created Thu 15 (before the week), resolved Fri 16; T7 created Tue 20, waiting.
EXPECTED = [
    {"tag": "fridge", "opened": 3, "resolved": 2, "open": 1},
    {"tag": "billing", "opened": 2, "resolved": 1, "open": 2},
]


def tag_the_week(db, week):
    for name, keys in TAGGED.items():
        for key in keys:
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == week.refs[key]))
            lifecycle.tag(ticket, add=[name], by=None)
    db.session.commit()


def test_the_summary_breaks_the_week_down_by_tag(client, db, week):
    tag_the_week(db, week)
    data = api(client, week.grace, "/api/v1/reports/summary", **WEEK).get_json()
    assert data["tags"] == EXPECTED


def test_the_dashboard_shows_each_tags_counts_and_each_opens_exactly_those(client, login, db, week):
    tag_the_week(db, week)
    login(client, week.grace)
    found = Figures(client.get("/reports/", query_string=WEEK).text).found
    for row in EXPECTED:
        for field in ("opened", "resolved", "open"):
            figure = found[f"tags.{row['tag']}.{field}"]
            assert figure["value"] == str(row[field])
            assert queue_total(client, figure["href"]) == row[field], (row["tag"], field)
    table = csv_rows(client.get("/reports/export/tags.csv", query_string=WEEK))
    assert table == [
        ["tag", "opened", "resolved", "open_now"],
        ["fridge", "3", "2", "1"],
        ["billing", "2", "1", "2"],
    ]


def test_the_tickets_csv_carries_each_tickets_tags(client, login, db, week):
    tag_the_week(db, week)
    login(client, week.grace)
    rows = csv_rows(
        client.get("/reports/tickets.csv", query_string=WEEK | {"figure": "created", "status": ""})
    )
    tags_of = {row[0]: row[rows[0].index("tags")] for row in rows[1:]}
    assert rows[0][-1] == "tags"
    assert tags_of[week.refs["T8"]] == "billing fridge"
    assert tags_of[week.refs["T1"]] == "fridge" and tags_of[week.refs["T9"]] == ""
    assert all(re.fullmatch(r"[a-z ]*", value) for value in tags_of.values())
