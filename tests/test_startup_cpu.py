"""Start-up CPU of a crawl: Scrapy's TLS modules are imported without ``inspect.stack()`` reading the source of
every frame (0.1-0.3 s of the crawl process's CPU), and name their deprecated aliases as Scrapy does."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.crawling import ROOT

# Counts the full stacks taken while the crawl's download handler (and with it Scrapy's TLS modules) is imported.
PROBE = """
import inspect, json
calls = []
full = inspect.stack
inspect.stack = lambda context=1: calls.append(context) or full(context)
import crawler.download_handler
from scrapy.core.downloader import contextfactory, tls
names = [cls.__module__ for cls in (contextfactory.ScrapyClientContextFactory,
                                    contextfactory.AcceptableProtocolsContextFactory, tls.ScrapyClientTLSOptions)]
print(json.dumps({"full_stacks": len(calls), "names": names, "restored": inspect.stack.__name__ == "<lambda>"}))
"""


def test_the_tls_modules_are_imported_without_reading_every_frames_source() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    probe = json.loads(done.stdout)
    assert probe["full_stacks"] == 0
    assert probe["names"] == ["scrapy.core.downloader.contextfactory"] * 2 + ["scrapy.core.downloader.tls"]
    assert probe["restored"]  # inspect.stack is the caller's own again afterwards
