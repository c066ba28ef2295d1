"""The real ``scrapy crawl`` for tests: one place builds a store's environment (:func:`store_env`),
:func:`run_crawl` runs the command, :func:`unit_crawl` starts it as a systemd unit would (to be stopped with
:func:`stop_unit`), :class:`StoreCrawl` crawls a served replica into one store and returns a
:class:`CrawlResult` (exit code, log, served paths, the run's stats from its run record)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymongo
import pytest

from crawler.bench.replica_server import serve

ROOT = Path(__file__).resolve().parent.parent

# Settings that make a replica crawl fast; politeness stays on in production.
FAST = ["AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "STORAGE_FLUSH_SECONDS=0.2",
        "STORAGE_TIMEOUT_SECONDS=3", "STORAGE_RETRIES=1"]
STORE_VARIABLES = ("MONGO_URI", "MONGO_DATABASE", "DATA_DIR")


# Background processes tests start; conftest reaps those a test leaves (a failed one) after it ends.
STARTED: list[subprocess.Popen[Any]] = []


def started(process: subprocess.Popen[str]) -> subprocess.Popen[str]:
    """``process``, registered in :data:`STARTED` to be reaped if the test leaves it running."""
    STARTED.append(process)
    return process


def reap_started() -> None:
    """Kill, wait for and close the pipes of every process in :data:`STARTED`. Left to the garbage collector, a
    running process and its pipes raise ResourceWarnings (errors here) in whatever later test collects them."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


class _Running:
    """Whether the test running now is marked ``e2e`` (None outside a test); set by conftest."""

    e2e: bool | None = None


RUNNING = _Running()


def require_e2e(what: str) -> None:
    """Fail a test that starts ``what`` without the ``e2e`` mark: ``pytest -m "not e2e"`` must stay fast."""
    if RUNNING.e2e is False:
        pytest.fail(f"{what} in a test not marked e2e: add @pytest.mark.e2e (or use an e2e fixture)",
                    pytrace=False)


def store_env(uri: str = "", database: str = "", data_dir: Path | str | None = None) -> dict[str, str]:
    """The environment that points a crawl or a command at a store: MongoDB ``uri`` and ``database``,
    and/or ``DATA_DIR`` (the embedded store, spools and locks); empty values are left out."""
    env = {"MONGO_URI": uri, "MONGO_DATABASE": database, "DATA_DIR": "" if data_dir is None else str(data_dir)}
    return {name: value for name, value in env.items() if value}


@dataclass
class MongoTarget:
    """A database on the test server and a client for reading it back."""

    uri: str
    database: str
    client: pymongo.MongoClient  # type: ignore[type-arg]

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.client[self.database]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a crawl or command storing into this database (plus ``extra``)."""
        return {**store_env(self.uri, self.database), **extra}


@contextmanager
def fresh_database(uri: str) -> Iterator[MongoTarget]:
    """A database of its own on the server at ``uri``, dropped afterwards."""
    client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)  # type: ignore[type-arg]
    target = MongoTarget(uri, f"test_{uuid.uuid4().hex[:12]}", client)
    try:
        yield target
    finally:
        client.drop_database(target.database)
        client.close()


@contextmanager
def site_held(site: str, env: dict[str, str], seconds: float = 120) -> Iterator[None]:
    """Another host's crawl holds ``site``: its unexpired lease in the store ``env`` points at
    (``store_env``: MongoDB, or the embedded store of ``DATA_DIR``), given up afterwards."""
    from crawler.storage.lease import Lease, acquire, release  # the crawler's own lease calls
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget(uri=env.get("MONGO_URI", ""), database=env.get("MONGO_DATABASE", "news"),
                                             data_dir=env.get("DATA_DIR", "data")))
    lease = Lease(site, "another-host:1:held-by-a-test", seconds)
    try:
        assert acquire(store, lease), f"{site} is already held"
        yield
    finally:
        release(store, lease)
        store.close()


def wait_for_lapse(site: str, env: dict[str, str], timeout: float = 60) -> None:
    """Until the lease on ``site`` a dead or cut-off run left in the store (``env``) has lapsed."""
    from crawler.storage.lease import holder
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget(uri=env.get("MONGO_URI", ""), database=env.get("MONGO_DATABASE", "news"),
                                             data_dir=env.get("DATA_DIR", "data")))
    try:
        lease = holder(store, site)
    finally:
        store.close()
    left = float(lease["expires"]) - time.time() if lease else 0.0
    assert left < timeout, f"the lease on {site} lasts {left:.0f}s more"
    time.sleep(max(0.0, left + 0.1))


def crawl_command(spider: str, *args: str, settings: Sequence[str] = ()) -> list[str]:
    """The ``scrapy crawl spider`` command line: ``-a`` each of ``args``, ``-s`` each of FAST and ``settings``."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for arg in args:
        command += ["-a", arg]
    for setting in [*FAST, *settings]:
        command += ["-s", setting]
    return command


def crawl_environment(env: dict[str, str], data_dir: Path | None = None) -> dict[str, str]:
    """This process's environment without its store variables, a private ``DATA_DIR`` (spools and site locks
    of one test never reach another), then ``env``."""
    full_env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    full_env["DATA_DIR"] = str(data_dir or tempfile.mkdtemp(prefix="crawl-data-"))
    return {**full_env, **env}


def run_crawl(spider: str, *args: str, env: dict[str, str], settings: Sequence[str] | None = None,
              timeout: float = 120, prefix: list[str] | None = None,
              data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``scrapy crawl`` in the project directory (under ``prefix``, e.g. ``ip netns exec NS``)."""
    require_e2e("scrapy crawl")
    command = [*(prefix or []), *crawl_command(spider, *args, settings=settings or ())]
    return subprocess.run(command, cwd=ROOT, env=crawl_environment(env, data_dir), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@contextmanager
def unit_crawl(spider: str, *args: str, data_dir: Path, settings: Sequence[str] = (),
               env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """``scrapy crawl`` running in a process group of its own, as a systemd unit's (its log merged into
    ``stdout``); killed with its whole group if the ``with`` block leaves it running."""
    require_e2e("scrapy crawl")
    crawl = subprocess.Popen(crawl_command(spider, *args, settings=settings), cwd=ROOT,
                             env=crawl_environment(env or {}, data_dir), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        yield crawl
    finally:
        if crawl.poll() is None:
            os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait()
        if crawl.stdout is not None:  # left open by a test that failed before reading it: a ResourceWarning that
            crawl.stdout.close()  # pytest raised in whichever test ran when it was collected


def wait_while_running(crawl: subprocess.Popen[str], condition: Callable[[], object], what: str,
                       timeout: float = 60) -> None:
    """Until ``condition()`` holds; fails with ``what`` when the crawl ends first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline and crawl.poll() is None, what
        time.sleep(0.05)


def log_excerpt(log: str) -> str:
    """The part of a crawl's log an assertion shows: around its first traceback, else its end."""
    at = log.find("Traceback")
    return log[max(at - 1500, 0):at + 3000] if at >= 0 else log[-3000:]


def stop_unit(crawl: subprocess.Popen[str], timeout: float) -> str:
    """SIGTERM to the crawl's whole process group, as systemd's ``KillMode=control-group`` sends it; its log."""
    os.killpg(crawl.pid, signal.SIGTERM)
    log, _ = crawl.communicate(timeout=timeout)
    return log


@dataclass(frozen=True)
class CrawlResult:
    """One finished ``scrapy crawl``: exit code, output, what the replica served, and its store."""

    returncode: int
    stdout: str
    stderr: str
    data_dir: Path
    target: MongoTarget | None = None
    requests: list[str] = field(default_factory=list)  # paths the replica served, in order

    @property
    def log(self) -> str:
        """The crawl's log (Scrapy logs to stderr)."""
        return self.stderr

    @property
    def paths(self) -> list[str]:
        """The paths the replica served, without their queries."""
        return [urlsplit(request).path for request in self.requests]

    @property
    def stats(self) -> dict[str, Any]:
        """The stats of the newest run record in the store the crawl wrote to."""
        if self.target is not None:
            run = self.target.db.crawl_runs.find_one(sort=[("started_at", -1)])
        else:
            from crawler.storage.store import ArticleStore, StoreTarget  # the crawler's own reader

            store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(self.data_dir)))
            try:
                run = next(iter(store.latest_runs(1)), None)
            finally:
                store.close()
        assert run is not None, f"no run record: {self.stderr[-3000:]}"
        return run["stats"]  # type: ignore[no-any-return]


class StoreCrawl:
    """Crawls into one store, MongoDB ``target`` or (without one) the embedded store of each run's
    ``DATA_DIR``: ``crawl(spider, *args, replica=DIR, settings=[...], env={...})``."""

    def __init__(self, target: MongoTarget | None, workdir: Path | None = None) -> None:
        self.target = target
        self.workdir = workdir

    def __call__(self, spider: str, *args: str, replica: Path | None = None, settings: Sequence[str] = (),
                 env: dict[str, str] | None = None, timeout: float = 120,
                 prefix: list[str] | None = None, expect: int | None = None, port: int = 0) -> CrawlResult:
        """Run ``scrapy crawl spider``; with ``replica``, serve that directory (on ``port``, when the replica names
        it) and pass its ``base_url``; with ``expect``, assert the exit code (showing the log's end when it differs)."""
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        data_dir = Path(tempfile.mkdtemp(prefix="crawl-data-", dir=self.workdir))  # private per run, as run_crawl's
        full_env = {**(self.target.env() if self.target else {}), **(env or {})}
        with ExitStack() as stack:
            server = stack.enter_context(serve(replica, port)) if replica is not None else None
            if server is not None:
                args = (f"base_url=http://127.0.0.1:{server.server_port}", *args)
            result = run_crawl(spider, *args, env=full_env, settings=settings, timeout=timeout, prefix=prefix,
                               data_dir=data_dir)
            requests = list(server.requests) if server is not None else []  # type: ignore[attr-defined]
        if expect is not None:
            assert result.returncode == expect, result.stderr[-3000:]
        return CrawlResult(result.returncode, result.stdout, result.stderr,
                           Path(full_env.get("DATA_DIR", data_dir)), self.target, requests)
