"""CPU-bound batches (``scrapy reextract``, ``scrapy export``) fanned out to worker processes, results
handed back in input order, at most ``ahead`` batches in flight (memory stays flat however many there are).

:func:`ordered_map` with one process calls the function in this process (no workers, the same code
path); with more it forks this process when it runs no other thread (the workers start with every
module and model it has loaded, at no cost), else starts fresh interpreters (``spawn``: forking a
process holding threads, a MongoDB client's, is unsafe); each runs ``initializer(*initargs)`` once.
Workers never see Ctrl-C nor a SIGTERM sent to the whole process group (systemd stopping the unit,
``kill -- -PGID``): both are blocked while they start and ignored in them; the command stops them when it
stops. Under :func:`stop_signals` either signal raises :class:`Stopped` in the command, deferred while it
runs a :func:`whole` block (a batch's output or writes), so that a stop never cuts one in half.

``--processes`` left out is "auto" (:func:`processes_for`): the cores, but one process for a job too
small to repay starting workers and passing its batches between processes.
No Scrapy import here.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from crawler.site_pool import cpu_count

T = TypeVar("T")
R = TypeVar("R")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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


@dataclass(frozen=True)
class Isolation:
    """What to do with a batch whose worker died (killed, out of memory, a crash in C code) or took longer
    than ``seconds(batch)`` (then its workers are killed: a call stuck in C code stops no other way): ``split``
    it into smaller batches, each run again alone in a fresh worker, their results ``join``-ed; a batch that
    cannot be split (one page) and fails so again is answered by ``died(batch, reason)`` instead."""

    split: Callable[[Any], list[Any]]
    join: Callable[[list[Any]], Any]
    died: Callable[[Any, str], Any]
    seconds: Callable[[Any], float | None] = lambda batch: None


DIED = "its worker process died (killed, out of memory or a crash)"


def ordered_map(fn: Callable[[T], R], items: Iterable[T], processes: int,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                ahead: int | None = None, isolation: Isolation | None = None) -> Generator[tuple[T, R], None, None]:
    """``(item, fn(item))`` for each of ``items``, in order; ``items`` is read at most ``ahead`` (default
    twice the processes) ahead of what the caller has taken. When a worker ends mid-batch: with ``isolation``
    the workers are replaced and the batches in flight run again, the one that killed a worker alone (see
    :class:`Isolation`); without, raises WorkerDied. Close the iterator (``contextlib.closing``) to stop the
    workers at once when leaving early."""
    initializer = initializer or _nothing
    if processes <= 1:
        initializer(*initargs)
        for item in items:
            yield item, fn(item)
        return
    workers = _Workers(processes, initializer, initargs)
    pending: deque[tuple[T, Future[R]]] = deque()
    limit = ahead or 2 * processes
    try:
        for item in items:
            pending.append((item, workers.submit(fn, item)))
            if len(pending) >= limit:
                yield workers.result(fn, pending, isolation)
        while pending:
            yield workers.result(fn, pending, isolation)
    finally:
        workers.stop()  # a stopped command waits for the running batches only


class _Workers:
    """A process pool, replaced by a fresh one when one of its workers dies."""

    def __init__(self, processes: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        self.processes, self.setup = processes, (initializer, initargs)
        self.pool = self._new(processes)
        # Every worker started now (fork starts them all on the first call), before the caller reads its first
        # item: a SQLite statement it then keeps open (an export's ordered read) is never inherited mid-read;
        # SQLite's locks do not survive fork() and a child would believe it holds them.
        self.submit(_nothing, None).result()

    def _new(self, processes: int) -> ProcessPoolExecutor:
        # What this process holds leaves the collector's lists: a forked worker's collections then leave the
        # memory pages it shares with this process unwritten (no copies; the command ends when the map does).
        gc.freeze()
        with _stops_blocked():  # the workers inherit the blocked signals: a stop while one starts never reaches it
            return ProcessPoolExecutor(processes, start_context(), _start, (os.getpid(), *self.setup))

    def submit(self, fn: Callable[[T], R], item: T) -> Future[R]:
        """``fn(item)`` in a worker; when the pool is broken, a future that says so (run again by ``result``)."""
        with _stops_blocked():
            try:
                return self.pool.submit(fn, item)
            except BrokenProcessPool as exc:
                broken: Future[R] = Future()
                broken.set_exception(exc)
                return broken

    def result(self, fn: Callable[[T], R], pending: deque[tuple[T, Future[R]]],
               isolation: Isolation | None) -> tuple[T, R]:
        """The first pending item and its result; after a worker's death, the others resubmitted."""
        item, future = pending.popleft()
        if isolation is None:
            try:
                return item, future.result()
            except BrokenProcessPool as exc:
                raise WorkerDied(str(exc) or "a worker process ended unexpectedly") from None
        if self._answer(future, isolation.seconds(item)) is None:
            return item, future.result()
        self.stop()
        result = self._alone(fn, item, isolation)  # the first in flight, or one behind it, killed the worker
        self.pool = self._new(self.processes)
        for _ in range(len(pending)):  # those the dead pool had not answered run again, in order
            later, done = pending.popleft()
            pending.append((later, done if _answered(done) else self.submit(fn, later)))
        return item, result

    def _alone(self, fn: Callable[[T], R], item: T, isolation: Isolation) -> R:
        """``fn(item)`` in a worker of its own; split up (or ``died``) when it kills that one too."""
        self.pool = self._new(1)
        future = self.submit(fn, item)
        try:
            failure = self._answer(future, isolation.seconds(item))
        finally:
            self.stop()
        if failure is None:
            return future.result()
        parts = isolation.split(item)
        if len(parts) <= 1:
            return cast(R, isolation.died(item, failure))
        return cast(R, isolation.join([self._alone(fn, part, isolation) for part in parts]))

    def _answer(self, future: Future[Any], seconds: float | None) -> str | None:
        """None once ``future`` has its result (or the exception ``fn`` raised); else why its worker is gone:
        it died, or it took longer than ``seconds`` and the pool's workers were killed."""
        try:
            error = future.exception(timeout=seconds)
        except TimeoutError:
            for process in list(self.pool._processes.values()):  # no public way to stop a running call
                process.kill()
            return f"it took longer than {seconds:g} s; its worker process was killed"
        return DIED if isinstance(error, BrokenProcessPool) else None

    def stop(self) -> None:
        if self.pool._broken:  # no public way to ask
            # A broken pool ends its other workers with SIGTERM, which they ignore (a stop sent to the whole
            # process group is the command's to act on): killed here, or the pool would wait for them forever.
            for process in list((self.pool._processes or {}).values()):
                process.kill()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _answered(future: Future[Any]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def start_context() -> multiprocessing.context.BaseContext:
    """``fork`` when this process runs no other thread (forking one that does can deadlock the child on a lock
    a vanished thread held), else ``spawn``. With ``fork`` ProcessPoolExecutor starts every worker before its
    own management thread."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _nothing(*_: object) -> None:
    """No set-up, no work (a module function: the workers get it pickled)."""


def _start(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    from crawler.extract.worker import die_with_parent

    # A worker outlives no stopped command: the kernel kills it with its parent. The parent's pid comes from the
    # parent: a spawned worker imports for a while, and a command killed meanwhile is no longer its parent here.
    die_with_parent(parent)
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    initializer(*initargs)


@contextmanager
def _stops_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM held back in this thread (and in processes it starts) meanwhile; delivered after."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(STOP_SIGNALS))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class Stopped(KeyboardInterrupt):
    """A command stopped by Ctrl-C (SIGINT) or SIGTERM; a KeyboardInterrupt, so Ctrl-C's handling applies."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def stop_reason(exc: KeyboardInterrupt) -> tuple[str, int]:
    """What stopped the command (``Ctrl-C`` or ``SIGTERM``) and its exit code, as a shell reports it (128 + N)."""
    signum = getattr(exc, "signum", signal.SIGINT)
    return ("SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"), 128 + signum


_deferred: dict[str, Any] = {"depth": 0, "signum": None}


def _stop(signum: int, _frame: object) -> None:
    if _deferred["depth"]:
        _deferred["signum"] = signum  # raised when the whole() block ends
        return
    raise Stopped(signum)


@contextmanager
def stop_signals() -> Iterator[None]:
    """Meanwhile Ctrl-C and SIGTERM raise :class:`Stopped` in this (the main) thread, outside :func:`whole` blocks."""
    previous = {signum: signal.signal(signum, _stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def whole() -> Iterator[None]:
    """A stop signal that comes meanwhile is raised (as :class:`Stopped`) once the block has run to its end."""
    _deferred["depth"] += 1
    try:
        yield
    finally:
        _deferred["depth"] -= 1
    if not _deferred["depth"] and _deferred["signum"] is not None:
        signum, _deferred["signum"] = _deferred["signum"], None
        raise Stopped(signum)
