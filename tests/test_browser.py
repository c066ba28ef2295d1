"""Pages that need JavaScript: the kazinform replica renders its article bodies
only in the browser; the real Chromium must be driven to store them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.bench.replica_server import resolve, serve
from crawler.browser import looks_like_script_shell
from crawler.htmltree import is_cut
from crawler.middlewares.incremental import ARTICLE_URL_META, REVISIT_META, revisit_meta
from crawler.sites import SITES_DIR_NAME
from crawler.spiders.sites import AsiaplusSpider  # type: ignore[attr-defined]
from tests.crawling import MongoTarget, StoreCrawl, log_excerpt, stop_unit, unit_crawl, wait_while_running
from tests.replicas import REPLICAS, expected_articles, page_file

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
requires_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("REQUIRE_BROWSER"),
    reason=f"{CHROMIUM} is not installed (apt-get install chromium)",
)
JS_SITE = "kazinform"
ASIAPLUS_URL = "https://asiaplus.news/2025/03/14/v-dushanbe-obsudili-razvitie-gidroenergetiki/"
SHELL = (b"<html><head><title>Asia-Plus</title><script src='/app.js'></script></head>"
         b"<body><div id='root'></div></body></html>")


def test_the_js_replica_serves_script_shells() -> None:
    """Guard on the fixture itself: served pages are shells, recorded renderings are not."""
    root = (REPLICAS / JS_SITE).resolve()
    for url in expected_articles(JS_SITE):
        served = resolve(root, urlsplit(url).path)
        assert served is not None and looks_like_script_shell(served.read_text(encoding="utf-8")), url
        assert not looks_like_script_shell(page_file(JS_SITE, url).read_text(encoding="utf-8")), url


def test_a_minified_shell_without_its_optional_end_tags_is_still_rendered() -> None:
    """Minifiers drop the optional ``</body></html>``: such a shell is no cut page and is still sent to Chromium."""
    root = (REPLICAS / JS_SITE).resolve()
    for url in expected_articles(JS_SITE):
        served = resolve(root, urlsplit(url).path)
        assert served is not None
        minified = re.sub(r"(?i)</(body|html)>\s*", "", served.read_text(encoding="utf-8")).rstrip()
        assert looks_like_script_shell(minified), url
        assert not is_cut(minified.encode()), url


@requires_chromium
def test_a_revisit_of_a_script_shell_is_retried_in_chromium_as_a_revisit() -> None:
    """The browser retry of a revisited article keeps the revisit meta: its 304/404/410 is the stored article's."""
    crawler = get_crawler(AsiaplusSpider, settings_dict={"EXTRACTION_WORKERS": 0})
    spider = AsiaplusSpider.from_crawler(crawler)
    revisit = Request(ASIAPLUS_URL, meta={ARTICLE_URL_META: ASIAPLUS_URL, **revisit_meta({REVISIT_META: "a1"})})
    response = HtmlResponse(ASIAPLUS_URL, body=SHELL, encoding="utf-8", request=revisit)
    (retry,) = asyncio.run(_collect(spider.parse_article(response, seen_as=ASIAPLUS_URL)))
    assert isinstance(retry, Request) and retry.meta["playwright"]
    assert retry.meta[REVISIT_META] == "a1" and retry.meta["handle_httpstatus_list"] == [304, 404, 410]
    assert crawler.stats.get_value("browser/retried") == 1  # type: ignore[union-attr]


@requires_chromium
def test_js_site_bodies_are_stored_only_through_chromium(mongo: MongoTarget, crawl_into_store: StoreCrawl) -> None:
    stats = crawl_into_store(JS_SITE, replica=REPLICAS / JS_SITE, timeout=180, expect=0).stats
    want = expected_articles(JS_SITE)
    docs = {doc["url"]: doc for doc in mongo.db.articles.find()}
    assert set(docs) == set(want)
    for url, fields in want.items():
        assert docs[url]["paragraphs"] == fields["paragraphs"]
    assert stats["browser/rendered"] == len(want)
    assert stats["playwright/page_count"] >= len(want)


def test_without_the_browser_the_js_site_stores_nothing(mongo: MongoTarget, crawl_into_store: StoreCrawl) -> None:
    stats = crawl_into_store(JS_SITE, replica=REPLICAS / JS_SITE, settings=["BROWSER_ENABLED=0"], timeout=180,
                             expect=3).stats  # degraded: bodies missing
    assert mongo.db.articles.count_documents({}) == 0
    assert stats["validation/dropped/missing/body"] == len(expected_articles(JS_SITE))


@requires_chromium
def test_a_script_shell_is_retried_in_chromium_and_the_site_remembered(mongo: MongoTarget, tmp_path: Path,
                                                                      crawl_into_store: StoreCrawl) -> None:
    config = (Path(SITES_DIR_NAME) / f"{JS_SITE}.toml").read_text(encoding="utf-8")
    unmarked = tmp_path / "unmarked.toml"
    unmarked.write_text(re.sub(r"(?m)^needs_browser\s*=\s*true", "needs_browser = false", config), encoding="utf-8")
    stats = crawl_into_store("news", f"config={unmarked}", replica=REPLICAS / JS_SITE, timeout=180, expect=0).stats
    assert mongo.db.articles.count_documents({}) == len(expected_articles(JS_SITE))
    assert stats["browser/site_switched"] == 1
    assert 1 <= stats["browser/retried"] <= len(expected_articles(JS_SITE))
    assert stats["browser/rendered"] == len(expected_articles(JS_SITE))


async def _collect(results: AsyncIterator[Any]) -> list[Any]:
    return [result async for result in results]


def _children(pid: int) -> list[int]:
    """The processes ``pid``'s threads started, read from /proc (none once it has ended)."""
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += map(int, (task / "children").read_text().split())
    return children


def _descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (children, theirs, ...), read from /proc."""
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


def chromium_browsers(pid: int) -> list[int]:
    """The Chromium browser processes under ``pid``: the topmost processes running Chromium's binary that are no
    zygote, renderer or utility process (``--type=…``) left by a browser killed a moment ago (taken in by an ancestor
    until they end). Not what runs under a browser (each a fork of it for a moment), nor Debian's ``/usr/bin/chromium``
    wrapper script or its subshells, which bear the name ``chromium`` as the browser launches. Each of these, taken for
    a browser, was gone when it was to be killed."""
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            kind = _chromium_kind(child)
            if kind is None:
                todo.append(child)
            elif kind == "browser":
                found.append(child)
    return found


def _chromium_kind(pid: int) -> str | None:
    """"browser", "child" (``--type=…``), or None: no Chromium (or ending: its arguments are gone)."""
    try:  # Chromium retitles its other processes: their arguments become one string
        args = Path(f"/proc/{pid}/cmdline").read_bytes()
        binary = Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return None
    if not args or binary not in ("chromium", "chrome"):
        return None
    return "child" if b"--type=" in args else "browser"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie awaiting its reaper has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _slow_js_replica(tmp_path: Path, delay: float) -> Path:
    """The JS replica, each article's XHR answered after ``delay`` seconds: its renders are in flight that long."""
    replica = tmp_path / JS_SITE
    shutil.copytree(REPLICAS / JS_SITE, replica)
    server_json = replica / "_server.json"
    slow = {f"/api/articles/{api.name}": {"delay": delay} for api in (replica / "api" / "articles").iterdir()}
    server_json.write_text(json.dumps({**json.loads(server_json.read_text()), "paths": slow}))
    return replica


def _stored_urls(data_dir: Path) -> list[str]:
    from crawler.storage.store import ArticleStore, StoreTarget  # the crawler's own reader

    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data_dir)))
    try:
        return [doc["url"] for doc in store.articles_after("", 1000)]
    finally:
        store.close()


@requires_chromium
@pytest.mark.e2e
def test_sigterm_to_the_process_group_mid_render_lets_the_pages_in_flight_finish(tmp_path: Path) -> None:
    """``kill -- -PGID`` (or ``timeout``) while Chromium renders: the crawl stops gracefully (exit 1:
    a run ended by shutdown is failed), finishing and storing the pages in flight, and leaves no Chromium behind.
    Before, Playwright's driver, in the crawl's process group, got the SIGTERM too and closed Chromium under
    them, so they failed (``download/failed/*``) unstored."""
    replica = _slow_js_replica(tmp_path, delay=3)
    with serve(replica) as server, unit_crawl(JS_SITE, f"base_url=http://127.0.0.1:{server.server_port}",
                                              data_dir=tmp_path / "data") as crawl:
        wait_while_running(crawl, lambda: any(path.startswith("/api/") for path in list(server.served)),  # type: ignore[attr-defined]
                           "no page reached its XHR in Chromium")
        in_flight = {path for path in list(server.served) if path.startswith("/api/")}  # type: ignore[attr-defined]
        chromium = [pid for pid in _descendants(crawl.pid) if _comm(pid) == "chromium"]
        log = stop_unit(crawl, timeout=60)
    assert chromium, "Chromium was not running under the crawl"
    assert crawl.returncode == 1, log[-3000:]
    assert "Spider closed (shutdown)" in log and "Traceback" not in log, log_excerpt(log)
    assert not re.findall(r"'download/failed/[^']+': \d+", log), log[-3000:]
    rendered = int(re.findall(r"'browser/rendered': (\d+)", log)[0])
    stored = _stored_urls(tmp_path / "data")
    assert rendered >= len(in_flight) and len(stored) >= len(in_flight), (in_flight, stored, log[-3000:])
    time.sleep(1)  # Chromium's children end after their browser process
    assert not [pid for pid in chromium if _running(pid)], "Chromium outlived the crawl"


@requires_chromium
@pytest.mark.e2e
def test_chromium_killed_mid_crawl_leaves_nothing_in_tmpdir(tmp_path: Path) -> None:
    """Chromium killed under the crawl (the OOM killer takes the browser alone): scrapy-playwright launches another
    and the crawl goes on. The killed one's temporary files (its singleton socket's directory, a download's first
    bytes) stayed in ``TMPDIR`` for good, a cron job's runs piling them up; now they go with the crawl's own
    directory for Chromium."""
    replica = _slow_js_replica(tmp_path, delay=2)
    temp = Path(tempfile.mkdtemp(prefix="tmpdir-", dir="/tmp"))  # short: Chromium's sockets live under TMPDIR
    try:
        with serve(replica) as server, unit_crawl(JS_SITE, f"base_url=http://127.0.0.1:{server.server_port}",
                                                  data_dir=tmp_path / "data", env={"TMPDIR": str(temp)}) as crawl:
            wait_while_running(crawl, lambda: any(path.startswith("/api/") for path in list(server.served)),  # type: ignore[attr-defined]
                               "no page reached its XHR in Chromium")
            browsers = chromium_browsers(crawl.pid)
            assert browsers, [_comm(pid) for pid in _descendants(crawl.pid)]
            for pid in browsers:
                os.kill(pid, signal.SIGKILL)
            log, _ = crawl.communicate(timeout=180)
        left = sorted(str(path.relative_to(temp)) for path in temp.rglob("*"))
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert crawl.returncode is not None and "Traceback" not in log, log_excerpt(log)
    assert int(re.findall(r"'playwright/browser_count': (\d+)", log)[0]) >= 2, log[-3000:]  # launched again
    assert left == [], left


@requires_chromium
@pytest.mark.e2e
def test_a_crawl_killed_mid_render_leaves_no_driver_or_chromium(tmp_path: Path) -> None:
    """SIGKILL to the crawl's process group (the OOM killer takes the crawl alone): Playwright's driver, in a
    session of its own, is not in that group; it ends when the crawl's end of its stdin closes, closing Chromium."""
    replica = _slow_js_replica(tmp_path, delay=30)
    with serve(replica) as server, unit_crawl(JS_SITE, f"base_url=http://127.0.0.1:{server.server_port}",
                                              data_dir=tmp_path / "data") as crawl:
        wait_while_running(crawl, lambda: any(path.startswith("/api/") for path in list(server.served)),  # type: ignore[attr-defined]
                           "no page reached its XHR in Chromium")
        under = _descendants(crawl.pid)
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.communicate(timeout=10)
    assert {_comm(pid).split("-")[0] for pid in under} >= {"node", "chromium"}, [_comm(pid) for pid in under]
    deadline = time.monotonic() + 20
    while [pid for pid in under if _running(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [_comm(pid) for pid in under if _running(pid)], "processes of the crawl outlived it"


@requires_chromium
@pytest.mark.e2e
def test_ctrl_c_mid_render_lets_the_pages_in_flight_finish(tmp_path: Path) -> None:
    """Ctrl-C in a terminal sends SIGINT to the whole foreground process group, Playwright's driver included.
    The crawl stops gracefully, finishing the pages in flight; before, the driver closed Chromium under them
    (its launch option handleSIGINT), so they failed unstored."""
    replica = _slow_js_replica(tmp_path, delay=3)
    with serve(replica) as server, unit_crawl(JS_SITE, f"base_url=http://127.0.0.1:{server.server_port}",
                                              data_dir=tmp_path / "data") as crawl:  # a terminal's job
        wait_while_running(crawl, lambda: any(path.startswith("/api/") for path in list(server.served)),  # type: ignore[attr-defined]
                           "no page reached its XHR in Chromium")
        os.killpg(crawl.pid, signal.SIGINT)
        log, _ = crawl.communicate(timeout=60)
    assert "Spider closed (shutdown)" in log and "Traceback" not in log, log_excerpt(log)
    assert not re.findall(r"'download/failed/[^']+': \d+", log), log[-3000:]
    assert int(re.findall(r"'browser/rendered': (\d+)", log)[0]) >= 1, log[-3000:]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
