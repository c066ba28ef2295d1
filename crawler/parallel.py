"""CPU-bound batches (``scrapy reextract``, ``scrapy export``) fanned out to worker processes, results
handed back in input order, at most ``ahead`` batches in flight (memory stays flat however many there are).

:func:`ordered_map` with one process calls the function in this process (no workers, the same code
path); with more it forks this process when it runs no other thread (the workers start with every
module and model it has loaded, at no cost), else starts fresh interpreters (``spawn``: forking a
process holding threads, a MongoDB client's, is unsafe); each runs ``initializer(*initargs)`` once.
Workers never see Ctrl-C (SIGINT is blocked while they start and ignored in them): the command stops
them when it stops.

``--processes`` left out is "auto" (:func:`processes_for`): the cores, but one process for a job too
small to repay starting workers and passing its batches between processes.
No Scrapy import here.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from crawler.site_pool import cpu_count

T = TypeVar("T")
R = TypeVar("R")


def add_processes_option(parser: argparse.ArgumentParser, what: str, small: str) -> None:
    """``--processes N``: how many processes do ``what`` (default None: :func:`processes_for` decides)."""
    parser.add_argument("--processes", type=_processes, default=None, metavar="N",
                        help=f"processes that {what} (default: the cores, {cpu_count()} here; 1 for {small})")


def processes_for(requested: int | None, work: Callable[[], int], smallest: int) -> int:
    """``requested`` when given; else 1 when ``work()`` (the job's size) is under ``smallest``, else the cores."""
    if requested is not None:
        return requested
    cores = cpu_count()
    return 1 if cores == 1 or work() < smallest else cores


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
        pool = ProcessPoolExecutor(processes, start_context(), _start, (initializer, initargs))
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


def start_context() -> multiprocessing.context.BaseContext:
    """``fork`` when this process runs no other thread (forking one that does can deadlock the child on a lock
    a vanished thread held), else ``spawn``. With ``fork`` ProcessPoolExecutor starts every worker before its
    own management thread."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


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
