#!/usr/bin/env python3
"""CPU of Scrapy's robots.txt parser (Protego, the crawl's) on a hostile robots.txt of wildcard rules, whole and cut to
``crawler.middlewares.robots.MAX_BYTES``: the parse (once per host, in the crawl process) and one check of a
long article URL (every request). ``scripts/bench_robots_txt.py [--rules 200000]``."""

from __future__ import annotations

import argparse
import time

from scrapy.robotstxt import ProtegoRobotParser

from crawler.middlewares.robots import MAX_BYTES


def measure(body: bytes, checks: int = 10) -> tuple[float, float]:
    start = time.process_time()
    parser = ProtegoRobotParser(body, None)
    parsed = time.process_time()
    for _ in range(checks):
        parser.allowed("https://example.kg/news/" + "a" * 2_000 + "/", "*")
    return parsed - start, (time.process_time() - parsed) / checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=200_000)
    rules = parser.parse_args().rules
    body = ("User-agent: *\n" + "".join(f"Disallow: /archive-{n}/*a*b*c*$\n" for n in range(rules))).encode()
    cut = body[:MAX_BYTES].rpartition(b"\n")[0] + b"\n"  # as the middleware cuts it
    for name, text in (("whole", body), ("cut", cut)):
        parse, check = measure(text)
        print(f"{name:6} {len(text):>9} bytes  parse {parse:6.2f} s  check {check * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
