"""Chromium killed under a crawl while it renders pages, then the browser launched next killed too, as it starts or
once its tabs are open (the OOM killer taking the browser alone, twice): the crawl still ends by itself, and every
page is stored, each tried again on the browser launched next. Before, a page got one try more whatever closed under
it: a browser killed twice lost the pages in flight both times, and a tab opening as its browser went waited until its
deadline."""

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
from tests.test_browser import (
    JS_SITE,
    _comm,
    _descendants,
    _slow_js_replica,
    _stored_urls,
    chromium_browsers,
    requires_chromium,
)


def _the_next_browser(crawl: subprocess.Popen[str], killed: set[int], timeout: float = 60) -> set[int]:
    """The crawl's next Chromium as soon as it appears (Playwright still waiting for it to start)."""
    deadline = time.monotonic() + timeout
    while not (new := set(chromium_browsers(crawl.pid)) - killed):
        assert time.monotonic() < deadline and crawl.poll() is None, "Chromium was not launched again"
        time.sleep(0.005)
    return new


@requires_chromium
@pytest.mark.e2e
@pytest.mark.parametrize("second_kill", ["as it launches", "under its open tabs"])
def test_chromium_killed_mid_render_and_its_relaunch_killed_too(tmp_path: Path, second_kill: str) -> None:
    replica = _slow_js_replica(tmp_path, delay=2)
    with serve(replica) as server, unit_crawl(JS_SITE, f"base_url=http://127.0.0.1:{server.server_port}",
                                              data_dir=tmp_path / "data") as crawl:
        def xhrs() -> int:  # requests, not paths: a page tried again asks for its XHR again
            return sum(n for path, n in list(server.served.items()) if path.startswith("/api/"))  # type: ignore[attr-defined]

        wait_while_running(crawl, xhrs, "no page reached its XHR in Chromium")
        killed = set(chromium_browsers(crawl.pid))
        assert killed, [_comm(pid) for pid in _descendants(crawl.pid)]
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        before = xhrs()
        relaunched = _the_next_browser(crawl, killed)
        if second_kill == "under its open tabs":  # pages rendering again: their XHRs answered 2 s later
            wait_while_running(crawl, lambda: xhrs() > before, "no page reached its XHR in the relaunched Chromium")
        for pid in relaunched:
            os.kill(pid, signal.SIGKILL)
        log, _ = crawl.communicate(timeout=240)  # no hang
    assert "Spider closed (finished)" in log and "Traceback" not in log, log_excerpt(log)
    assert set(_stored_urls(tmp_path / "data")) == set(expected_articles(JS_SITE)), log[-4000:]
    assert not re.findall(r"'download/failed/[^']+': \d+", log) and "Gave up on" not in log, log[-4000:]
    assert "'browser/stalled'" not in log and "'browser/deadline_exceeded'" not in log, log[-4000:]
