"""Run the benchmarks, print their table and write bench/results.md with the machine's facts.

    python -m bench [--only NAME ...] [--database sqlite|postgresql|URL] [--size N] [--full]
                    [--reuse]

Each module here with a `run(database_url, size) -> list[dict]` is a benchmark; its rows carry
bench, database, size, metric, value, unit, target and, for rates over HTTP, `ratio`: the rate
over that of the bare endpoint (/healthz) on the same server in the same run. A module may say
`RUN = "once"` (the first run on a database of its `DATABASES`, not again at another size) or
`RUN = "full"` (only with `--full`, make bench FULL=1, which adds the million-ticket
PostgreSQL run). While a benchmark runs, the resident memory of its gunicorn and RQ workers is
sampled every 0.2 s (bench/_memory.py) and each kind's peak becomes a row.

bench/results.json keeps every row with the run that measured it; a partial run (--only,
--database) replaces the rows of what it ran and keeps the others, and results.md is written
from it whole: each row says when it was measured, and each run its command, load and
versions. Each run's own rows also go to bench/results/ (not committed). `--reuse` keeps the
data a benchmark loaded into the database before, at the same size (bench._data).
"""

import argparse
import importlib
import json
import os
import pkgutil
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import _data
from bench._memory import BENCH, RQ, WEB, PeakRss

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
DEFAULT_SIZES = {"sqlite": 100_000, "postgresql": 100_000}
FULL_SIZE = 1_000_000  # PostgreSQL only: what a national service desk holds after a few years
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
)
COLUMNS = ["bench", "database", "size", "metric", "value", "unit", "target", "ratio", "measured"]
VERSIONS = ("flask", "flask-sqlalchemy", "sqlalchemy", "rq", "redis", "gunicorn", "psycopg")


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='fuatilia-bench-')}/bench.db"
    if kind == "postgresql":
        return _data.created(POSTGRES_URL)
    return kind


def benchmarks(only: list[str]) -> list:
    names = [m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_")]
    chosen = [n for n in names if not only or n in only]
    return [(n, importlib.import_module(f"bench.{n}")) for n in sorted(chosen)]


def wanted(module, kind: str, full_run: bool, ran: set) -> bool:
    """Whether `module` runs in this (database, size) run: see the module's docstring."""
    if kind not in getattr(module, "DATABASES", (kind,)):
        return False
    when = getattr(module, "RUN", "each")
    if when == "full":
        return full_run
    return when == "each" or module not in ran


def table(rows: list[dict]) -> str:
    columns = [c for c in COLUMNS if any(c in row for row in rows)]
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=False)) + " |"

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def report(results: dict) -> str:
    """The whole table with what each row was measured on: figures mean little without the
    machine and its load."""
    rows = results["rows"]
    stamps = sorted({row["measured"] for row in rows})
    lines = ["# Benchmark results", "", "Written by `make bench` (bench/__main__.py).", ""]
    for stamp in stamps:
        run = results["runs"][stamp]
        lines += [f"Run {stamp}: `{run['command']}`", "", *(f"- {f}" for f in run["facts"]), ""]
    lines += [
        "`ratio`: the rate over that of the bare endpoint (/healthz), measured by the same "
        "server at the same concurrency at the start of the same benchmark.",
        "",
        table(rows),
        "",
    ]
    return "\n".join(lines)


def machine_facts(load_at_start: float) -> list[str]:
    import platform
    import sqlite3
    from importlib.metadata import version

    import psutil

    facts = [
        f"{platform.system()} {platform.release()} {platform.machine()}, {_cpu()}, "
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        f"load average (1 min) {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} "
        "at the end",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        ", ".join(f"{name} {version(name)}" for name in VERSIONS),
    ]
    for label, probe in (("PostgreSQL", _postgres_version), ("Redis", _redis_version)):
        try:
            facts.append(f"{label} {probe()}")
        except Exception as error:  # noqa: BLE001 - a fact we could not read is said so
            facts.append(f"{label}: not reached ({error.__class__.__name__})")
    return facts


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "CPU unknown"


def _postgres_version() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(POSTGRES_URL).set(database="postgres"))  # the server's
    with engine.connect() as connection:
        return connection.scalar(text("SHOW server_version"))


def _redis_version() -> str:
    from redis import Redis

    return Redis.from_url(_data.REDIS_URL, socket_timeout=2).info()["redis_version"]


def memory_rows(name: str, kind: str, size: int, peaks: dict[str, float]) -> list[dict]:
    """One row per kind of worker the benchmark ran; a benchmark that ran none served its pages
    in its own process, so that process's peak is its worker's (the data load included)."""
    kinds = [k for k in (WEB, RQ) if k in peaks] or [BENCH]
    return [
        {
            "bench": name,
            "database": kind,
            "size": size,
            "metric": f"peak RSS, {what}",
            "value": peaks[what],
            "unit": "MiB",
            "target": "",
        }
        for what in kinds
    ]


def merged(old: dict, new_rows: list[dict], done: set, stamp: str, run: dict) -> dict:
    """`old` with the rows of every (benchmark, database, size) run now replaced by new ones,
    and the runs no row refers to any more dropped."""
    rows = [r for r in old.get("rows", []) if (r["module"], r["kind"], r["run_size"]) not in done]
    rows += new_rows
    stamps = {row["measured"] for row in rows}
    runs = {s: r for s, r in (old.get("runs", {}) | {stamp: run}).items() if s in stamps}
    return {"runs": runs, "rows": rows}


def save(rows: list[dict], done: set, stamp: str, argv: list[str], load_at_start: float):
    command = " ".join(["python -m bench", *argv])
    run = {"command": command, "facts": machine_facts(load_at_start)}
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = merged(old, rows, done, stamp, run)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    (HERE / "results.md").write_text(report(results))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--database", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--full", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep data loaded before at the same size"
    )
    args = parser.parse_args(argv)
    _data.reuse = args.reuse
    load_at_start = os.getloadavg()[0]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    runs = [(kind, args.size or DEFAULT_SIZES.get(kind, 100_000), False) for kind in args.database]
    if args.full:
        runs.append(("postgresql", FULL_SIZE, True))
    rows, done, ran = [], set(), set()
    for kind, size, full_run in runs:
        for name, module in benchmarks(args.only):
            if not wanted(module, kind, full_run, ran):
                continue
            ran.add(module)
            started = time.perf_counter()
            print(f"running {name} on {kind} with {size:,} tickets...", file=sys.stderr)
            url = database_url(kind)
            with PeakRss() as memory:
                measured = module.run(url, size)
            if kind == "sqlite":  # its own file, 180 MiB at 100k: gone with the benchmark
                shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
            label, shown = (
                (measured[0]["database"], measured[0]["size"]) if measured else (kind, size)
            )
            measured += memory_rows(name, label, shown, memory.mib())
            tags = {"measured": stamp, "module": name, "kind": kind, "run_size": size}
            rows += [row | tags for row in measured]
            done.add((name, kind, size))
            print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            save(rows, done, stamp, argv, load_at_start)  # an interrupted run keeps these
    print(table(rows))
    history = HERE / "results"
    history.mkdir(exist_ok=True)
    (history / f"{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
