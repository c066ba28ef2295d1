"""A Chromium that stops answering under the crawl (SIGSTOP: a browser wedged, swapped out, its renderer hung): every
page fails within its deadline, counted and logged, and the crawl ends. Before, opening a tab (``new_page``) had no
deadline and a tab whose context would not close kept its place among the context's tabs for good: the crawl
waited forever. A page that never got as far as its request is no sign of its host down."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import CrawlResult, unit_crawl, wait_while_running
from tests.hostile_site import article
from tests.test_browser import _comm, _descendants, chromium_browsers, requires_chromium
from tests.test_browser_traps import feed_and_config

SLUGS = [f"a{n}" for n in range(4)]
TIMEOUT_S = 3  # the navigation's; a page's deadline is twice that
SETTINGS = ["ROBOTSTXT_OBEY=0", "RETRY_ENABLED=0", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=1", "HOST_DOWN_AFTER=2",
            f"DOWNLOAD_TIMEOUT={TIMEOUT_S}", f"PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT={TIMEOUT_S * 1000}"]
KILL_SETTINGS = ["ROBOTSTXT_OBEY=0", "RETRY_ENABLED=0", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=1"]


def build(root: Path, delay: float = 20) -> Path:
    """Articles that the replica answers ``delay`` s late (a request stays in flight while Chromium is stopped or
    killed); the config."""
    for slug in SLUGS:
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(article(slug), encoding="utf-8")
    paths = {f"/news/{slug}/": {"delay": delay} for slug in SLUGS}
    (root / "_server.json").write_text(json.dumps({"paths": paths}))
    return feed_and_config(root, SLUGS)


@contextlib.contextmanager
def crawl_with_an_article_in_flight(tmp_path: Path, delay: float,
                                    settings: list[str]) -> Iterator[tuple[subprocess.Popen[str], Any]]:
    """A browser crawl of the articles (answered ``delay`` s late) once the first reached the replica: the crawl and
    the paths the replica served."""
    root = tmp_path / "site"
    config = build(root, delay)
    with serve(root) as server, unit_crawl("news", f"config={config}",
                                           f"base_url=http://127.0.0.1:{server.server_port}",
                                           data_dir=tmp_path / "data", settings=settings) as crawl:
        served = server.served  # type: ignore[attr-defined]
        wait_while_running(crawl, lambda: any(path.startswith("/news/") for path in list(served)),
                           "no article reached Chromium")
        yield crawl, served


def stop_chromium(crawl: subprocess.Popen[str]) -> list[int]:
    """SIGSTOP every Chromium process of the crawl; their pids."""
    stopped = [pid for pid in _descendants(crawl.pid) if _comm(pid).startswith("chromium")]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    return stopped


@requires_chromium
@pytest.mark.e2e  # Chromium, scrapy crawl
def test_a_chromium_that_stops_answering_fails_every_page_and_the_crawl_ends(tmp_path: Path) -> None:
    """An article's request is in flight (its one tab of the context taken) when Chromium stops: its page
    fails at its deadline, its tab and context never closing; each next page fails as its tab never opens."""
    stopped: list[int] = []
    try:
        with crawl_with_an_article_in_flight(tmp_path, 20, SETTINGS) as (crawl, served):
            stopped = stop_chromium(crawl)
            assert stopped
            log, _ = crawl.communicate(timeout=150)  # before: it never ended
    finally:
        for pid in stopped:  # the driver has killed them as it ended, unless the crawl hung
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    stats = CrawlResult(crawl.returncode, "", log, tmp_path / "data").stats
    assert stats["finish_reason"] == "finished", log[-6000:]  # exit code 1: its health failed, no article stored
    assert len([path for path in served if path.startswith("/news/")]) == 1  # the one in flight as Chromium stopped
    failed = {key: value for key, value in stats.items() if key.startswith(("download/", "browser/"))}
    # the first page's request went out: no answer is a timeout; the others never got as far as theirs
    assert stats["download/failed/timeout"] == 1, failed
    assert stats["download/failed/browser_stalled"] == len(SLUGS) - 1, failed
    assert stats["browser/deadline_exceeded"] == len(SLUGS), failed
    assert "download/host_down" not in stats, failed
    assert "did not close" in log  # the first page's tab, and its context


@requires_chromium
@pytest.mark.e2e  # Chromium, scrapy crawl
def test_chromium_killed_while_pages_wait_for_a_tab_renders_them_all(tmp_path: Path) -> None:
    """Chromium killed with one article in flight and the others waiting for the context's one tab: Playwright tells
    of each tab's close before its context's and its browser's, so the waiters get their places in the old context,
    fail to open a tab there and are tried once more in a new browser (scrapy-playwright looked the context up by name
    as a tab closed; each place is now given back to the context it was taken from)."""
    with crawl_with_an_article_in_flight(tmp_path, 2, KILL_SETTINGS) as (crawl, _):
        browsers = chromium_browsers(crawl.pid)
        for pid in browsers:
            os.kill(pid, signal.SIGKILL)
        log, _ = crawl.communicate(timeout=150)
    stats = CrawlResult(crawl.returncode, "", log, tmp_path / "data").stats
    assert browsers and stats["playwright/browser_count"] == 2, log[-6000:]
    assert stats["storage/inserted"] == len(SLUGS), log[-6000:]
