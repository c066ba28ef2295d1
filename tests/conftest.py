"""Shared fixtures: replica sites on loopback, a MongoDB-compatible server, ``crawl_into_store``
for the real ``scrapy crawl``, and the ``e2e`` mark put on every test that uses them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crawler.bench import servers
from crawler.bench.replica_server import serve
from crawler.bench.servers import free_port as free_port
from crawler.bench.servers import kill as kill
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import FAST as FAST
from tests.crawling import ROOT as ROOT
from tests.crawling import RUNNING, MongoTarget, StoreCrawl, fresh_database, reap_started, require_e2e
from tests.crawling import run_crawl as run_crawl
from tests.crawling import store_env as store_env
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


@pytest.fixture(autouse=True)
def reap_started_processes() -> Iterator[None]:
    """Every background process a test started and left running (it failed midway) is killed after it."""
    yield
    reap_started()


def start_nx27017(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """Start an nx-27017 server on ``port`` with its data under ``workdir``; returns once it answers."""
    require_e2e("an nx-27017 server")
    return servers.start_nx27017(workdir, port)


@contextmanager
def running_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway ``redis-server`` on a free loopback port (no persistence), SIGKILLed after: its URL and process."""
    require_e2e("a redis-server")
    with servers.running_redis() as server:
        yield server


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


@pytest.fixture(params=["mongo", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleStore]:
    """A store opened as a crawl opens it: on a fresh database of the test server, then an embedded one."""
    uri, database = "", "news"
    if request.param == "mongo":
        target = request.getfixturevalue("mongo")
        uri, database = target.uri, target.database
    opened = ArticleStore.connect(StoreTarget(uri, database, str(tmp_path)))
    try:
        yield opened
    finally:
        opened.close()


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
