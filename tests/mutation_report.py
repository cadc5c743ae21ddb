"""The score of `make mutate`, per mutated module, after `mutmut run`.

Run from the repository root: `.venv/bin/python tests/mutation_report.py`. A surviving mutant
listed in EQUIVALENT was judged to behave exactly like the original; any other survivor is
shown with its diff and makes the exit status 1: kill it with a test, or list it here with
its reason. Mutant names are numbered per function, so an edit to ticketing/followup.py,
ticketing/hours.py, ticketing/charter.py, ticketing/loop_guard.py or ticketing/updates.py may
renumber them: check this list then.
ticketing/charter.py has no equivalent mutant: tests/test_charter_policy.py kills all of them
but x_retarget__mutmut_11 (a retarget without a resolution clock), which
tests/test_notify_rules.py kills for now. Its event listeners (_forget_calendars,
_forget_changed_holidays) are decorated, so mutmut leaves them unmutated; those tests still
check what they do.
ticketing/loop_guard.py and ticketing/updates.py (the notify rules) are killed by
tests/test_notify_rules.py; their equivalents follow the ones of hours.py below.
ticketing/stats/figures.py (what each report number counts) is killed by
tests/test_figure_rules.py; it is scored as "stats.figures". FIGURES is built at import, so
those tests also build its builders again at test time (mutmut switches mutants per call).
ticketing/stats/tags.py (the report's "By tag" table) is killed by tests/test_tag_figure_rules.py
and ticketing/targets.py (charter targets in minutes, hours or days) by
tests/test_target_units.py; neither has an equivalent mutant.
"""

import subprocess
import sys
from collections import Counter
from pathlib import Path

MUTMUT = Path(sys.executable).parent / "mutmut"
KILLED = {"killed", "timeout", "caught by type check"}

EQUIVALENT = {
    "ticketing.followup.x_parse_policy__mutmut_5": 'a missing number read as "XXXX" '
    'instead of "" is refused by the same isdigit() check',
    "ticketing.followup.x_parse_policy__mutmut_21": 'missing reminder days read as "XXXX" '
    'instead of "" are refused by the same isdigit() check',
    "ticketing.followup.x_parse_policy__mutmut_49": "raw.get(name, None): parse_hhmm turns "
    'None into "" itself',
    "ticketing.followup.x_parse_policy__mutmut_51": "raw.get(name): parse_hhmm turns None "
    'into "" itself',
    "ticketing.followup.x_parse_policy__mutmut_52": 'a missing time read as "XXXX" instead '
    'of "" is the same ValueError, caught the same way',
    "ticketing.hours.x_parse_utc__mutmut_7": 'replace("XXZXX", ...): since Python 3.11 '
    'datetime.fromisoformat reads a trailing "Z" itself (requires-python >= 3.11)',
    "ticketing.hours.x_parse_hhmm__mutmut_4": '(value or "XXXX"): "XXXX" fails to unpack '
    'into hour and minute, the same ValueError as ""',
    "ticketing.hours.xǁCalendarǁminutes_between__mutmut_1": "end < start: when end == start "
    "the first window opens at or after end, the loop breaks at once and returns 0",
    "ticketing.hours.xǁCalendarǁminutes_between__mutmut_14": "window_open > end_local: a "
    "window opening exactly at the end adds min(close, end) - open = 0",
    "ticketing.hours.xǁCalendarǁminutes_between__mutmut_24": "int(seconds / 60) == "
    "int(seconds // 60) for the non-negative totals a valid week (opens < closes) gives",
    "ticketing.hours.xǁCalendarǁnext_working_morning__mutmut_10": "range(400) is range(0, 400)",
    "ticketing.hours.x_is_quiet__mutmut_3": "quiet_start >= quiet_end: equal times already "
    "returned False on the line before",
    "ticketing.loop_guard.x_guard__mutmut_25": "counted: case(..., else_=None): SUM skips "
    "NULLs, so it only differs when no row counts (NULL instead of 0), and `counted or 0` "
    "reads both as 0",
    "ticketing.loop_guard.x_guard__mutmut_27": "counted: case() without else_ is else NULL: "
    "the same as else_=None (see mutmut_25)",
    "ticketing.loop_guard.x_guard__mutmut_33": "repeats: case(..., else_=None): SUM skips "
    "NULLs, so it only differs when no row is a copy (NULL instead of 0), and `repeats or 0` "
    "reads both as 0",
    "ticketing.loop_guard.x_guard__mutmut_35": "repeats: case() without else_ is else NULL: "
    "the same as else_=None (see mutmut_33)",
    "ticketing.updates.x_refresh_held_update__mutmut_52": "synchronize_session=None: "
    "SQLAlchemy (2.1, orm/bulk_persistence.py) skips the strategy check for None and then "
    "matches none of auto/evaluate/fetch, so it synchronizes nothing, as False does (and the "
    "next line expires the row anyway)",
    "ticketing.updates.x_last_heard__mutmut_3": "limit(None): session.scalar() returns the "
    "first row of the same ordered result, whatever the limit",
    "ticketing.updates.x_last_heard__mutmut_23": "limit(2): session.scalar() returns the first "
    "row of the same ordered result, whatever the limit",
    "ticketing.updates.x__close_reason__mutmut_3": "limit(None): session.scalar() returns the "
    "first row of the same ordered result, whatever the limit",
    "ticketing.updates.x__close_reason__mutmut_14": "limit(2): session.scalar() returns the "
    "first row of the same ordered result, whatever the limit",
    "ticketing.stats.figures.x_closing_outcome__mutmut_3": "limit(None) on the scalar "
    "subquery: SQLite (the tests' database) takes its first row, the same last status event; "
    "PostgreSQL would refuse a subquery of more than one row, which SQLite cannot show",
    "ticketing.stats.figures.x_closing_outcome__mutmut_16": "limit(2) on the scalar subquery: "
    "the same first row on SQLite (see x_closing_outcome__mutmut_3)",
    "ticketing.stats.figures.x__with__mutmut_3": "base(scope, None): the only base in FIGURES "
    "is _period, whose builder ignores part",
}


def main() -> int:
    listing = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    totals, killed, equivalent, survivors = Counter(), Counter(), Counter(), []
    for line in listing.splitlines():
        name, _, status = line.strip().partition(": ")
        if not name.startswith("ticketing."):
            continue
        module = name.partition(".x")[0].removeprefix("ticketing.")
        totals[module] += 1
        if status in KILLED:
            killed[module] += 1
        elif status == "survived" and name in EQUIVALENT:
            equivalent[module] += 1
            print(f"equivalent  {name}: {EQUIVALENT[name]}")
        else:
            survivors.append((name, status))
    for name, status in survivors:
        diff = subprocess.run([str(MUTMUT), "show", name], capture_output=True, text=True).stdout
        print(f"\n{status.upper()}  {name}\n{diff}")
    for module in sorted(totals):
        real = totals[module] - equivalent[module]
        print(
            f"score {module}: {killed[module]}/{totals[module]} mutants killed "
            f"({100 * killed[module] / totals[module]:.1f} %), {equivalent[module]} equivalent, "
            f"{killed[module]}/{real} of the non-equivalent ones "
            f"({100 * killed[module] / max(real, 1):.1f} %)"
        )
    if survivors:
        print(f"{len(survivors)} mutant(s) not killed and not known to be equivalent: see above")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
