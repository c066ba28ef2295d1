"""CPU-bound batches (``scrapy reextract``, ``scrapy export``) fanned out to worker processes, results
handed back in input order, at most ``ahead`` batches in flight (memory stays flat however many there are).

:func:`ordered_map` with one process calls the function in this process (no workers, the same code
path); with more it starts fresh interpreters (``spawn``: forking a process holding a database
client's threads is unsafe), each running ``initializer(*initargs)`` once. Workers never see Ctrl-C
(SIGINT is blocked while they start and ignored in them): the command stops them when it stops.
No Scrapy import here.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from crawler.site_pool import cpu_count

T = TypeVar("T")
R = TypeVar("R")


def add_processes_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--processes N``: how many processes do ``what`` (default: the cores this process may use)."""
    parser.add_argument("--processes", type=_processes, default=cpu_count(), metavar="N",
                        help=f"processes that {what} (default: the cores, {cpu_count()} here)")


def _processes(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, 1 or more, got {value!r}")
    return number


class WorkerDied(Exception):
    """A worker process ended in the middle of a batch (killed, out of memory, a crash in C code)."""


def ordered_map(fn: Callable[[T], R], items: Iterable[T], processes: int,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                ahead: int | None = None) -> Generator[tuple[T, R], None, None]:
    """``(item, fn(item))`` for each of ``items``, in order; ``items`` is read at most ``ahead`` (default
    twice the processes) ahead of what the caller has taken. Raises WorkerDied when a worker ends
    mid-batch. Close the iterator (``contextlib.closing``) to stop the workers at once when leaving early."""
    initializer = initializer or _nothing
    if processes <= 1:
        initializer(*initargs)
        for item in items:
            yield item, fn(item)
        return
    with _sigint_blocked():  # the workers inherit the blocked signal: a Ctrl-C while one starts never reaches it
        pool = ProcessPoolExecutor(processes, multiprocessing.get_context("spawn"), _start, (initializer, initargs))
    pending: deque[tuple[T, Future[R]]] = deque()
    limit = ahead or 2 * processes
    try:
        for item in items:
            with _sigint_blocked():
                pending.append((item, pool.submit(fn, item)))
            if len(pending) >= limit:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a stopped command waits for the running batches only


def _result(item: T, future: Future[R]) -> tuple[T, R]:
    try:
        return item, future.result()
    except BrokenProcessPool as exc:
        raise WorkerDied(str(exc) or "a worker process ended unexpectedly") from None


def _nothing() -> None:
    """No set-up (a module function: the workers get it pickled)."""


def _start(initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    from crawler.extract.worker import die_with_parent

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    initializer(*initargs)


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread (and in processes it starts) meanwhile; delivered after, if it came."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
