"""The crawl's one storage component: a whole ``scrapy crawl`` opens one store and makes every
store call on one thread (the incremental middleware used to open a second connection with a
thread of its own); ``open()`` tries an unreachable store once; the store is closed only after
a holder still working at ``spider_closed`` (run health, writing the run record) lets go."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scrapy.utils.test import get_crawler

from crawler.bench.replica_server import serve
from crawler.storage.component import Storage
from tests.conftest import FAST, ROOT, free_port
from tests.replicas import REPLICAS
from tests.test_pipelines import STORAGE_EXTENSIONS

# Runs ``scrapy <argv>`` with every ArticleStore call recorded: (method, thread name), printed at exit.
WATCHED_CRAWL = """
import atexit, json, sys, threading
from crawler.storage.store import ArticleStore
calls = []

def watch(name):
    original = getattr(ArticleStore, name)
    def watched(*args, **kwargs):
        calls.append((name, threading.current_thread().name))
        return original(*args, **kwargs)
    setattr(ArticleStore, name, staticmethod(watched) if name == "connect" else watched)

for name in ("connect", "known", "newest_published", "write_articles", "record_run", "latest_runs", "close"):
    watch(name)
atexit.register(lambda: sys.stderr.write("STORE CALLS " + json.dumps(calls) + "\\n"))
from scrapy.cmdline import execute
execute(["scrapy", *sys.argv[1:]])
"""


def test_a_crawl_opens_one_store_and_calls_it_on_one_thread(tmp_path: Path) -> None:
    with serve(REPLICAS / "asiaplus") as server:
        command = [sys.executable, "-c", WATCHED_CRAWL, "crawl", "asiaplus",
                   "-a", f"base_url=http://127.0.0.1:{server.server_port}"]
        for setting in FAST:
            command += ["-s", setting]
        env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "MONGO_DATABASE")}
        env |= {"DATA_DIR": str(tmp_path), "BROWSER_ENABLED": "0"}
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    calls = json.loads(result.stderr.rsplit("STORE CALLS ", 1)[1].splitlines()[0])
    methods = [method for method, _ in calls]
    assert methods.count("connect") == 1, calls
    assert methods.count("close") == 1 and methods[-1] == "close", calls  # closed once, after the run record
    assert {"known", "newest_published", "write_articles", "record_run"} <= set(methods)  # middleware, pipeline, health
    assert {thread for _, thread in calls} == {"storage_0"}, calls


def storage(settings: dict[str, object]) -> Storage:
    crawler = get_crawler(settings_dict={"EXTENSIONS": STORAGE_EXTENSIONS, **settings})
    found = crawler.get_extension(Storage)
    assert found is not None
    return found


def test_an_unreachable_store_is_tried_once() -> None:
    component = storage({"MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/", "STORAGE_TIMEOUT_SECONDS": 1})

    async def scenario() -> float:
        assert await component.open() is None
        started = time.monotonic()
        assert await component.open() is None  # no second wait for the server
        await component.spider_closed()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 0.2
    assert component.error and "127.0.0.1" in component.error


def test_the_store_closes_only_after_its_last_holder_lets_go() -> None:
    component = storage({"DATA_DIR": tempfile.mkdtemp(prefix="storage-data-")})

    async def scenario() -> None:
        store = await component.open()
        assert store is not None and await component.open() is store  # opened once
        assert component.retain()
        closing = asyncio.create_task(component.spider_closed())  # spider_closed handlers run at once
        await asyncio.sleep(0.1)
        assert not closing.done() and component.store is store
        assert await component.call(store.latest_runs) == []  # the holder still works on the storage thread
        assert not component.retain()  # nobody new once the close has begun
        component.release()
        await closing
        assert component.store is None and await component.open() is None

    asyncio.run(scenario())
