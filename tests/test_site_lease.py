"""The site lock is a lease in the store: crawls of one site on different hosts (different
``DATA_DIR``s, one store) never overlap; a dead host's lease lapses and the next run proceeds; a
run whose lease was taken over stops. Plus the lease calls on MongoDB and the embedded store."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from crawler.extensions.site_lock import PID_NAMESPACE, died_here
from crawler.storage.lease import COLLECTION, Lease, acquire, holder, release, renew
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import FAST, ROOT, MongoTarget, run_crawl, started
from tests.replicas import REPLICAS

QUIET = ["BROWSER_ENABLED=0", "ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"]


def start_crawl(target: MongoTarget, data_dir: Path, base_url: str, *settings: str,
                env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The real ``scrapy crawl asiaplus`` in the background, as another host would start it; its log
    goes to ``data_dir/crawl.log`` (a pipe nobody reads while it runs would fill and stall it)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "asiaplus", "-a", f"base_url={base_url}"]
    for setting in [*FAST, *QUIET, *settings]:
        command += ["-s", setting]
    env = {**{k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "MONGO_DATABASE", "DATA_DIR")},
           **target.env(DATA_DIR=str(data_dir)), **(env or {})}
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "crawl.log").open("w") as log:
        return started(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
                                        text=True, stdin=subprocess.DEVNULL))



def wait_until_fetching(process: subprocess.Popen[str], fetching: Callable[[], bool], timeout: float = 60) -> None:
    """Until the crawl fetches pages (so it holds its site, however it locks it)."""
    deadline = time.monotonic() + timeout
    while not fetching():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the first crawl never fetched a page (exit {process.wait()}); see its crawl.log")
        time.sleep(0.1)


class BlackHole:
    """A base URL whose requests wait on a socket that never answers: the crawl holds its site meanwhile."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.server.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.held: list[socket.socket] = []  # accepted and never answered

    def fetching(self) -> bool:
        """Whether a request has come in."""
        with suppress(TimeoutError):
            self.held.append(self.server.accept()[0])
        return bool(self.held)


@contextmanager
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    try:
        yield hole
    finally:
        for connection in hole.held:
            connection.close()
        hole.server.close()


def stop(process: subprocess.Popen[str], data_dir: Path) -> str:
    """Kill ``process`` if it still runs; its log."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    return (data_dir / "crawl.log").read_text()


@pytest.mark.e2e
def test_a_crawl_of_a_site_another_host_is_crawling_exits_75_at_once(tmp_path: Path, mongo: MongoTarget) -> None:
    """Two hosts (their own DATA_DIRs) share one store: the second run is skipped while the first
    crawls, and the first, done, gives the site back."""
    # Slow pages while the second run starts (however long a loaded machine takes): the first still crawls.
    with serve(REPLICAS / "asiaplus", delay=5.0) as server:
        first = start_crawl(mongo, tmp_path / "host-a", f"http://127.0.0.1:{server.server_port}")
        try:
            wait_until_fetching(first, lambda: bool(server.requests))  # type: ignore[attr-defined]
            lease = mongo.db[COLLECTION].find_one({"_id": "asiaplus"})
            started = time.monotonic()
            second = run_crawl("asiaplus", f"base_url=http://127.0.0.1:{server.server_port}", settings=QUIET,
                               env=mongo.env(), data_dir=tmp_path / "host-b", timeout=60)
            took = time.monotonic() - started
            server.delay = 0.0  # type: ignore[attr-defined]
            assert second.returncode == 75, second.stderr[-3000:]
            assert first.poll() is None  # the first still crawls
            first.wait(timeout=120)
        finally:
            first_log = stop(first, tmp_path / "host-a")
    assert took < 20
    assert lease is not None
    assert f"Another crawl of asiaplus is running on {socket.gethostname()} (pid {first.pid}" in second.stderr
    assert str(lease["holder"]).startswith(f"{socket.gethostname()}:{first.pid}:")
    skipped = mongo.db.crawl_runs.find_one({"pid": {"$ne": first.pid}})
    assert skipped["outcome"] == "skipped" and skipped["finish_reason"] == "site_locked"
    assert skipped["stats"]["site_lock/refused"] == 1
    assert first.returncode == 0, first_log[-3000:]
    assert mongo.db.articles.count_documents({"site": "asiaplus"}) > 0
    assert mongo.db[COLLECTION].find_one({"_id": "asiaplus"}) is None  # released at its close


def skewed_clock(seconds: float) -> dict[str, str]:
    """The environment of a process whose clock runs ``seconds`` off (``tests/skewed_clock``)."""
    return {"PYTHONPATH": str(Path(__file__).parent / "skewed_clock"), "CLOCK_SKEW_SECONDS": str(seconds)}


@pytest.mark.e2e
@pytest.mark.parametrize("skewed", ["holder", "newcomer"])
def test_hosts_whose_clocks_disagree_by_minutes_still_crawl_a_site_one_at_a_time(
    skewed: str, tmp_path: Path, mongo: MongoTarget
) -> None:
    """A lease's expiry is the store's clock: before, it was the writing host's, so a host whose clock ran 10 minutes
    ahead took the site from a crawl that held it (the lease lasts 5), and one whose clock ran 10 minutes behind
    wrote a lease that had lapsed already: either way two crawls of one site at once."""
    with serve(REPLICAS / "asiaplus", delay=5.0) as server:
        base_url = f"http://127.0.0.1:{server.server_port}"
        first = start_crawl(mongo, tmp_path / "host-a", base_url, env=skewed_clock(-600) if skewed == "holder" else {})
        try:
            wait_until_fetching(first, lambda: bool(server.requests))  # type: ignore[attr-defined]
            second = run_crawl("asiaplus", f"base_url={base_url}", settings=QUIET, timeout=60,
                               env=mongo.env(**(skewed_clock(600) if skewed == "newcomer" else {})),
                               data_dir=tmp_path / "host-b")
            assert second.returncode == 75, second.stderr[-3000:]
            assert first.poll() is None  # the first still crawls
        finally:
            stop(first, tmp_path / "host-a")
    assert f"Another crawl of asiaplus is running on {socket.gethostname()} (pid {first.pid}" in second.stderr
    left = re.search(r"its lease ends in (-?\d+)s", second.stderr)  # by the store's clock too
    assert left and 0 < int(left.group(1)) <= 300, second.stderr[-3000:]


@pytest.mark.e2e
def test_a_dead_hosts_lease_holds_the_site_until_it_lapses(tmp_path: Path, mongo: MongoTarget) -> None:
    with black_hole() as hole:
        # Long enough for a crawl to start and be refused before it lapses (a start takes seconds, and
        # many more on a loaded machine).
        dead = start_crawl(mongo, tmp_path / "dead-host", hole.url, "SITE_LEASE_SECONDS=30", "DOWNLOAD_TIMEOUT=60")
        try:
            wait_until_fetching(dead, hole.fetching)
        finally:
            dead.send_signal(signal.SIGKILL)  # the host dies: nothing releases the lease
            stop(dead, tmp_path / "dead-host")
    # Another host's: this host judges no other host's process (one of this host's own it would take over at once).
    held = mongo.db[COLLECTION].find_one({"_id": "asiaplus"})
    mongo.db[COLLECTION].update_one({"_id": "asiaplus"}, {"$set": {
        "holder": str(held["holder"]).replace(socket.gethostname(), "dead-host", 1)}})
    with serve(REPLICAS / "asiaplus") as server:
        base_url = f"base_url=http://127.0.0.1:{server.server_port}"
        early = run_crawl("asiaplus", base_url, settings=QUIET, env=mongo.env(), data_dir=tmp_path / "next-host",
                          timeout=60)
        assert early.returncode == 75, early.stderr[-3000:]
        expires = float(mongo.db[COLLECTION].find_one({"_id": "asiaplus"})["expires"])
        assert time.time() < expires, "the refused run must have ended before the expiry"
        time.sleep(max(0.0, expires - time.time() + 0.2))
        late = run_crawl("asiaplus", base_url, settings=QUIET, env=mongo.env(), data_dir=tmp_path / "next-host",
                         timeout=120)
    assert late.returncode == 0, late.stderr[-3000:]
    assert mongo.db.articles.count_documents({"site": "asiaplus"}) > 0
    # The killed host's record stays "running" (scrapy report reads it as abandoned once it is not updated).
    assert [r["outcome"] for r in mongo.db.crawl_runs.find(sort=[("started_at", 1)])] == ["running", "skipped", "ok"]


@pytest.mark.e2e
def test_a_run_of_this_host_stopped_hard_is_taken_over_at_once(tmp_path: Path, mongo: MongoTarget) -> None:
    """Ctrl-C twice, SIGKILL, the OOM killer: the run leaves its lease unexpired. The next run on this host saw the
    site as "running" (pid of a process that was gone) and was skipped until the lease lapsed."""
    with black_hole() as hole:
        dead = start_crawl(mongo, tmp_path / "host", hole.url, "SITE_LEASE_SECONDS=600", "DOWNLOAD_TIMEOUT=60")
        try:
            wait_until_fetching(dead, hole.fetching)
        finally:
            dead.send_signal(signal.SIGKILL)
            stop(dead, tmp_path / "host")
    assert mongo.db[COLLECTION].find_one({"_id": "asiaplus"})["expires"] > time.time() + 500
    with serve(REPLICAS / "asiaplus") as server:
        again = run_crawl("asiaplus", f"base_url=http://127.0.0.1:{server.server_port}", settings=QUIET,
                          env=mongo.env(), data_dir=tmp_path / "host", timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Took over the lease of asiaplus from {socket.gethostname()}:{dead.pid}:" in again.stderr
    assert mongo.db.articles.count_documents({"site": "asiaplus"}) > 0
    assert mongo.db[COLLECTION].find_one({"_id": "asiaplus"}) is None  # released at its close


def test_only_a_gone_process_of_this_host_and_pid_namespace_is_a_dead_holder() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: no such process now
    host = socket.gethostname()
    here = {"pid_namespace": PID_NAMESPACE}
    assert PID_NAMESPACE is not None
    assert died_here({"holder": f"{host}:{gone.pid}:run", **here})
    assert not died_here({"holder": f"{host}:{os.getppid()}:run", **here})  # alive
    assert not died_here({"holder": f"{host}:{os.getpid()}:run", **here})  # this process
    assert not died_here({"holder": f"other-host:{gone.pid}:run", **here})
    assert not died_here({"holder": f"{host}:{gone.pid}:run", "pid_namespace": "pid:[1]"})  # a container's
    assert not died_here({"holder": f"{host}:{gone.pid}:run"})  # a lease of before the field: not judged
    assert not died_here({"holder": f"{host}:{'9' * 40}:run", **here})
    assert not died_here({"holder": f"shared-crawl:{host}:{gone.pid}", **here})


@pytest.mark.e2e
def test_a_crawl_whose_lease_was_taken_over_stops(tmp_path: Path, mongo: MongoTarget) -> None:
    """Its renewals failed past the expiry and another run took the site: two must not crawl it."""
    with black_hole() as hole:
        # Closing waits for requests in flight: they time out soon here.
        crawl = start_crawl(mongo, tmp_path / "host-a", hole.url, "SITE_LEASE_SECONDS=3", "DOWNLOAD_TIMEOUT=3")
        try:
            wait_until_fetching(crawl, hole.fetching)
            mongo.db[COLLECTION].update_one({"_id": "asiaplus"}, {"$set": {"holder": "other-host:1:run"}})
            crawl.wait(timeout=60)
        finally:
            log = stop(crawl, tmp_path / "host-a")
    assert "Lost the lease of asiaplus to another crawl" in log, log[-3000:]
    assert crawl.returncode == 1
    assert mongo.db.crawl_runs.find_one()["finish_reason"] == "site_lease_lost"
    assert mongo.db[COLLECTION].find_one({"_id": "asiaplus"})["holder"] == "other-host:1:run"  # not released


# -- the lease calls on both stores ------------------------------------------------------------------

def check_lease_calls(store: ArticleStore) -> None:
    ours, theirs = Lease("asiaplus", "host-a:1:run", 10), Lease("asiaplus", "host-b:2:run", 10)
    now = time.time()
    assert acquire(store, ours, now)
    assert acquire(store, ours, now + 1)  # already ours: taken again (a renewal)
    assert not acquire(store, theirs, now + 5)  # ours runs until now + 11
    assert holder(store, "asiaplus")["holder"] == "host-a:1:run"  # type: ignore[index]
    assert renew(store, ours, now + 8)  # now until now + 18
    assert not acquire(store, theirs, now + 15)
    assert not renew(store, theirs, now + 15) and not release(store, theirs)  # not theirs to touch
    assert acquire(store, theirs, now + 18.5)  # ours lapsed: taken over
    assert not renew(store, ours, now + 19)  # and we know we lost it
    assert not release(store, ours)
    assert holder(store, "asiaplus")["holder"] == "host-b:2:run"  # type: ignore[index]
    assert acquire(store, Lease("kun", "host-a:1:run", 10), now + 19)  # one lease per site
    assert acquire(store, Lease("gazeta", "host-a:1:run", 10), now + 19)  # the same holder: its own document
    assert holder(store, "gazeta")["holder"] == "host-a:1:run"  # type: ignore[index]
    assert holder(store, "kun")["holder"] == "host-a:1:run"  # type: ignore[index]
    assert release(store, theirs)
    assert holder(store, "asiaplus") is None
    assert acquire(store, ours, now + 20)  # released: free at once


def test_the_lease_calls_on_the_embedded_store(tmp_path: Path) -> None:
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:
        check_lease_calls(store)
    finally:
        store.close()


@pytest.mark.e2e
def test_the_lease_calls_on_mongodb(mongo: MongoTarget) -> None:
    store = ArticleStore.connect(StoreTarget(uri=mongo.uri, database=mongo.database, data_dir=""))
    try:
        check_lease_calls(store)
    finally:
        store.close()


@pytest.mark.e2e
def test_with_storage_off_the_lock_is_a_file_in_data_dir(tmp_path: Path) -> None:
    """No store to hold a lease in: one host's crawls of a site share the flock on DATA_DIR/locks/<site>.lock."""
    (tmp_path / "locks").mkdir()
    holder_process = subprocess.Popen(["flock", str(tmp_path / "locks" / "asiaplus.lock"), "sleep", "30"])
    try:
        time.sleep(0.3)
        result = run_crawl("asiaplus", "base_url=http://127.0.0.1:9", settings=[*QUIET, "STORAGE_ENABLED=0"],
                           env={}, data_dir=tmp_path, timeout=60)
    finally:
        holder_process.kill()
        holder_process.wait()
    assert result.returncode == 75, result.stderr[-3000:]
    assert "Another crawl of asiaplus is running on this host; skipping this one" in result.stderr
