"""Sites crawled by child processes, at most N at once, handed out one at a time.

Each site is one real ``scrapy crawl`` child (its own reactor, log, stats, site lease and store
connection); a slot freed by a finished site takes the next waiting one, so a slow site holds one
slot, not a share of the sites. Every line a child prints is passed on prefixed with ``[site] ``
(stdout to stdout; stderr, where Scrapy logs, to stderr or to ``log_path``). Children run in sessions of
their own: a terminal's Ctrl-C reaches only this process, which starts no further site on a SIGINT or
SIGTERM and stops the running children: the first signal sends each a SIGTERM (a graceful stop, finishing its
pages in flight), a second kills each child's process group (a crawl whose event loop is stuck never acts on a
signal). No child outlives this process: one still running when the pool leaves on an error is killed, and
each is told this process's pid (``PARENT_PID_ENV``), so that ``scrapy crawl`` stops gracefully when it dies
(:func:`stop_when_parent_dies`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import IO, Any, TextIO

logger = logging.getLogger(__name__)
PARENT_PID_ENV = "SITE_POOL_PARENT_PID"  # a child's parent: the child asks to be stopped when it dies
NOT_STARTED = 1  # a site left waiting when the run was stopped did not run: failed, as ``scrapy crawl`` says
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class SiteJob:
    """One site and the command that crawls it."""

    site: str
    command: Sequence[str]


@dataclass
class SiteResult:
    """How one site's child ended: exit code (``NOT_STARTED`` if it never ran) and wall seconds."""

    site: str
    code: int = NOT_STARTED
    seconds: float = 0.0
    started: bool = False
    signal: int = 0  # the signal that killed the child (SIGKILL, the OOM killer), 0 when it exited


class _Output:
    """Children's lines, each written whole with its site's prefix (one lock for all writers)."""

    def __init__(self, out: TextIO, err: TextIO | IO[str]) -> None:
        self.out, self.err = out, err
        self.lock = threading.Lock()

    def pump(self, site: str, pipe: IO[str], stream: TextIO | IO[str]) -> None:
        for line in pipe:
            with self.lock:
                stream.write(named_line(site, line))
                stream.flush()
        pipe.close()


def named_line(site: str, line: str) -> str:
    """A child's ``line`` prefixed with its site, once: a message that names the site itself (the progress
    line, "[asiaplus] Progress: ...") does not name it again after the prefix."""
    mark = f"[{site}] "
    return mark + line.replace(mark, "", 1) + ("" if line.endswith("\n") else "\n")


class SitePool:
    """Runs ``jobs`` with at most ``processes`` children at once; :meth:`run` returns one result per job."""

    def __init__(self, jobs: Sequence[SiteJob], processes: int, log_path: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.jobs = list(jobs)
        self.processes = max(1, processes)
        self.env = env
        self.log_path = log_path
        self.signals_seen = 0
        self._signals_acted = 0  # signals whose stop was sent to the children
        self._running: dict[str, tuple[subprocess.Popen[str], float, list[threading.Thread]]] = {}

    def run(self) -> list[SiteResult]:
        """Crawl every site (unless stopped by a signal); children's lines are passed on as they come."""
        results = {job.site: SiteResult(job.site) for job in self.jobs}
        log = open(self.log_path, "a", encoding="utf-8") if self.log_path else None  # noqa: SIM115 (closed below)
        output = _Output(sys.stdout, log or sys.stderr)
        previous = self._install_handlers()
        try:
            waiting = deque(self.jobs)
            while waiting or self._running:
                while waiting and len(self._running) < self.processes and not self.signals_seen:
                    self._start(waiting.popleft(), output, results)
                if self.signals_seen:
                    waiting.clear()
                    self._stop_children()
                self._reap(results)
                time.sleep(_POLL_SECONDS)
        finally:
            self._kill_children()  # none is left running, whatever ended the loop
            self._restore_handlers(previous)
            if log is not None:
                log.close()
        return [results[job.site] for job in self.jobs]

    def _start(self, job: SiteJob, output: _Output, results: dict[str, SiteResult]) -> None:
        env = {**(os.environ if self.env is None else self.env), PARENT_PID_ENV: str(os.getpid())}
        child = subprocess.Popen(list(job.command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                 env=env, start_new_session=True, bufsize=1)
        assert child.stdout is not None and child.stderr is not None
        pumps = [threading.Thread(target=output.pump, args=(job.site, child.stdout, output.out), daemon=True),
                 threading.Thread(target=output.pump, args=(job.site, child.stderr, output.err), daemon=True)]
        for pump in pumps:
            pump.start()
        self._running[job.site] = (child, time.monotonic(), pumps)
        results[job.site].started = True

    def _reap(self, results: dict[str, SiteResult]) -> None:
        for site, (child, started, pumps) in list(self._running.items()):
            code = child.poll()
            if code is None:
                continue
            for pump in pumps:
                pump.join()  # the child's last lines are out before its result counts
            results[site].code = code if code >= 0 else NOT_STARTED  # killed by a signal: failed
            results[site].signal = -code if code < 0 else 0
            results[site].seconds = time.monotonic() - started
            del self._running[site]

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        self.signals_seen += 1  # acted on by the loop, within a poll interval

    def _stop_children(self) -> None:
        """The first signal asks each running child to stop gracefully; a second kills them."""
        if self._signals_acted == min(self.signals_seen, 2):
            return
        self._signals_acted = min(self.signals_seen, 2)
        if self._signals_acted == 1:
            for child in self._children():
                child.send_signal(signal.SIGTERM)
            return
        if self._running:
            logger.warning("Stopped again: killing the crawls of %(sites)s", {"sites": ", ".join(self._running)})
        self._kill_children()

    def _children(self) -> list[subprocess.Popen[str]]:
        """The children still running (one that has ended, reaped here, is left to :meth:`_reap`)."""
        return [child for child, _, _ in self._running.values() if child.poll() is None]

    def _kill_children(self) -> None:
        """Kill each running child with its process group (its extraction workers), and reap it."""
        for child in self._children():
            with contextlib.suppress(ProcessLookupError):  # unreaped, so its pid names no other process
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()

    def _install_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._signalled)
        return previous

    def _restore_handlers(self, previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def stop_when_parent_dies() -> None:
    """In a child of a pool (``PARENT_PID_ENV`` set): stop gracefully, as on a SIGTERM, when the pool's process dies
    (SIGKILL, the OOM killer), rather than crawl on unwatched. The kernel then sends the child its parent-death
    signal once for each thread of the dead process it passes through on its way to init: a SIGHUP, turned into one
    SIGTERM (a second would force ``scrapy crawl``'s unclean shutdown)."""
    from crawler.extract.worker import die_with_parent

    parent = os.environ.get(PARENT_PID_ENV, "")
    if not parent.isdigit():
        return
    # A SIGHUP that comes before the handler has ignored the rest (microseconds in) runs it again, nested or after:
    # only the first run sends the SIGTERM.
    sent = threading.Lock()

    def stop(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the kernel drops the SIGHUPs still to come
        if sent.acquire(blocking=False):  # one test-and-set, which a nested run cannot split (a flag's two steps)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGHUP, stop)
    die_with_parent(int(parent), signal.SIGHUP)


def cpu_count() -> int:
    """The cores this process may run on (its affinity, not the machine's total)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    return len(os.sched_getaffinity(0)) or 1
