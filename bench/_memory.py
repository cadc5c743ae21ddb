"""Resident memory of the processes a benchmark starts, read from the bench's process tree:
a benchmark needs no hook of its own to have its gunicorn and RQ workers measured."""

import threading

import psutil

WEB, RQ, BENCH = "web worker", "RQ worker", "bench process"


def kind(process: psutil.Process) -> str | None:
    """A gunicorn worker (a gunicorn process whose parent is the gunicorn master), an RQ
    worker (`python -m workers.worker` or `rq worker`, whose title rq sets to `rq:worker:...`
    once it listens), or None for anything else."""
    command = " ".join(process.cmdline())
    if "gunicorn" in command:
        parent = process.parent()
        return WEB if parent is not None and "gunicorn" in " ".join(parent.cmdline()) else None
    if any(name in command for name in ("workers.worker", "rq worker", "rq:worker")):
        return RQ
    return None


def snapshot() -> list[tuple[str, int, int]]:
    """(kind, pid, rss in bytes) of this process and of every worker below it now."""
    me = psutil.Process()
    found = [(BENCH, me.pid, me.memory_info().rss)]
    for process in me.children(recursive=True):
        try:
            if (what := kind(process)) is not None:
                found.append((what, process.pid, process.memory_info().rss))
        except psutil.Error:  # gone between the listing and the reading
            continue
    return found


class PeakRss:
    """The largest resident memory of any one process of each kind, sampled every `every`
    seconds while the block runs."""

    def __init__(self, every: float = 0.2):
        self.every, self.peaks = every, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            for what, _, rss in snapshot():
                self.peaks[what] = max(self.peaks.get(what, 0), rss)
            if self._stop.wait(self.every):
                return

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def mib(self) -> dict[str, float]:
        return {what: round(rss / 2**20, 1) for what, rss in self.peaks.items()}
