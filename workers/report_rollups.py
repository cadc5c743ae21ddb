"""refresh_rollups(): rebuild the report days whose tickets changed, and build the days not
built yet (ticketing/stats/rollup.py). Safe to run twice: a day is rebuilt under a lock."""

from ticketing.stats import rollup


def refresh_rollups() -> int:
    """Bring the report rollups up to date; returns how many days were built."""
    return rollup.refresh()
