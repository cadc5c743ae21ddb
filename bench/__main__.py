"""Run the benchmarks, print one table and write it to bench/results.md with the machine's facts.

    python -m bench [--only NAME ...] [--database sqlite|postgresql|URL] [--size N] [--full]
                    [--reuse]

Each module here with a `run(database_url, size) -> list[dict]` is a benchmark; its rows carry
bench, database, size, metric, value, unit and target. `--full` (make bench FULL=1) adds the
million-ticket PostgreSQL run. Each run's rows also go to bench/results/ as JSON. `--reuse`
keeps the data a benchmark loaded into the database before, at the same size (bench._data).
"""

import argparse
import importlib
import json
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

from bench import _data

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = {"sqlite": 100_000, "postgresql": 100_000}
FULL_SIZE = 1_000_000  # PostgreSQL only: what a national service desk holds after a few years
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
)


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='fuatilia-bench-')}/bench.db"
    if kind == "postgresql":
        return POSTGRES_URL
    return kind


def benchmarks(only: list[str]) -> list:
    names = [m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_")]
    chosen = [n for n in names if not only or n in only]
    return [(n, importlib.import_module(f"bench.{n}")) for n in sorted(chosen)]


def table(rows: list[dict]) -> str:
    columns = ["bench", "database", "size", "metric", "value", "unit", "target"]
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=False)) + " |"

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def report(rows: list[dict], command: str) -> str:
    """The table with what it was measured on: figures mean little without the machine."""
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"`{command}`, {time.strftime('%Y-%m-%d %H:%M %Z')}.",
            "",
            *(f"- {fact}" for fact in machine_facts()),
            "",
            table(rows),
            "",
        ]
    )


def machine_facts() -> list[str]:
    import platform
    import sqlite3
    from importlib.metadata import version

    import psutil

    facts = [
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"load {os.getloadavg()[0]:.1f} at the end",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        ", ".join(
            f"{name} {version(name)}"
            for name in ("flask", "sqlalchemy", "rq", "redis", "gunicorn", "psycopg")
        ),
    ]
    for label, probe in (("PostgreSQL", _postgres_version), ("Redis", _redis_version)):
        try:
            facts.append(f"{label} {probe()}")
        except Exception as error:  # noqa: BLE001 - a fact we could not read is said so
            facts.append(f"{label}: not reached ({error.__class__.__name__})")
    return facts


def _postgres_version() -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_URL)
    with engine.connect() as connection:
        return connection.scalar(text("SHOW server_version"))


def _redis_version() -> str:
    from redis import Redis

    return Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).info()["redis_version"]


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
    runs = [(kind, args.size or DEFAULT_SIZES.get(kind, 100_000)) for kind in args.database]
    if args.full:
        runs.append(("postgresql", FULL_SIZE))
    rows = []
    for kind, size in runs:
        for name, module in benchmarks(args.only):
            started = time.perf_counter()
            print(f"running {name} on {kind} with {size:,} tickets...", file=sys.stderr)
            rows.extend(module.run(database_url(kind), size))
            print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(table(rows))
    (HERE / "results.md").write_text(report(rows, " ".join(["python -m bench", *argv])))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
