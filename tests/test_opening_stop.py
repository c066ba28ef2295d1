"""A SIGTERM (systemd, a Scrapyd cancel, crawlall's stop) or Ctrl-C that comes while the spider is still opening
(store, migrations, key tables, the site lease: seconds on a big store) closes it gracefully once it is open:
"Spider closed (shutdown)", its run record closed, its lease released. Before, the process exited at once,
its run left "running" and the site held until the lease lapsed. A second signal still forces the exit.
The same for ``scrapy crawlall``, in one process or in ``scrapy crawl`` children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import FAST, ROOT, crawl_command, crawl_environment, require_e2e, wait_while_running
from tests.engine_start_stop import SENT, stop_at_engine_start
from tests.opening_gate import HELD, gate_settings
from tests.replicas import REPLICAS

pytestmark = pytest.mark.e2e
CRAWL, IN_PROCESS = ("crawl", ["asiaplus"]), ("crawlall 1", ["asiaplus"])
CHILDREN = ("crawlall 2", ["asiaplus", "khovar"])


def store_state(data_dir: Path, site: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The newest run record of ``site`` and its lease in the embedded store of ``data_dir``."""
    from crawler.storage.lease import holder  # the crawler's own readers
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data_dir)))
    try:
        return next(iter(store.latest_runs(1, site=site)), None), holder(store, site)
    finally:
        store.close()


def command(how: str, urls: dict[str, str], settings: list[str]) -> list[str]:
    """``scrapy crawl`` of the one site, or ``scrapy crawlall --processes N`` of every site, at ``urls``."""
    if how == "crawl":
        [(site, url)] = urls.items()
        return crawl_command(site, f"base_url={url}", settings=settings)
    mirrors = [part for site, url in urls.items() for part in ("--base-url", f"{site}={url}")]
    return [sys.executable, "-m", "scrapy", "crawlall", "--processes", how.split()[1], "--sites", ",".join(urls),
            *mirrors, *[part for setting in [*FAST, *settings] for part in ("-s", setting)]]


@contextmanager
def held_opening(tmp_path: Path, how: str, sites: list[str]) -> Iterator[tuple[subprocess.Popen[str], Path, Path]]:
    """The command, every site's opening held (its lease taken, its run recorded "running"); its log and gate.
    Killed with its process group if the ``with`` block leaves it running."""
    require_e2e("scrapy crawl")
    log, gate, data_dir = tmp_path / "crawl.log", tmp_path / "gate", tmp_path / "data"
    with ExitStack() as stack:
        urls = {site: f"http://127.0.0.1:{stack.enter_context(serve(REPLICAS / site)).server_port}" for site in sites}
        run = subprocess.Popen(command(how, urls, [*gate_settings(gate), f"LOG_FILE={log}",
                                                   "RUN_RECORD_INTERVAL_SECONDS=1"]),
                               cwd=ROOT, env=crawl_environment({}, data_dir), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            wait_while_running(run, lambda: log.exists() and log.read_text().count(HELD) == len(sites),
                               "the opening was never held")
            for site in sites:
                wait_while_running(run, lambda: (store_state(data_dir, site)[0] or {}).get("outcome") == "running",  # noqa: B023
                                   f"no running record of {site}")
                assert store_state(data_dir, site)[1] is not None, f"{site} is not held"
            yield run, log, gate
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()


def stop(run: subprocess.Popen[str], log: Path, signum: int = signal.SIGTERM) -> None:
    """``signum`` to the command, as systemd or Scrapyd sends it; returns once the command has it."""
    os.kill(run.pid, signum)
    wait_while_running(run, lambda: f"Received {signal.Signals(signum).name}" in log.read_text(),
                       "the signal was not received")


@pytest.mark.parametrize(("how", "sites"), [CRAWL, IN_PROCESS, CHILDREN], ids=["crawl", "crawlall", "children"])
def test_sigterm_while_the_spider_opens_closes_it_gracefully_once_open(tmp_path: Path, how: str,
                                                                        sites: list[str]) -> None:
    with held_opening(tmp_path, how, sites) as (run, log, gate):
        stop(run, log)
        gate.touch()  # the opening ends
        run.communicate(timeout=90)
        text = log.read_text()
        assert run.returncode == 1, text[-3000:]  # a stopped run is "failed" (crawler.commands.crawl)
        assert text.count("Spider closed (shutdown)") == len(sites), text[-3000:]
    for site in sites:
        record, lease = store_state(tmp_path / "data", site)
        assert record is not None and record["finish_reason"] == "shutdown" and record["outcome"] == "failed", record
        assert not record["stats"].get("downloader/request_count")  # the engine never ran: nothing fetched
        assert lease is None  # released at once: the next run need not wait SITE_LEASE_SECONDS


@pytest.mark.parametrize(("how", "sites"), [CRAWL, IN_PROCESS], ids=["crawl", "crawlall"])
def test_a_second_signal_while_the_spider_opens_forces_the_exit(tmp_path: Path, how: str, sites: list[str]) -> None:
    with held_opening(tmp_path, how, sites) as (run, log, _gate):
        stop(run, log, signal.SIGINT)  # Ctrl-C
        os.kill(run.pid, signal.SIGINT)
        run.communicate(timeout=30)  # the gate stays shut: only the forced exit ends the command
        text = log.read_text()
        assert run.returncode == 1, text[-3000:]
        assert "Received SIGINT twice, forcing unclean shutdown" in text and "Spider closed" not in text, text[-3000:]


@pytest.mark.parametrize(("how", "sites"), [CRAWL, IN_PROCESS], ids=["crawl", "crawlall"])
def test_a_stop_as_the_engine_starts_closes_it_gracefully(tmp_path: Path, how: str, sites: list[str]) -> None:
    """The stop comes after ``engine_started`` was sent and before the engine runs: before, Scrapy let it pass
    and the crawl ran to its end ("finished")."""
    require_e2e("scrapy crawl")
    log, data_dir = tmp_path / "crawl.log", tmp_path / "data"
    with ExitStack() as stack:
        urls = {site: f"http://127.0.0.1:{stack.enter_context(serve(REPLICAS / site)).server_port}" for site in sites}
        run = subprocess.run(command(how, urls, [*stop_at_engine_start(signal.SIGTERM), f"LOG_FILE={log}"]),
                             cwd=ROOT, env=crawl_environment({}, data_dir), stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=120)
    text = log.read_text()
    assert SENT in text and "Received SIGTERM" in text, text[-3000:]
    assert run.returncode == 1, text[-3000:]  # a stopped run is "failed"
    assert text.count("Spider closed (shutdown)") == len(sites), text[-3000:]
    for site in sites:
        record, lease = store_state(data_dir, site)
        assert record is not None and record["finish_reason"] == "shutdown" and record["outcome"] == "failed", record
        assert lease is None
