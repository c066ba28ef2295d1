#!/usr/bin/env python3
"""CPU of the crawl's sitemap reader (``crawler.discovery.sitemaps.parse_sitemap``, in the crawl process) on a
sitemap of ``--urls`` entries, plain and gzipped: the best of ``--runs``. Run it at two commits, interleaved, to
compare readers. ``scripts/bench_sitemap_parse.py [--urls 250000] [--runs 4]``."""

from __future__ import annotations

import argparse
import gzip
import time

from crawler.discovery.sitemaps import parse_sitemap


def sitemap(urls: int) -> bytes:
    entries = "".join(f"<url><loc>https://a.tj/news/2025/01/01/story-{n}/?id={n}&amp;lang=ru</loc>"
                      f"<lastmod>2025-01-01T10:00:00+05:00</lastmod></url>" for n in range(urls))
    return f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>".encode()


def best(body: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        parse_sitemap(body, max_entries=len(body))
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    body = sitemap(args.urls)
    print(f"{args.urls} URLs, {len(body) / 1e6:.1f} MB: plain {best(body, args.runs):.2f} s, "
          f"gzipped {best(gzip.compress(body), args.runs):.2f} s of CPU")


if __name__ == "__main__":
    main()
