"""Time per push or pop of a JOBDIR queue file: queuelib's LifoDiskQueue (its file held open) against
:class:`crawler.disk_queue.ClosedLifoDiskQueue` (opened for each call).

    .venv/bin/python scripts/bench_disk_queue.py [--records 5000] [--rounds 7]

Each round pushes ``--records`` records of 600 bytes (a pickled article request's size) and pops them again, the
two queues in turn (so load on the machine weighs on both alike). Prints the median µs per push or pop of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from queuelib.queue import LifoDiskQueue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.disk_queue import ClosedLifoDiskQueue

RECORD = b"x" * 600


def per_call(cls: type[LifoDiskQueue], path: Path, records: int) -> float:
    """µs per push or pop: ``records`` pushes, then as many pops."""
    queue = cls(path)
    started = time.perf_counter()
    for _ in range(records):
        queue.push(RECORD)
    for _ in range(records):
        queue.pop()
    took = time.perf_counter() - started
    queue.close()
    return took / (2 * records) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    times: dict[type[LifoDiskQueue], list[float]] = {LifoDiskQueue: [], ClosedLifoDiskQueue: []}
    with tempfile.TemporaryDirectory() as directory:
        for _ in range(args.rounds):
            for cls, taken in times.items():
                taken.append(per_call(cls, Path(directory, cls.__name__), args.records))
    for cls, taken in times.items():
        print(f"{cls.__name__}: {statistics.median(taken):.0f} µs per push or pop "
              f"(rounds: {', '.join(f'{t:.0f}' for t in taken)})")


if __name__ == "__main__":
    main()
