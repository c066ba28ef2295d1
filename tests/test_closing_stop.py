"""A SIGTERM or Ctrl-C (a Scrapyd cancel, systemd, crawlall's stop) that comes while a finished crawl's spider is
closing (its last flush, its run record, its lease) waits for the close. Before, Scrapy's stop returned at once
(``ExecutionEngine.close_spider_async`` awaits only the slot of a close already under way) and stopped the reactor
mid-close: no run record, exit 1."""

from __future__ import annotations

import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import ROOT, crawl_environment, require_e2e
from tests.replicas import REPLICAS, expected_articles
from tests.signal_at_close import SENT, signal_at_close
from tests.test_opening_stop import CRAWL, IN_PROCESS, command, store_state

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("how", "sites"), [CRAWL, IN_PROCESS], ids=["crawl", "crawlall"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_while_a_finished_spider_closes_waits_for_its_close(tmp_path: Path, how: str, sites: list[str],
                                                                   signum: int) -> None:
    require_e2e("scrapy crawl")
    log, data_dir = tmp_path / "crawl.log", tmp_path / "data"
    with ExitStack() as stack:
        urls = {site: f"http://127.0.0.1:{stack.enter_context(serve(REPLICAS / site)).server_port}" for site in sites}
        run = subprocess.run(command(how, urls, [*signal_at_close(signum), f"LOG_FILE={log}"]),
                             cwd=ROOT, env=crawl_environment({}, data_dir), stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=120)
    text = log.read_text()
    assert SENT in text and f"Received {signal.Signals(signum).name}" in text, text[-3000:]
    assert text.count("Spider closed (finished)") == len(sites), text[-3000:]
    for site in sites:
        record, lease = store_state(data_dir, site)
        assert record is not None and record["finish_reason"] == "finished", (record, text[-3000:])
        assert record["articles_stored"] == len(expected_articles(site)), record
        assert lease is None
    assert run.returncode == 0, text[-3000:]  # the crawl had finished: its run is judged as any finished run
