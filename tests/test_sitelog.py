"""Log lines of a process crawling several sites name their site (crawler.sitelog), also where the work went
through a thread: the real resolver, on a real reactor, answering on Twisted's thread pool."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.crawling import ROOT

RESOLVE_IN_A_SITES_CONTEXT = """
import asyncio, logging, sys
from twisted.internet import asyncioreactor
asyncioreactor.install(asyncio.new_event_loop())
from twisted.internet import reactor
from crawler import sitelog
from crawler.resolver import EgressResolver

logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.INFO)
sitelog.install()
resolver = EgressResolver(reactor, 100, 5)
log = logging.getLogger("probe")

def start(name):
    answered = resolver.getHostByName(name)  # a thread's answer, the first time a name is asked
    # the resolver's own warning refuses "localhost", a private address the operator did not choose
    return answered.addCallbacks(lambda address: log.info("%s is %s", name, address), lambda failure: None)

sites = {"akipress": "127.0.0.1", "asiaplus": "localhost"}
done = [sitelog.named(site, lambda: start(name)) for site, name in sites.items()]
reactor.callLater(5, reactor.stop)
for answered in done:
    answered.addBoth(lambda _: len([d for d in done if not d.called]) or reactor.stop())
reactor.run()
"""


def test_a_name_resolved_on_a_thread_is_handed_back_in_the_sites_context() -> None:
    """The connection a resolved address opens (its reads, its log lines) is the asking site's: the answer
    came back from Twisted's thread pool in no site's context."""
    result = subprocess.run([sys.executable, "-c", RESOLVE_IN_A_SITES_CONTEXT], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(result.stdout.splitlines()) == [
        "[akipress] 127.0.0.1 is 127.0.0.1",
        "[asiaplus] Refused to connect to localhost: it resolves to 127.0.0.1, a private address"], result.stdout


RELAY_WORKER_LINES_IN_SITES_CONTEXTS = """
import logging, sys, threading
from crawler import sitelog
from crawler.extract.pool import ExtractionPool
from crawler.limits import RecordLimits

logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.INFO)
sitelog.install()
pools = [sitelog.named(site, lambda: ExtractionPool(None, RecordLimits())) for site in ("akipress", "asiaplus")]
for pool in pools:
    for worker in pool._all:  # a page the worker cannot read: it dies with a traceback on its stderr
        worker.channel.sock.sendall(len(b"not a pickled page").to_bytes(4, "big") + b"not a pickled page")
for relay in [thread for thread in threading.enumerate() if thread.name.startswith("extraction-log-")]:
    relay.join(120)
for pool in pools:
    pool.close()
"""


def test_an_extraction_workers_lines_are_relayed_in_its_sites_context() -> None:
    """A worker's stderr is logged by a thread of the crawl's own: each line names the site whose pool started
    the worker (before, the thread ran in no site's context and the lines named none)."""
    result = subprocess.run([sys.executable, "-c", RELAY_WORKER_LINES_IN_SITES_CONTEXTS], cwd=ROOT,
                            capture_output=True, text=True, timeout=150, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    for site in ("akipress", "asiaplus"):
        assert f"[{site}] _pickle.UnpicklingError: invalid load key, 'n'." in lines, result.stdout[-3000:]
    assert all(re.match(r"\[(akipress|asiaplus)\] ", line) for line in lines), result.stdout[-3000:]


ALERT_IN_SITES_CONTEXTS = """
import asyncio, logging, sys
from scrapy import Spider
from scrapy.utils.test import get_crawler
from crawler import sitelog
from crawler.extensions.run_health import RunHealth

logging.basicConfig(stream=sys.stdout, format="%(name)s: %(message)s", level=logging.INFO)
logging.getLogger("scrapy").setLevel(logging.WARNING)
sitelog.install()

async def close(site):
    crawler = get_crawler(Spider, {"MONITOR_WEBHOOK_URL": "ftp://webhook.invalid/", "STORAGE_ENABLED": False,
                                   "EXTENSIONS": {RunHealth: 400}})
    crawler._apply_settings()
    await crawler.get_extension(RunHealth).spider_closed(Spider(site), "finished")  # failed: no article

async def main():
    await asyncio.gather(*[sitelog.named(site, lambda: asyncio.ensure_future(close(site)))
                           for site in ("akipress", "asiaplus")])

asyncio.run(main())
"""


def test_the_health_alert_posted_on_a_thread_logs_in_its_sites_context() -> None:
    """The webhook is POSTed off the event loop; what the POST logs names the site whose run it alerts on
    (before, the executor's thread ran in no site's context)."""
    result = subprocess.run([sys.executable, "-c", ALERT_IN_SITES_CONTEXTS], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    sent = sorted(line for line in result.stdout.splitlines() if line.startswith("crawler.notify: "))
    assert sent == [f"crawler.notify: [{site}] Health webhook not sent: MONITOR_WEBHOOK_URL is not an http(s) URL"
                    for site in ("akipress", "asiaplus")], result.stdout[-3000:]
