"""A tab that opens after its request gave up. Chromium stops answering (SIGSTOP) while a page's tab is opening: the
request gives up at its page's deadline, but Playwright's driver still holds the call, and once Chromium answers the
tab opens. Nobody tracked it: it stayed open (a renderer's memory, one tab over ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``)
until the crawl ended. Now it is closed as it opens; Chromium's own list of its tabs (its DevTools endpoint) shows
the one tab of the page in flight."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.conftest import free_port
from tests.crawling import ROOT, CrawlResult, log_excerpt, unit_crawl, wait_while_running
from tests.hostile_site import article
from tests.test_browser import CHROMIUM, requires_chromium
from tests.test_browser_stuck import stop_chromium
from tests.test_browser_traps import feed_and_config

# In the order the crawl asks for them: the first renders, the second's tab opens while Chromium is stopped, the third
# is in flight as Chromium's tabs are counted.
SLUGS = ["a0", "a1", "a2"]
TIMEOUT_S = 5  # the navigation's; a page's deadline is twice that
ANSWER_S = 2  # each article is answered that late: the third is in flight as the tabs are counted
DELAY_S = 6  # between requests to the site: the test stops Chromium between the first's close and the second's start


def settings(devtools_port: int) -> list[str]:
    launch = {**PLAYWRIGHT_LAUNCH_OPTIONS,
              "args": [*PLAYWRIGHT_LAUNCH_OPTIONS["args"], f"--remote-debugging-port={devtools_port}"]}
    return ["ROBOTSTXT_OBEY=0", "RETRY_ENABLED=0", "HOST_DOWN_AFTER=0", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=1",
            f"DOWNLOAD_DELAY={DELAY_S}", "DOWNLOAD_DELAY_JITTER=0", f"DOWNLOAD_TIMEOUT={TIMEOUT_S}",
            f"PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT={TIMEOUT_S * 1000}",
            f"PLAYWRIGHT_LAUNCH_OPTIONS={json.dumps(launch)}"]


def tabs(devtools_port: int) -> list[str] | None:
    """The URLs of Chromium's tabs (None before it listens)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=5) as answer:
            return [target["url"] for target in json.load(answer) if target["type"] == "page"]
    except OSError:
        return None


def no_tab_open(devtools_port: int, for_s: float = 0.5) -> bool:
    """Whether Chromium has no tab, and still none ``for_s`` later: a tab whose navigation commits (its renderer
    swapped) can be missing from the list for a moment, and Chromium stopped then left the first page's tab open."""
    if tabs(devtools_port) != []:
        return False
    time.sleep(for_s)
    return tabs(devtools_port) == []


def articles(paths: Iterable[str]) -> list[str]:
    return [path for path in list(paths) if path.startswith("/news/")]


@contextlib.contextmanager
def reading(crawl: subprocess.Popen[str]) -> Iterator[list[str]]:
    """The crawl's log lines as they come (the crawl waited for as the block ends)."""
    lines: list[str] = []
    assert crawl.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(crawl.stdout or ()), daemon=True)
    reader.start()
    try:
        yield lines
        crawl.wait(timeout=120)
    finally:
        if crawl.poll() is None:  # the test failed
            os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait()
        reader.join(timeout=10)
        crawl.stdout.close()


@requires_chromium
@pytest.mark.e2e  # Chromium, scrapy crawl
def test_a_tab_that_opens_after_its_page_s_deadline_is_closed(tmp_path: Path) -> None:
    root = tmp_path / "site"
    for slug in SLUGS:
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(article(slug), encoding="utf-8")
    (root / "_server.json").write_text(json.dumps({"paths": {f"/news/{slug}/": {"delay": ANSWER_S} for slug in SLUGS}}))
    config = feed_and_config(root, SLUGS)
    port = free_port()
    stopped: list[int] = []
    with serve(root) as server, unit_crawl("news", f"config={config}", f"base_url=http://127.0.0.1:{server.server_port}",
                                           data_dir=tmp_path / "data", settings=settings(port)) as crawl:
        answers = server.answers  # type: ignore[attr-defined]
        with reading(crawl) as log:
            try:
                wait_while_running(crawl, lambda: articles(path for path, _ in list(answers)) and no_tab_open(port),
                                   "no article rendered")
                stopped = stop_chromium(crawl)  # before the second starts: its tab's opening waits for Chromium
                wait_while_running(crawl, lambda: any("Dropped" in line for line in log), "no page gave up")
            finally:
                for pid in stopped:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGCONT)
            served = server.served  # type: ignore[attr-defined]
            # the second never reached it
            wait_while_running(crawl, lambda: len(articles(served)) == 2, "the third did not reach the server")
            open_tabs = tabs(port)  # the third's, in flight
    result = CrawlResult(crawl.returncode, "", "".join(log), tmp_path / "data")
    assert stopped and "Traceback" not in result.log, log_excerpt(result.log)
    assert open_tabs is not None and len(open_tabs) == 1, open_tabs  # before: the second's tab too (about:blank)
    stats = result.stats
    assert stats["download/failed/browser_stalled"] == 1 and stats["browser/late_tabs_closed"] == 1, stats
    assert stats["storage/inserted"] == 2, result.log[-3000:]  # the first and the third


CONTEXT_CUT_OFF = """\
import asyncio, json, os, pathlib, signal, sys
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.utils.test import get_crawler
from crawler.browser_handler import BrowserDownloadHandler

def chromium():
    found, todo = [], [os.getpid()]
    while todo:
        for task in pathlib.Path(f"/proc/{todo.pop()}/task").iterdir():
            children = [int(pid) for pid in (task / "children").read_text().split()]
            found += children
            todo += children
    return [pid for pid in found if pathlib.Path(f"/proc/{pid}/comm").read_text().startswith("chromium")]

async def created(handler, seconds):
    try:
        await asyncio.wait_for(handler._create_browser_context("default", {}), seconds)
        return True
    except TimeoutError:
        return False

async def main():
    handler = BrowserDownloadHandler(get_crawler(settings_dict=json.loads(sys.argv[1])))
    await handler._start()
    await handler._maybe_launch_browser()
    stopped = chromium()
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    cut_off = not await created(handler, 2)  # as a page's deadline cuts off the context's creation
    for pid in stopped:
        os.kill(pid, signal.SIGCONT)
    await asyncio.sleep(2)
    adopted = "default" in handler.context_wrappers
    contexts = len(handler.browser.contexts)
    for context in handler.browser.contexts:
        await context.close()  # as a restart closes them: their places among PLAYWRIGHT_MAX_CONTEXTS given back
    again = await created(handler, 10)
    print(json.dumps({"cut_off": cut_off, "adopted": adopted, "contexts": contexts, "created_again": again}))
    await handler.close()

asyncio.get_event_loop().run_until_complete(main())
"""


@requires_chromium
@pytest.mark.e2e  # Chromium
def test_a_context_creation_cut_off_loses_no_place_among_max_contexts() -> None:
    """``PLAYWRIGHT_MAX_CONTEXTS`` (the crawl does not set it): a context's creation cut off by a page's deadline
    (Chromium stopped meanwhile) kept its place among them for good, and the context it still opened was nobody's;
    with one context allowed, no context could be created again (each page then failed as stalled). Now the creation
    goes on, its context the next request's."""
    settings = {"PLAYWRIGHT_MAX_CONTEXTS": 1, "CHROMIUM_PATH": CHROMIUM, "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", CONTEXT_CUT_OFF, json.dumps(settings)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, start_new_session=True)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome == {"cut_off": True, "adopted": True, "contexts": 1, "created_again": True}, outcome
