"""``crawler.parallel.ordered_map`` over real worker processes: a worker killed in the middle of a batch is
replaced, the batches in flight run again and only the item that kills its worker every time is answered
by ``Isolation.died``; without an isolation the death ends the map; ``processes_for`` picks 1 for small jobs."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import time
from contextlib import closing

import pytest

from crawler.parallel import Isolation, WorkerDied, ordered_map, processes_for, start_context
from crawler.site_pool import cpu_count

KILLER = 5  # the item whose handling kills the worker process (as a crash in C code would)


def doubled(batch: list[int]) -> list[int]:
    out = []
    for x in batch:
        if x == KILLER:
            os.kill(os.getpid(), signal.SIGKILL)
        out.append(2 * x)
    return out


def _died(batch: list[int], reason: str) -> list[object]:
    return [f"died: {reason}" for _ in batch]


ISOLATION = Isolation(split=lambda batch: [[x] for x in batch], join=lambda parts: [x for p in parts for x in p],
                      died=_died)


def test_a_worker_killed_by_an_item_is_replaced_and_only_that_item_is_lost() -> None:
    batches = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
    with closing(ordered_map(doubled, batches, 2, isolation=ISOLATION)) as done:
        results = list(done)
    assert [item for item, _ in results] == batches
    died = "died: its worker process died (killed, out of memory or a crash)"
    assert [result for _, result in results] == [[2, 4], [6, 8], [died, 12], [14, 16], [18, 20], [22, 24]]


def test_without_isolation_a_dead_worker_ends_the_map() -> None:
    with pytest.raises(WorkerDied), closing(ordered_map(doubled, [[1], [5], [7]], 2)) as done:
        list(done)


def test_one_process_runs_here_without_workers() -> None:
    assert list(ordered_map(doubled, [[1, 2]], 1)) == [([1, 2], [2, 4])]


@pytest.mark.parametrize(("requested", "size", "expected"), [
    (None, 10, 1), (None, 99, 1), (None, 100, cpu_count()), (3, 10, 3), (1, 10_000, 1)])
def test_processes_for_picks_one_for_a_small_job_unless_told(requested: int | None, size: int,
                                                             expected: int) -> None:
    assert processes_for(requested, lambda: size, 100) == expected


def test_items_submitted_after_the_death_run_too() -> None:
    batches = [[5, 6], *([n] for n in range(7, 40))]  # the first kills its worker; many follow it at once
    with closing(ordered_map(doubled, batches, 2, isolation=ISOLATION, ahead=8)) as done:
        results = [result for _, result in done]
    assert results[0][1] == 12 and results[1:] == [[2 * n] for n in range(7, 40)]


STUCK = 13  # the item whose handling never returns (as a call stuck in C code would not)


def stuck(batch: list[int]) -> list[int]:
    if STUCK in batch:
        time.sleep(3600)
    return [2 * x for x in batch]


def test_a_batch_over_its_time_is_killed_and_only_the_stuck_item_is_lost() -> None:
    isolation = dataclasses.replace(ISOLATION, seconds=lambda batch: 1.5 * len(batch))
    batches = [[11, 12], [13, 14], [15, 16]]
    started = time.monotonic()
    with closing(ordered_map(stuck, batches, 2, isolation=isolation)) as done:
        results = [result for _, result in done]
    assert results == [[22, 24], ["died: it took longer than 1.5 s; its worker process was killed", 28], [30, 32]]
    assert time.monotonic() - started < 60
    assert not multiprocessing.active_children()  # the stuck worker was killed, none left behind


def test_the_workers_are_started_before_the_first_item_is_read() -> None:
    """An export's items come from a SQLite statement held open while they are read: a worker forked then
    would inherit the reader's locks (which do not survive fork), so every worker exists before."""
    if start_context().get_start_method() != "fork":
        pytest.skip("workers are spawned here (another thread runs): nothing is inherited")
    seen = []

    def items() -> object:
        seen.append(len(multiprocessing.active_children()))
        yield [1]
        yield [2]

    with closing(ordered_map(doubled, items(), 2)) as results:  # type: ignore[arg-type]
        assert [r for _, r in results] == [[2], [4]]
    assert seen == [2]


COMMAND = """
import sys, threading, time
if __name__ == "__mp_main__":
    time.sleep(2)  # a spawned worker starting slowly (imports on a loaded machine): its command is killed meanwhile
from crawler.parallel import ordered_map

def same(x):
    return x

if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()  # a second thread: workers are spawned
    for _ in ordered_map(same, range(10), 2):
        pass
"""


def _workers_of(pid: int) -> list[int]:
    """The spawned worker processes among ``pid``'s children (not multiprocessing's resource tracker)."""
    found = []
    for task in (f"/proc/{pid}/task/{t}" for t in os.listdir(f"/proc/{pid}/task")):
        with open(f"{task}/children") as children:
            for child in map(int, children.read().split()):
                with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                    if b"spawn_main" in cmdline.read():
                        found.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_still_starting_when_its_command_is_killed_dies_with_it(tmp_path: object) -> None:
    """SIGKILL to the command (the OOM killer, ``kill -9``) while a spawned worker is still importing: the
    worker learns its parent is gone as soon as it can ask, and ends, rather than wait on its queue forever
    under init. Before, it compared its parent with the one it found on starting, by then already init."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(str(tmp_path)) / "command.py"
    script.write_text(COMMAND)
    root = Path(__file__).resolve().parents[1]
    command = subprocess.Popen([sys.executable, str(script)], cwd=root,
                               env={**os.environ, "PYTHONPATH": str(root)})
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while not workers and time.monotonic() < deadline and command.poll() is None:
            time.sleep(0.05)
            workers = _workers_of(command.pid)
        assert workers, "no worker was spawned"
        command.kill()  # while the worker sleeps in its start
        command.wait()
        deadline = time.monotonic() + 20
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers)), "a worker outlived its killed command"
    finally:
        command.kill()
        command.wait()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
