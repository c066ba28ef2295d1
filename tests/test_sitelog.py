"""Log lines of a process crawling several sites name their site (crawler.sitelog), also where the work went
through a thread: the real resolver, on a real reactor, answering on Twisted's thread pool."""

from __future__ import annotations

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
