"""Chromium killed under a crawl while it renders pages, then its relaunch killed as it starts (the OOM killer
taking the browser alone, twice): the crawl still ends by itself, each page that failed counted and named in the
log, the others stored."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import log_excerpt, unit_crawl, wait_while_running
from tests.replicas import expected_articles
from tests.test_browser import JS_SITE, _comm, _descendants, _parent, _slow_js_replica, _stored_urls, requires_chromium


def _browsers(crawl: subprocess.Popen[str]) -> set[int]:
    """The crawl's Chromium browser processes (a renderer's or a zygote's parent is Chromium itself)."""
    return {pid for pid in _descendants(crawl.pid) if _comm(pid) == "chromium" and _comm(_parent(pid)) != "chromium"}


def _kill_the_next_launch(crawl: subprocess.Popen[str], killed: set[int], timeout: float = 60) -> None:
    """SIGKILL the crawl's next Chromium as soon as it appears (Playwright still waiting for it to start)."""
    deadline = time.monotonic() + timeout
    while not (new := _browsers(crawl) - killed):
        assert time.monotonic() < deadline and crawl.poll() is None, "Chromium was not launched again"
        time.sleep(0.005)
    for pid in new:
        os.kill(pid, signal.SIGKILL)


@requires_chromium
@pytest.mark.e2e
def test_chromium_killed_mid_render_and_again_mid_relaunch(tmp_path: Path) -> None:
    replica = _slow_js_replica(tmp_path, delay=2)
    with serve(replica) as server, unit_crawl(JS_SITE, f"base_url=http://127.0.0.1:{server.server_port}",
                                              data_dir=tmp_path / "data") as crawl:
        wait_while_running(crawl, lambda: any(path.startswith("/api/") for path in list(server.served)),  # type: ignore[attr-defined]
                           "no page reached its XHR in Chromium")
        killed = _browsers(crawl)
        assert killed, [_comm(pid) for pid in _descendants(crawl.pid)]
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        _kill_the_next_launch(crawl, killed)
        log, _ = crawl.communicate(timeout=240)  # no hang
    assert "Spider closed (finished)" in log and "Traceback" not in log, log_excerpt(log)
    articles = set(expected_articles(JS_SITE))
    stored = set(_stored_urls(tmp_path / "data"))
    lost = articles - stored
    failed = sum(int(count) for count in re.findall(r"'download/failed/[^']+': (\d+)", log))
    # each failed page in one line, naming it by its path on the mirror
    named = {url for url in lost if re.search(rf"WARNING: Gave up on \S+/{re.escape(url.split('/', 3)[3])}: ", log)}
    assert stored and stored <= articles, (stored, log[-3000:])
    assert failed == len(lost) and named == lost, (lost, named, log[-4000:])
