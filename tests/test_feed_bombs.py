"""A feed cannot take the crawl's memory: a gzipped feed (``feed.xml.gz``, or gzip inside the HTTP
``Content-Encoding``, which Scrapy removes and leaves the inner gzip) that expands to 50 MB of items is
read as a stream, each item freed once read. Read as one tree it took 380 MB for a 170 KB download."""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In a fresh process, so its peak resident memory is this read's alone (libxml2's memory is invisible to tracemalloc).
PROBE = textwrap.dedent("""
    import gzip, resource, sys
    from crawler.discovery.feeds import read_feed
    item = (b"<item><title>t</title><link>https://x.kg/news/1/</link>"
            b"<pubDate>Fri, 01 May 2026 10:00:00 +0000</pubDate></item>")
    count = 49 * 1024 * 1024 // len(item)
    body = gzip.compress(b"<?xml version='1.0'?><rss version='2.0'><channel><title>E</title>" + item * count
                         + b"</channel></rss>", 1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    feed = read_feed(body, max_entries=100)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(len(feed.links), feed.skipped, count, grown // 1024)
""")


def test_a_gzipped_feed_bomb_is_read_in_flat_memory_and_its_cut_items_counted() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=True)
    kept, skipped, count, grown_mb = map(int, result.stdout.split())
    assert (kept, skipped) == (100, count - 100)
    assert grown_mb < 40, f"reading the feed grew the process by {grown_mb} MB"


def test_a_gzipped_feed_past_the_xml_limit_gives_the_items_read_before_it() -> None:
    from crawler.discovery.feeds import read_feed

    item = b"<item><link>https://x.kg/news/1/</link></item>"
    body = gzip.compress(b"<rss><channel>" + item * (60 * 1024 * 1024 // len(item)), 1)  # 60 MB > 50 MB
    feed = read_feed(body, max_entries=10)
    assert len(feed.links) == 10
    assert 1_000_000 < feed.skipped < 50 * 1024 * 1024 // len(item)  # counted up to the limit, then stopped
