"""One crawl, many workers (``REDIS_URL``): real ``scrapy crawl`` workers on a generated site served
slowly on loopback, a real ``redis-server`` and nx-27017. A worker SIGKILLed mid-run loses nothing
(its taken requests go back), a worker stopped gracefully leaves the queue to the others, all exit
by themselves once the shared crawl is done, and an unreachable Redis is one clear line and exit 1."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from crawler.bench.replica_server import running
from tests import endless_site as site
from tests.conftest import free_port
from tests.crawling import FAST, ROOT, STORE_VARIABLES, MongoTarget, run_crawl, started, wait_while_running

ARTICLES = 90
PAGE_SECONDS = 0.4  # each article page is slow, so a kill lands mid-run
# A worker is taken for dead after 8 s without a beat: long enough that a worker of a loaded machine
# (extraction inline here, EXTRACTION_WORKERS=0) is not, short enough for a killed one's work to return soon.
WORKER = ["ROBOTSTXT_OBEY=0", "BROWSER_ENABLED=0", "EXTRACTION_WORKERS=0", "FRONTIER_IDLE_SECONDS=2",
          "FRONTIER_WORKER_TIMEOUT=8", "FRONTIER_SETTLE_SECONDS=2", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
          "FRONTIER_REDIS_WAIT_SECONDS=2"]
pytestmark = pytest.mark.e2e


class SlowHandler(site.EndlessHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/news/"):
            time.sleep(PAGE_SECONDS)
        super().do_GET()


@contextmanager
def slow_site() -> Iterator[tuple[str, Counter[str]]]:
    """The generated site (one gzipped sitemap of ``ARTICLES`` articles): its base URL and requests per path."""
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    server.requests = Counter()  # type: ignore[attr-defined]
    server.big = site.big_sitemap(ARTICLES)  # type: ignore[attr-defined]
    with running(server):
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]


def start_worker(config: Path, base_url: str, env: dict[str, str],
                 settings: list[str] = WORKER) -> subprocess.Popen[str]:
    """One worker: the real ``scrapy crawl news`` with its own DATA_DIR, in the background."""
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config}", "-a", f"base_url={base_url}",
               "-a", "since=2020-01-01"]
    for setting in [*FAST, *settings]:
        command += ["-s", setting]
    full_env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    full_env.update(DATA_DIR=tempfile.mkdtemp(prefix="crawl-data-"), **env)
    return started(subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL))


def config(tmp_path: Path) -> Path:
    return site.write_config(tmp_path, f'sitemaps = ["https://{site.DOMAIN}/big-sitemap.xml.gz"]', robots=False)


def wait_for_articles(requests: Counter[str], n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(c for p, c in requests.items() if p.startswith("/news/")) < n:
        assert time.monotonic() < deadline, f"the workers fetched too little: {requests}"
        time.sleep(0.05)


def wait_until_holding(url: str, worker: subprocess.Popen[str], timeout: float = 60) -> int:
    """Until ``worker`` holds requests in flight in the shared crawl (its in-flight hash in Redis); how many."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while True:
        held = sum(int(client.hlen(key)) for key in client.scan_iter(f"news:endless:*:inflight:*.{worker.pid}.*"))
        if held:
            return held
        assert time.monotonic() < deadline and worker.poll() is None, "the worker never took a request"
        time.sleep(0.05)


def finish(workers: list[subprocess.Popen[str]], timeout: float = 90) -> list[tuple[int, str]]:
    """Each worker's exit code and log, once it exited by itself (killed after ``timeout``: a failure)."""
    results = []
    for worker in workers:
        try:
            _, log = worker.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, log = worker.communicate()
            pytest.fail(f"a worker never exited by itself: {log[-3000:]}")
        results.append((worker.returncode, log))
    return results


def stored(mongo: MongoTarget) -> Counter[str]:
    return Counter(doc["url"] for doc in mongo.db.articles.find({}, {"url": 1}))


def expected_urls() -> set[str]:
    return {f"https://{site.DOMAIN}/news/{n}/" for n in range(ARTICLES)}


def test_a_killed_worker_loses_nothing_and_the_others_end_by_themselves(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    env = mongo.env(REDIS_URL=redis_url)
    with slow_site() as (base_url, requests):
        workers = [start_worker(config(tmp_path), base_url, env)]
        wait_for_articles(requests, 1)  # the first seeds; the others join its crawl
        workers += [start_worker(config(tmp_path), base_url, env) for _ in range(2)]
        wait_for_articles(requests, 20)
        victim = workers.pop(1)
        wait_until_holding(redis_url, victim)
        time.sleep(1)  # it fetched a few and holds more
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
        results = finish(workers)
        fetched = Counter({p: c for p, c in requests.items() if p.startswith("/news/")})
    for code, log in results:
        assert code == 0, log[-3000:]
        assert "Traceback" not in log, log[-5000:]
    requeued = sum(int(n) for _, log in results for n in re.findall(r"Requeued (\d+) requests of a dead worker", log))
    assert requeued > 0, "no worker took the dead one's requests back"
    documents = stored(mongo)
    assert set(documents) == expected_urls()
    assert max(documents.values()) == 1
    assert len(fetched) == ARTICLES
    # Fetched twice: only what the dead worker held (taken, or finished in its last settle seconds).
    assert sum(c - 1 for c in fetched.values()) <= requeued, fetched


def test_a_worker_stopped_gracefully_leaves_the_queue_to_the_others(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    env = mongo.env(REDIS_URL=redis_url)
    with slow_site() as (base_url, requests):
        workers = [start_worker(config(tmp_path), base_url, env)]
        wait_for_articles(requests, 1)
        workers.append(start_worker(config(tmp_path), base_url, env))
        wait_for_articles(requests, 20)
        # The shared crawl holds the site's lease for all its workers: a crawl outside it is still refused.
        alone = run_crawl("news", f"config={config(tmp_path)}", f"base_url={base_url}", env=mongo.env(),
                          settings=WORKER, timeout=60)
        assert alone.returncode == 75, alone.stderr[-3000:]
        workers[0].send_signal(signal.SIGINT)
        stopped, rest = finish(workers)
        fetched = Counter({p: c for p, c in requests.items() if p.startswith("/news/")})
    assert rest[0] == 0, rest[1][-3000:]
    assert "Traceback" not in stopped[1] + rest[1]
    assert set(stored(mongo)) == expected_urls()
    assert set(fetched) == {f"/news/{n}/" for n in range(ARTICLES)}
    assert max(fetched.values()) == 1  # a graceful stop finishes what it took: nothing is fetched twice
    client = redis.Redis.from_url(redis_url)
    assert not client.exists(f"news:{site.DOMAIN.split('.')[0]}:crawl")  # the next crawl of the site starts anew
    keys = list(client.scan_iter("*"))
    assert keys and all(key.startswith(b"news:endless:") and 0 < client.ttl(key) <= 3600 for key in keys)


class GatedSitemapHandler(SlowHandler):
    """The sitemap answers once the test opens ``server.gate`` (a joiner meets an empty queue); article
    requests are recorded with their time and User-Agent."""

    def do_GET(self) -> None:
        if "sitemap" in self.path:
            self.server.gate.wait(60)  # type: ignore[attr-defined]
        elif self.path.startswith("/news/"):
            self.server.visits.append((time.monotonic(), self.headers.get("User-Agent")))  # type: ignore[attr-defined]
        super().do_GET()




def test_a_worker_that_joined_an_empty_queue_starts_as_soon_as_work_is_queued(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    """Scrapy's engine asks an empty scheduler again only on its 5 s heartbeat: the frontier wakes it
    once the shared queue has work, so a joiner does not sit idle while the seeder's requests wait."""
    from http.server import ThreadingHTTPServer

    env = mongo.env(REDIS_URL=redis_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), GatedSitemapHandler)
    server.requests = Counter()  # type: ignore[attr-defined]
    server.visits = []  # type: ignore[attr-defined]
    server.gate = threading.Event()  # type: ignore[attr-defined]
    server.big = site.big_sitemap(ARTICLES)  # type: ignore[attr-defined]
    client = redis.Redis.from_url(redis_url)
    with running(server):
        base_url = f"http://127.0.0.1:{server.server_port}"
        workers = [start_worker(config(tmp_path), base_url, env)]
        deadline = time.monotonic() + 30
        while not client.exists(f"news:{site.DOMAIN.split('.')[0]}:crawl"):  # the seeder joined
            assert time.monotonic() < deadline and workers[0].poll() is None, "the seeder never joined"
            time.sleep(0.05)
        workers.append(start_worker(config(tmp_path), base_url, env, settings=[*WORKER, "USER_AGENT=joiner"]))
        deadline = time.monotonic() + 60
        while len(beating(client)) < 2:  # both joined and beat: the joiner's engine runs on an empty queue
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "the joiner never beat"
            time.sleep(0.05)
        time.sleep(1.0)
        server.gate.set()  # type: ignore[attr-defined]  # now the seeder reads the sitemap and queues work
        results = finish(workers)
        visits = list(server.visits)  # type: ignore[attr-defined]
    for code, log in results:
        assert code == 0, log[-3000:]
    # Woken: without it the joiner would have waited for Scrapy's 5 s heartbeat (not timed: a loaded
    # machine blurs seconds; the stat is the engine being asked at once).
    assert re.search(r"'frontier/woken': [1-9]", results[1][1]), results[1][1][-3000:]
    assert any(agent == "joiner" for _, agent in visits)
    assert set(stored(mongo)) == expected_urls()


def beating(client: redis.Redis) -> list[bytes]:
    """The workers of any crawl whose heartbeat key is alive."""
    return list(client.scan_iter(match="news:*:hb:*"))


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "paused"])
def test_redis_lost_mid_run_loses_no_stored_article(
    redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path, signum: int
) -> None:
    """Redis killed, or paused (a hung host: a call waits out its socket timeout, 1 s on the reactor): the worker
    finishes what it holds and exits by itself. Paused, it used to wait on Redis in every scheduler call, on the
    reactor: a few pages a minute, never done."""
    url, redis_process = redis_server
    env = mongo.env(REDIS_URL=url)
    with slow_site() as (base_url, requests):
        worker = start_worker(config(tmp_path), base_url, env)
        wait_for_articles(requests, 10)
        redis_process.send_signal(signum)  # a paused one is killed by the fixture
        [(code, log)] = finish([worker])
        fetched = {p for p in requests if p.startswith("/news/")}
    assert code == 1, log[-3000:]  # the run did not finish the crawl: failed, not healthy
    assert "Traceback" not in log, log[-5000:]
    assert "Lost Redis" in log
    # Every page it fetched (those in flight when Redis went included) was stored.
    assert {f"https://{site.DOMAIN}{p}" for p in fetched} == set(stored(mongo))


def test_redis_unreachable_at_start_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    url = f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0"
    result = run_crawl("news", f"config={config(tmp_path)}", "base_url=http://127.0.0.1:9", env={"REDIS_URL": url},
                       settings=[*WORKER, "STORAGE_ENABLED=0"], timeout=60)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    lines = [line for line in result.stderr.splitlines() if "Cannot reach Redis" in line]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "redis://:***@127.0.0.1" in lines[0]
    assert "s3cret-pass" not in result.stderr


def test_redis_out_of_reach_for_seconds_lets_the_workers_finish_the_crawl(
    redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path
) -> None:
    """Redis out of reach longer than a worker's timeout (paused: a failover, a restart that keeps its data), then
    back: the workers, out of work meanwhile, wait for it (``FRONTIER_REDIS_WAIT_SECONDS``) and finish the crawl
    together. Before, each ended at once (exit 1), the queue left behind; and a worker taken for dead while Redis
    was away (its heartbeat lapsed there) was no longer counted in the crawl's work nor awaited by its run record."""
    url, redis_process = redis_server
    env = mongo.env(REDIS_URL=url)
    settings = [*WORKER, "FRONTIER_WORKER_TIMEOUT=3", "FRONTIER_REDIS_WAIT_SECONDS=60"]
    with slow_site() as (base_url, requests):
        workers = [start_worker(config(tmp_path), base_url, env, settings)]
        wait_for_articles(requests, 1)
        workers.append(start_worker(config(tmp_path), base_url, env, settings))
        wait_for_articles(requests, 20)
        with redis.Redis.from_url(url) as client:  # the joiner joined (a loaded host starts it slowly): both beat
            wait_while_running(workers[-1], lambda: len(beating(client)) >= 2, "the joiner never beat")
        redis_process.send_signal(signal.SIGSTOP)
        try:
            time.sleep(10)  # both run out of work, their heartbeats lapse in Redis
        finally:
            redis_process.send_signal(signal.SIGCONT)
        results = finish(workers)
        fetched = Counter({p: c for p, c in requests.items() if p.startswith("/news/")})
    for code, log in results:
        assert code == 0, log[-3000:]
        assert "Traceback" not in log, log[-5000:]
        assert "Lost Redis" in log and "Reached Redis again" in log, log[-3000:]
    documents = stored(mongo)
    assert set(documents) == expected_urls()
    assert max(documents.values()) == 1
    assert max(fetched.values()) == 1, fetched  # neither was taken for dead by the other once Redis was back
    [crawl] = list(mongo.db.crawl_runs.find())
    # Finished, each part; the outage lost nothing: a warning, not an error (it was "errors").
    assert [p["finish_reason"] for p in crawl["workers"].values()] == ["finished"] * 2, crawl
    assert [p["outcome"] for p in crawl["workers"].values()] == ["ok"] * 2, crawl
    # The last worker to record judged the crawl on both parts.
    assert sum("(2 workers recorded)" in log for _, log in results) >= 1, [log[-2000:] for _, log in results]


class HeldSitemapHandler(SlowHandler):
    """The sitemap is answered once the test opens ``server.gate``; ``server.asked`` says it was requested."""

    def do_GET(self) -> None:
        if "sitemap" in self.path:
            self.server.asked.set()  # type: ignore[attr-defined]
            self.server.gate.wait(60)  # type: ignore[attr-defined]
        super().do_GET()


def test_a_worker_out_of_reach_of_redis_caps_what_it_holds_in_memory(
    redis_server: tuple[str, subprocess.Popen[bytes]], mongo: MongoTarget, tmp_path: Path
) -> None:
    """Redis gone before the sitemap's links come: the worker holds them in memory, and holds no more than the shared
    queue would (``DISCOVERY_MAX_QUEUED_ARTICLES``); the rest are dropped as there, its discovery ended (the next run
    reads the sitemap again). Before, it held every link a site gave during the outage: endless ones, without bound."""
    from http.server import ThreadingHTTPServer

    url, redis_process = redis_server
    cap = 10
    server = ThreadingHTTPServer(("127.0.0.1", 0), HeldSitemapHandler)
    server.requests = Counter()  # type: ignore[attr-defined]
    server.asked, server.gate = threading.Event(), threading.Event()  # type: ignore[attr-defined]
    server.big = site.big_sitemap(ARTICLES)  # type: ignore[attr-defined]
    with running(server):
        worker = start_worker(config(tmp_path), f"http://127.0.0.1:{server.server_port}", mongo.env(REDIS_URL=url),
                              settings=[*WORKER, f"DISCOVERY_MAX_QUEUED_ARTICLES={cap}"])
        wait_while_running(worker, server.asked.is_set, "the worker never asked for the sitemap")  # type: ignore[attr-defined]
        redis_process.kill()
        redis_process.wait()
        server.gate.set()  # type: ignore[attr-defined]
        [(code, log)] = finish([worker])
        fetched = {p for p in server.requests if p.startswith("/news/")}  # type: ignore[attr-defined]
    assert code == 1, log[-3000:]  # Redis never came back: the crawl is not finished
    assert "Traceback" not in log, log[-5000:]
    assert "Lost Redis" in log and "(DISCOVERY_MAX_QUEUED_ARTICLES): discovery ends" in log, log[-3000:]
    dropped = re.search(r"'discovery/skipped/queue_full': (\d+)", log)
    assert dropped, log[-3000:]
    # every link either dropped (counted) or held, then fetched and stored; the worker took some while the sitemap's
    # links were being queued, so it fetched more than the cap, but far from all
    assert len(fetched) + int(dropped.group(1)) == ARTICLES, (sorted(fetched), dropped.group(1))
    assert {f"https://{site.DOMAIN}{p}" for p in fetched} == set(stored(mongo))


def test_redis_out_of_reach_of_the_crawl_but_not_of_its_heartbeat_still_ends_the_worker(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    """The worker's pops fail for good (their connection cut, every new one refused: a process out of descriptors)
    while its heartbeat's connection, opened before, still answers. Each beat said "Reached Redis again" and restarted
    the wait for Redis, each next call on the crawl's reactor failed again: the worker never ended. Now the wait runs
    from the reactor's last answer: ``frontier_lost`` after ``FRONTIER_REDIS_WAIT_SECONDS``."""
    from crawler.frontier.shared import _POP
    from tests.relay import RefusingRelay

    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    relay = RefusingRelay(("127.0.0.1", port), hashlib.sha1(_POP.encode()).hexdigest().encode())
    try:
        with slow_site() as (base_url, _):
            worker = start_worker(config(tmp_path), base_url, mongo.env(REDIS_URL=f"redis://127.0.0.1:{relay.port}/0"))
            [(code, log)] = finish([worker])
    finally:
        relay.close()
    assert relay.cut.is_set()
    assert code == 1, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    # One outage, one line: its heartbeat reached Redis every second, each time the reactor asked again and failed
    # again ("Reached Redis again", then "Lost Redis", a pair a second before); the reactor never reached it.
    assert relay.refused >= 2 and log.count("Lost Redis") == 1 and "Reached Redis again" not in log, log[-3000:]
    assert "Redis did not come back within 2 s" in log and "Spider closed (frontier_lost)" in log, log[-3000:]


def test_redis_out_of_reach_of_the_crawl_for_seconds_is_one_lost_and_one_reached_line(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    """The worker's calls on the reactor are refused for seconds while its heartbeat's connection answers, then
    taken again: one "Lost Redis" line when it is lost, one "Reached Redis again" when the reactor's calls answer, and
    the crawl finishes. Before, each beat logged "Reached Redis again" and the reactor's next call "Lost Redis": a
    pair every second of the outage."""
    from crawler.frontier.shared import _POP
    from tests.relay import RefusingRelay

    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    relay = RefusingRelay(("127.0.0.1", port), hashlib.sha1(_POP.encode()).hexdigest().encode())
    try:
        with slow_site() as (base_url, _):
            worker = start_worker(config(tmp_path), base_url, mongo.env(REDIS_URL=f"redis://127.0.0.1:{relay.port}/0"),
                                  settings=[*WORKER, "FRONTIER_REDIS_WAIT_SECONDS=60"])
            # each a call on the reactor after a beat that reached Redis (3 beats, 3 flips before)
            wait_while_running(worker, lambda: relay.refused >= 3, "the worker did not ask the cut-off Redis again")
            relay.restore()
            [(code, log)] = finish([worker])
    finally:
        relay.close()
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    assert log.count("Lost Redis") == 1 and log.count("Reached Redis again") == 1, log[-3000:]
    assert set(stored(mongo)) == expected_urls()
