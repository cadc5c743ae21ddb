"""bench/results.md is written whole from every row measured so far: a partial run replaces
the rows of what it ran and keeps the others, each with the run that measured it."""

from bench.__main__ import merged, report, wanted


def rows(module: str, kind: str, stamp: str, *values) -> list[dict]:
    return [
        {
            "bench": module,
            "database": kind,
            "size": 10,
            "metric": f"m{i}",
            "value": value,
            "unit": "",
            "target": "",
            "measured": stamp,
            "module": module,
            "kind": kind,
            "run_size": 10,
        }
        for i, value in enumerate(values)
    ]


def run(command: str) -> dict:
    return {"command": command, "facts": [f"facts of {command}"]}


def test_a_partial_run_replaces_its_rows_and_keeps_the_others():
    first = merged(
        {},
        rows("web", "sqlite", "T1", 1, 2) + rows("search", "sqlite", "T1", 3),
        {("web", "sqlite", 10), ("search", "sqlite", 10)},
        "T1",
        run("python -m bench"),
    )
    second = merged(
        first,
        rows("web", "sqlite", "T2", 5),
        {("web", "sqlite", 10)},
        "T2",
        run("python -m bench --only web"),
    )

    assert [(r["module"], r["value"], r["measured"]) for r in second["rows"]] == [
        ("search", 3, "T1"),
        ("web", 5, "T2"),
    ]
    text = report(second)
    assert "Run T1: `python -m bench`" in text and "facts of python -m bench --only web" in text


def test_a_run_no_row_comes_from_any_more_is_dropped():
    first = merged({}, rows("web", "sqlite", "T1", 1), {("web", "sqlite", 10)}, "T1", run("a"))
    second = merged(first, rows("web", "sqlite", "T2", 2), {("web", "sqlite", 10)}, "T2", run("b"))

    assert list(second["runs"]) == ["T2"]


def test_once_and_full_benchmarks_run_where_they_say():
    soak = type("soak", (), {"RUN": "once", "DATABASES": ("postgresql",)})
    netns = type("netns", (), {"RUN": "full", "DATABASES": ("postgresql",)})
    every = type("every", (), {})

    assert not wanted(soak, "sqlite", False, set())
    assert wanted(soak, "postgresql", False, set())
    assert not wanted(soak, "postgresql", True, {soak})
    assert not wanted(netns, "postgresql", False, set())
    assert wanted(netns, "postgresql", True, {soak})
    assert wanted(every, "sqlite", False, {every})
