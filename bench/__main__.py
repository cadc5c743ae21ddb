"""Run the benchmarks and print one table.

    python -m bench [--only NAME ...] [--database sqlite|postgresql|URL] [--size N]

Each module here with a `run(database_url, size) -> list[dict]` is a benchmark; its rows carry
bench, database, size, metric, value, unit and target. Results also go to bench/results/.
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

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = {"sqlite": 100_000, "postgresql": 1_000_000}
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--database", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--size", type=int, default=None)
    args = parser.parse_args(argv)
    rows = []
    for kind in args.database:
        size = args.size or DEFAULT_SIZES.get(kind, 100_000)
        for name, module in benchmarks(args.only):
            started = time.perf_counter()
            print(f"running {name} on {kind} with {size:,} tickets...", file=sys.stderr)
            rows.extend(module.run(database_url(kind), size))
            print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(table(rows))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
