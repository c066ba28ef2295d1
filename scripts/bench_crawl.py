"""Crawl-speed benchmark: a generated replica site on loopback, crawled through the real
pipeline into a store, beside a fetch-only crawl of the same pages and trafilatura-only
extraction of them.

    .venv/bin/python scripts/bench_crawl.py [--articles 1000] [--mongo-uri URI]

Prints articles/s end to end, CPU ms per article (crawl process), peak RSS, and the
fetch-only and trafilatura-only figures of the same run as ratios. Politeness is
switched off here only. A development tool: it imports the test replica server.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replica.server import serve  # noqa: E402

_TEXT = ("Душанбе Бишкек Алматы Ташкент правительство министерство энергетики водных ресурсов граница "
         "сотрудничество проект строительство Рогунской ГЭС региона экономики инвестиции заявил "
         "the government said on Monday that the new border crossing water energy project budget")
WORDS = _TEXT.split()
FAST = ["AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
        "ROBOTSTXT_OBEY=0", "LOG_LEVEL=WARNING", "STORAGE_BATCH_SIZE=200"]
CONFIG = """name = "benchsite"
domains = ["bench.tj"]
article_url = '^https://bench\\.tj/news/\\d+/$'
[[editions]]
language = "ru"
timezone = "Asia/Dushanbe"
home = "https://bench.tj/"
feeds = ["https://bench.tj/feed/"]
[selectors]
title = ["h1.entry-title"]
body = [".entry-content"]
"""


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 25))).capitalize() + "."


def article_page(n: int, rng: random.Random) -> str:
    body = "".join(f"<p>{sentence(rng)} {sentence(rng)} Статья {n}.</p>" for _ in range(12))
    chrome = "".join(f"<div class='td_module_flex'><a href='/news/{rng.randint(1, 10**6)}/'>{sentence(rng)}</a>"
                     f"<p>{sentence(rng)}</p></div>" for _ in range(180))  # ~100+ KB of theme chrome
    return (f"<!DOCTYPE html><html lang='ru'><head><title>Новость {n}</title>"
            f"<meta property='og:type' content='article'><link rel='canonical' href='https://bench.tj/news/{n}/'>"
            f"<script type='application/ld+json'>{{\"@type\": \"NewsArticle\", \"headline\": \"Новость {n}\", "
            f"\"datePublished\": \"2025-03-{1 + n % 28:02d}T10:00:00+05:00\"}}</script></head><body>"
            f"<nav>{chrome[:20000]}</nav><article><h1 class='entry-title'>Новость {n}: {sentence(rng)}</h1>"
            f"<div class='entry-content'>{body}</div></article><aside>{chrome}</aside></body></html>")


def build_site(root: Path, articles: int) -> list[Path]:
    rng = random.Random(7)
    pages = []
    items = []
    for n in range(1, articles + 1):
        page = root / "news" / str(n) / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(article_page(n, rng), encoding="utf-8")
        pages.append(page)
        items.append(f"<item><link>https://bench.tj/news/{n}/</link>"
                     "<pubDate>Mon, 03 Mar 2025 10:00:00 +0500</pubDate></item>")
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(f"<rss><channel>{''.join(items)}</channel></rss>", encoding="utf-8")
    return pages


FETCH_ONLY = """
import scrapy
class FetchOnly(scrapy.Spider):
    name = "fetchonly"
    custom_settings = {"ITEM_PIPELINES": {}, "SPIDER_MIDDLEWARES": {}, "EXTENSIONS": {}}
    def __init__(self, base=None, n=0, **kw):
        super().__init__(**kw); self.base, self.n = base, int(n)
    async def start(self):
        for i in range(1, self.n + 1):
            yield scrapy.Request(f"{self.base}/news/{i}/", callback=self.parse)
    def parse(self, response):
        return None
"""


def timed(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--mongo-uri", default="", help="store into this server (default: embedded store)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pages = build_site(work / "site", args.articles)
        (work / "site.toml").write_text(CONFIG, encoding="utf-8")
        (work / "fetchonly.py").write_text(FETCH_ONLY, encoding="utf-8")
        size = sum(p.stat().st_size for p in pages) / len(pages) / 1024
        with serve(work / "site") as server:
            base = f"http://127.0.0.1:{server.server_port}"
            settings = [x for s in FAST for x in ("-s", s)]
            mongo = ["-s", f"MONGO_URI={args.mongo_uri}"] if args.mongo_uri else []
            crawl = timed([sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={work / 'site.toml'}",
                           "-a", f"base_url={base}", "-s", f"DATA_DIR={work / 'data'}", *mongo, *settings])
            fetch = timed([sys.executable, "-m", "scrapy", "runspider", str(work / "fetchonly.py"),
                           "-a", f"base={base}", "-a", f"n={args.articles}", *settings])
        import trafilatura

        started = time.process_time()
        for page in pages:
            trafilatura.extract(page.read_text(encoding="utf-8"))
        traf_ms = (time.process_time() - started) * 1000 / len(pages)
    n = args.articles
    rate, fetch_rate = n / crawl[0], n / fetch[0]
    sys.stdout.write(
        f"pages: {n} x {size:.0f} KB, store: {'MongoDB' if args.mongo_uri else 'embedded'}\n"
        f"pipeline crawl : {rate:7.1f} articles/s, {crawl[1] * 1000 / n:6.1f} CPU ms/article, "
        f"peak RSS {crawl[2]} MB\n"
        f"fetch-only     : {fetch_rate:7.1f} pages/s,    {fetch[1] * 1000 / n:6.1f} CPU ms/page\n"
        f"trafilatura    : {1000 / traf_ms:7.1f} pages/s (extraction only, {traf_ms:.1f} CPU ms/page)\n"
        f"ratios         : pipeline/fetch-only {rate / fetch_rate:.2f}, pipeline/trafilatura-only "
        f"{rate / (1000 / traf_ms):.2f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
