"""A crashed tab gives its place among the context's tabs back once. scrapy-playwright gave it back on the tab's crash
and again on its close: each crash let one tab more than ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` open at once
(:mod:`crawler.browser_tabs`). Seen from the server: with one tab per context, a page whose tab crashes (a memory bomb
over ``BROWSER_JS_HEAP_MB``, tried once more) among articles answered slowly, never two articles in flight at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.bench.replica_server import ReplicaHandler, running
from tests.crawling import MongoTarget, StoreCrawl, log_excerpt
from tests.hostile_site import article
from tests.test_browser import requires_chromium
from tests.test_browser_traps import SCRIPTS, feed_and_config

GOOD = [f"g{n}" for n in range(4)]
ANSWER_S = 1.5  # each good article is answered that late: two tabs open at once would overlap at the server
SETTINGS = ["ROBOTSTXT_OBEY=0", "RETRY_ENABLED=0", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=1",
            "CONCURRENT_REQUESTS_PER_DOMAIN=8", "HOST_DOWN_AFTER=0", "DOWNLOAD_TIMEOUT=20",
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=20000"]


class ArticlesInFlight:
    """The most article requests the server was answering at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    @contextmanager
    def one(self, path: str) -> Iterator[None]:
        counted = path.startswith("/news/")
        with self.lock:
            self.now += counted
            self.most = max(self.most, self.now)
        try:
            yield
        finally:
            with self.lock:
                self.now -= counted


class CountingHandler(ReplicaHandler):
    def do_GET(self) -> None:
        with self.server.in_flight.one(self.path):  # type: ignore[attr-defined]
            super().do_GET()


@contextmanager
def counting_server(root: Path) -> Iterator[ThreadingHTTPServer]:
    """The replica server of ``root`` (as :func:`~crawler.bench.replica_server.serve` makes it), counting the article
    requests in flight (``in_flight``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingHandler, root=root.resolve()))
    for name, value in {"gate": None, "held": [], "requests": [], "answers": [], "delay": 0.0, "throttled": {},
                        "served": {}, "in_flight": ArticlesInFlight()}.items():
        setattr(server, name, value)
    with running(server):
        yield server


@requires_chromium
@pytest.mark.e2e  # Chromium, scrapy crawl
def test_a_crashed_tab_lets_no_second_tab_open(tmp_path: Path, mongo: MongoTarget,
                                               crawl_into_store: StoreCrawl) -> None:
    root = tmp_path / "site"
    pages = {"bomb": article("bomb", extra=f"<script>{SCRIPTS['memory']}</script>"),
             **{slug: article(slug) for slug in GOOD}}
    for slug, html in pages.items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(html, encoding="utf-8")
    (root / "_server.json").write_text(json.dumps({"paths": {f"/news/{slug}/": {"delay": ANSWER_S} for slug in GOOD}}))
    config = feed_and_config(root, [*GOOD, "bomb"])  # the bomb first: the crawl takes the feed's last item first
    with counting_server(root) as server:
        result = crawl_into_store("news", f"config={config}", f"base_url=http://127.0.0.1:{server.server_port}",
                                  settings=SETTINGS, env={"BROWSER_JS_HEAP_MB": "64"}, timeout=300)
    stats = result.stats
    assert "Traceback" not in result.log, log_excerpt(result.log)
    assert stats["download/failed/page_crashed"] == 1, stats  # crashed on both tries
    assert stats["storage/inserted"] == len(GOOD), result.log[-3000:]
    assert server.in_flight.most == 1  # type: ignore[attr-defined]  # scrapy-playwright's accounting: 2
