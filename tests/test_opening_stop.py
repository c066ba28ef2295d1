"""A SIGTERM (systemd, a Scrapyd cancel, crawlall's stop) or Ctrl-C that comes while the spider is still opening
(store, migrations, key tables, the site lease: seconds on a big store) closes it gracefully once it is open:
"Spider closed (shutdown)", its run record closed, its lease released. Before, the process exited at once,
its run left "running" and the site held until the lease lapsed. A second signal still forces the exit."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import unit_crawl, wait_while_running
from tests.opening_gate import HELD, gate_settings
from tests.replica.server import serve
from tests.replicas import REPLICAS

pytestmark = pytest.mark.e2e
SITE = "asiaplus"


def store_state(data_dir: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The newest run record and the site's lease in the embedded store of ``data_dir``."""
    from crawler.storage.lease import holder  # the crawler's own readers
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data_dir)))
    try:
        return next(iter(store.latest_runs(1)), None), holder(store, SITE)
    finally:
        store.close()


@contextmanager
def held_opening(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, Path, list[str]]]:
    """A crawl whose opening is held (its lease taken, its run recorded "running"); its log, gate and served paths."""
    log, gate, data_dir = tmp_path / "crawl.log", tmp_path / "gate", tmp_path / "data"
    with serve(REPLICAS / SITE) as server, unit_crawl(
        SITE, f"base_url=http://127.0.0.1:{server.server_port}", data_dir=data_dir,
        settings=[*gate_settings(gate), f"LOG_FILE={log}", "RUN_RECORD_INTERVAL_SECONDS=1"],
    ) as crawl:
        wait_while_running(crawl, lambda: log.exists() and HELD in log.read_text(), "the opening was never held")
        wait_while_running(crawl, lambda: (store_state(data_dir)[0] or {}).get("outcome") == "running",
                           "no running record")
        assert store_state(data_dir)[1] is not None, "the site is not held"
        yield crawl, log, gate, list(server.requests)  # type: ignore[attr-defined]


def test_sigterm_while_the_spider_opens_closes_it_gracefully_once_open(tmp_path: Path) -> None:
    with held_opening(tmp_path) as (crawl, log, gate, requests):
        os.killpg(crawl.pid, signal.SIGTERM)
        wait_while_running(crawl, lambda: "Received SIGTERM" in log.read_text(), "the SIGTERM was not received")
        gate.touch()  # the opening ends
        crawl.communicate(timeout=90)
        text = log.read_text()
        assert crawl.returncode == 1, text[-3000:]  # a stopped run is "failed" (crawler.commands.crawl)
        assert "Spider closed (shutdown)" in text, text[-3000:]
        assert not [path for path in requests if "robots" not in path]  # the engine never ran: nothing crawled
    run, lease = store_state(tmp_path / "data")
    assert run is not None and run["finish_reason"] == "shutdown" and run["outcome"] == "failed", run
    assert lease is None  # released at once: the next run need not wait SITE_LEASE_SECONDS


def test_a_second_sigterm_while_the_spider_opens_forces_the_exit(tmp_path: Path) -> None:
    with held_opening(tmp_path) as (crawl, log, _gate, _requests):
        os.killpg(crawl.pid, signal.SIGTERM)
        wait_while_running(crawl, lambda: "Received SIGTERM" in log.read_text(), "the SIGTERM was not received")
        os.killpg(crawl.pid, signal.SIGTERM)
        crawl.communicate(timeout=30)  # the gate stays shut: only the forced exit ends the crawl
        text = log.read_text()
        assert crawl.returncode == 1, text[-3000:]
        assert "forcing unclean shutdown" in text and "Spider closed" not in text, text[-3000:]
