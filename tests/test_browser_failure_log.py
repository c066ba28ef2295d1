"""A site rendered in Chromium that is down fills no log: each page that got no answer (its port refused, its server
silent past the navigation timeout) is one line, with its URL and the reason, and is counted as before
(``download/failed/<kind>``). scrapy-playwright logged each with a traceback, at warning; tracebacks are for bugs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import CrawlResult, log_excerpt, unit_crawl, wait_while_running
from tests.hostile_site import article
from tests.test_browser import requires_chromium
from tests.test_browser_traps import feed_and_config

SLUGS = ["a0", "a1", "a2"]
TIMEOUT_S = 3
# HOST_DOWN_AFTER=0: every page goes to Chromium (a host found down would fail the rest unsent); a download delay
# leaves the test the time to close the server between the feed and the first article
SETTINGS = ["ROBOTSTXT_OBEY=0", "HOST_DOWN_AFTER=0", "DOWNLOAD_DELAY=2", "DOWNLOAD_DELAY_JITTER=0",
            f"DOWNLOAD_TIMEOUT={TIMEOUT_S}", f"PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT={TIMEOUT_S * 1000}"]


def build(root: Path, delay: float) -> Path:
    """Articles the replica answers ``delay`` s late; the config (every page rendered in Chromium)."""
    for slug in SLUGS:
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(article(slug), encoding="utf-8")
    (root / "_server.json").write_text(json.dumps({"paths": {f"/news/{slug}/": {"delay": delay} for slug in SLUGS}}))
    return feed_and_config(root, SLUGS)


def crawl_a_site_down(tmp_path: Path, down: str) -> CrawlResult:
    """A crawl whose articles are refused (the server closed once the feed was read) or answered too late."""
    root = tmp_path / "site"
    config = build(root, 0 if down == "refused" else 4 * TIMEOUT_S)
    with serve(root) as server, unit_crawl("news", f"config={config}",
                                           f"base_url=http://127.0.0.1:{server.server_port}",
                                           data_dir=tmp_path / "data", settings=SETTINGS) as crawl:
        if down == "refused":
            answers = server.answers  # type: ignore[attr-defined]
            wait_while_running(crawl, lambda: any(path.startswith("/feed") for path, _ in list(answers)), "no feed")
            server.shutdown()
            server.server_close()
        log, _ = crawl.communicate(timeout=120)
    return CrawlResult(crawl.returncode, "", log, tmp_path / "data")


@requires_chromium
@pytest.mark.e2e  # Chromium, scrapy crawl
@pytest.mark.parametrize(("down", "kind", "failed"), [
    ("refused", "connection", len(SLUGS) + 1),  # and robots.txt (read for its sitemaps, not in Chromium)
    ("timeout", "timeout", len(SLUGS)),
])
def test_each_page_of_a_site_down_is_one_line(tmp_path: Path, down: str, kind: str, failed: int) -> None:
    result = crawl_a_site_down(tmp_path, down)
    log = result.log
    assert "Traceback" not in log, log_excerpt(log)
    assert result.stats[f"download/failed/{kind}"] == failed, log[-3000:]
    said = [line for line in log.splitlines() if re.search(r"\] (INFO|WARNING|ERROR): .*/news/a\d/", line)]
    for slug in SLUGS:
        lines = [line for line in said if f"/news/{slug}/" in line]
        assert len(lines) == 1 and f": {kind} (" in lines[0], said
