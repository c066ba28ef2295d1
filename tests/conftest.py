"""Shared fixtures: replica sites on loopback, a MongoDB-compatible server, ``crawl_into_store``
for the real ``scrapy crawl``, and the ``e2e`` mark put on every test that uses them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pymongo
import pytest
import redis

from tests.crawling import FAST as FAST
from tests.crawling import ROOT as ROOT
from tests.crawling import RUNNING, MongoTarget, StoreCrawl, fresh_database, require_e2e
from tests.crawling import run_crawl as run_crawl
from tests.crawling import store_env as store_env
from tests.replica.server import serve
from tests.replicas import REPLICAS

# A test using any of these (directly or through another fixture) is end to end.
E2E_FIXTURES = {"mongo_uri", "asiaplus_replica", "crawl_into_store"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``e2e`` every test that reaches a server or a crawl through a fixture, including tests
    parametrized onto the ``"mongo"`` backend (they ask for ``mongo`` with ``getfixturevalue``)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())) or "mongo" in params.values():
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Tell :func:`tests.crawling.require_e2e` whether the running test is marked ``e2e``."""
    RUNNING.e2e = item.get_closest_marker("e2e") is not None
    try:
        return (yield)
    finally:
        RUNNING.e2e = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_mongo(uri: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nx-27017 exited: {log.read_text(errors='replace')[-2000:]}")
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)  # type: ignore[type-arg]
        try:
            client.admin.command("ping")
            return
        except pymongo.errors.PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
    raise RuntimeError("nx-27017 did not answer within 30 s")


def start_nx27017(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """Start an nx-27017 server on ``port`` with its data under ``workdir``; returns once it answers."""
    require_e2e("an nx-27017 server")
    executable = shutil.which("nx-27017") or str(Path(sys.executable).parent / "nx-27017")
    log = workdir / "server.log"
    process = subprocess.Popen(
        [executable, "--data-dir", str(workdir / "data"), "-p", str(port),
         "--pid-file", str(workdir / "pid"), "--log-file", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        _wait_for_mongo(f"mongodb://127.0.0.1:{port}", process, log)
    except RuntimeError:
        kill(process)
        raise
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)  # nx-27017 may ignore SIGTERM while busy
    process.wait()


@contextmanager
def running_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway ``redis-server`` on a free loopback port (no persistence), SIGKILLed after: its URL and process."""
    require_e2e("a redis-server")
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        for _ in range(100):
            with suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        kill(process)


@pytest.fixture
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A fresh redis-server per test: its URL and process (a test may kill it)."""
    try:
        with running_redis() as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def redis_url(redis_server: tuple[str, subprocess.Popen[bytes]]) -> str:
    return redis_server[0]


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``MONGO_URI`` when set (a real MongoDB), else an nx-27017 server on a free port."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    port = free_port()
    process = start_nx27017(tmp_path_factory.mktemp("nx27017"), port)
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        kill(process)


@pytest.fixture
def mongo(mongo_uri: str) -> Iterator[MongoTarget]:
    """A fresh database on the test server, dropped afterwards."""
    require_e2e("the MongoDB server")  # also asked for with getfixturevalue, past the collection-time mark
    with fresh_database(mongo_uri) as target:
        yield target


@pytest.fixture
def crawl_into_store(mongo: MongoTarget, tmp_path: Path) -> StoreCrawl:
    """``crawl(spider, *args, replica=DIR, settings=[...], env={...}) -> CrawlResult``: the real
    ``scrapy crawl`` into this test's fresh database (``mongo``)."""
    return StoreCrawl(mongo, tmp_path / "crawls")


@pytest.fixture
def asiaplus_replica() -> Iterator[tuple[str, list[str]]]:
    """The asiaplus.news replica on a free port: (base URL, list of requested paths)."""
    with serve(REPLICAS / "asiaplus") as server:
        yield f"http://127.0.0.1:{server.server_port}", server.requests  # type: ignore[attr-defined]


CountCalls = Callable[[object, str], list[tuple[Any, ...]]]


@pytest.fixture
def count_calls(monkeypatch: pytest.MonkeyPatch) -> CountCalls:
    """``count_calls(module, "name")``: the positional arguments of each call of ``module.name`` from then on, in a
    list (the function still runs): how a test says a page is walked once, or a stage skipped."""

    def count(owner: object, name: str) -> list[tuple[Any, ...]]:
        calls: list[tuple[Any, ...]] = []
        real = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
        return calls

    return count


@pytest.fixture
def byline_searches(count_calls: CountCalls) -> list[tuple[Any, ...]]:
    """One entry for each byline search the authors reader makes from then on."""
    from crawler.extract import authors

    return count_calls(authors, "_byline")
