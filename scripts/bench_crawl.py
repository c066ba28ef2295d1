"""Crawl-speed benchmark: generated replica sites on loopback, crawled through the real
pipeline into a store, beside a fetch-only crawl of the same pages and trafilatura-only
extraction of them.

    .venv/bin/python scripts/bench_crawl.py [--sites 3] [--articles 1000] [--store-size 100000]
                                            [--mongo-uri URI] [--workers 1,2,3 [--nx27017] [--set K=V]]
                                            [--processes 1,2] [--nothing-new 100000] [--profile 30]

Each site (a theme of 100-200 KB pages in one of the region's languages, with an RSS
feed and a sitemap index) is crawled by its own ``scrapy crawl news -a config=...``
process, one after another; the fetch-only crawl fetches the same pages the same way.
Prints articles/s end to end, CPU ms per article (the crawl processes' CPU over the
articles; median and p95 of the per-page work in process), peak RSS, and the fetch-only
and trafilatura-only figures of the same run as ratios, then ``scrapy reextract`` over
the stored pages. With
``--store-size 100000`` (or ``100000,1000000``) the whole crawl is repeated on a store first filled
quickly with that many realistic stored articles of other sites (``scripts/prefill_store.py``: SQL rows
or ``insert_many``, not crawled), and the table compares articles/s, CPU ms per article and peak RSS
with the empty store's, to show speed and memory stay flat as it grows. Politeness is
switched off here only. A development tool: it imports the test replica server.

``--workers 1,2,3`` (any list but the default ``1``) measures scale-out instead: for each N, N
``scrapy crawl`` workers started at once join one shared crawl of each site (``REDIS_URL``: a
redis-server of its own on a free loopback port) into one fresh store (one embedded DATA_DIR the
workers share; ``--nx27017``: an nx-27017 started on a free port; ``--mongo-uri``: that server),
each worker one process (``EXTRACTION_WORKERS=0``: on this 2-core box an extraction process would let
one worker use both cores already; ``--set EXTRACTION_WORKERS=1`` puts it back), and the table shows
articles stored per second of the crawl's active span: from the first worker's start to the newest
stored article's ``fetched_at`` (its extraction; stored within ``STORAGE_FLUSH_SECONDS`` after), so
the idle wait that ends a shared crawl (``FRONTIER_IDLE_SECONDS``) is left out; seconds to the last
worker's exit are shown beside it. Every article must be stored exactly once.

``--processes 1,2`` measures ``scrapy crawlall --processes N`` instead: for each N, every generated site
in one run (``--config`` per site, ``--base-url`` to its server) into a fresh embedded store (or the
``--mongo-uri`` server), from the command's start to its exit, with the speed-up over the first N, the
CPU of the whole process tree per article, the load average of the machine before and after (other
work on the box slows the run) and a check that every article was stored exactly once.

``--nothing-new N`` measures an incremental run that finds nothing new instead: each site's sitemap index
also lists N older articles (stored as a crawl leaves them, not crawled), the sites are crawled once, then
again with nothing changed; the second run's requests (as the replica servers saw them), 304 answers,
seconds, CPU and articles stored are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.bench import hostile_shapes  # noqa: E402
from crawler.bench.replica_server import serve  # noqa: E402
from crawler.bench.servers import free_port, kill, running_redis, start_nx27017  # noqa: E402
from scripts.prefill_store import fill_store  # noqa: E402

FAST = ["AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
        "ROBOTSTXT_OBEY=0", "LOG_LEVEL=WARNING", "STORAGE_BATCH_SIZE=200", "SITE_LOCK_ENABLED=0"]
def _stems(text: str) -> list[str]:
    return text.split()


# Word stems and endings per language: enough distinct words that generated articles are as
# unlike each other as real ones (near-duplicate buckets stay small).
LANGUAGES: dict[str, tuple[str, str, list[str], list[str]]] = {
    "ru": ("Asia/Dushanbe", "Новости", _stems("правительств министерств энергетик границ сотрудничеств строительств "
           "экономик инвестици президент парламент област город район школ больниц дорог рынк цен "
           "урожа вод электричеств банк кредит налог бюджет закон суд полици выбор депутат"),
           ["о", "а", "ы", "е", "ам", "ами", "ах", "ой", "ую", "ого"]),
    "ky": ("Asia/Bishkek", "Жаңылыктар", _stems("өкмөт министрлик чек ара кызматташтык курулуш экономика инвестиция "
           "президент парламент облус шаар район мектеп оорукана жол базар баа түшүм суу электр банк "
           "кредит салык бюджет мыйзам сот милиция шайлоо депутат"),
           ["", "тын", "ка", "да", "дан", "лар", "лардын", "ны", "чы", "сы"]),
    "uz": ("Asia/Tashkent", "Yangiliklar", _stems("hukumat vazirlik chegara hamkorlik qurilish iqtisodiyot sarmoya "
           "prezident parlament viloyat shahar tuman maktab kasalxona yo'l bozor narx hosil suv elektr "
           "bank kredit soliq byudjet qonun sud militsiya saylov deputat"),
           ["", "ning", "ga", "da", "dan", "lar", "larning", "ni", "chi", "si"]),
    "kk": ("Asia/Almaty", "Жаңалықтар", _stems("үкімет министрлік шекара ынтымақтастық құрылыс экономика инвестиция "
           "президент парламент облыс қала аудан мектеп аурухана жол базар баға өнім су электр банк "
           "несие салық бюджет заң сот полиция сайлау депутат"),
           ["", "тың", "ға", "да", "дан", "лар", "лардың", "ды", "шы", "сы"]),
    "tg": ("Asia/Dushanbe", "Ахбор", _stems("ҳукумат вазорат сарҳад ҳамкорӣ сохтмон иқтисод сармоя президент "
           "парлумон вилоят шаҳр ноҳия мактаб беморхона роҳ бозор нарх ҳосил об барқ бонк қарз андоз "
           "буҷет қонун суд милиса интихобот вакил"),
           ["", "и", "ро", "ҳо", "ҳои", "ӣ", "аш", "он", "дар", "гон"]),
}


def words(language: str, rng: random.Random, count: int) -> str:
    stems, endings = LANGUAGES[language][2], LANGUAGES[language][3]
    return " ".join(rng.choice(stems) + rng.choice(endings) for _ in range(count))


def sentence(language: str, rng: random.Random) -> str:
    return words(language, rng, rng.randint(10, 24)).capitalize() + "."


def site_config(name: str, language: str) -> str:
    """The benchmark site's config: dated WordPress article URLs, its feed and sitemap index, tagDiv's body."""
    domain = f"{name}.test"
    return hostile_shapes.site_config(
        name, domain, LANGUAGES[language][0], language=language, body=".td-post-content",
        article_url="^https://" + domain.replace(".", "\\.") + "/\\d{4}/\\d\\d/\\d\\d/[a-z0-9-]+/$",
        sources={"feeds": [f"https://{domain}/feed/"], "sitemaps": [f"https://{domain}/sitemap_index.xml"]})


def teaser(site: str, language: str, rng: random.Random) -> str:
    return (f"<div class='td_module_flex td_module_flex_1'><div class='td-module-thumb'><a href='https://{site}.test/"
            f"2025/01/{rng.randint(1, 28):02d}/{rng.randint(1, 10**6)}/'><img src='/wp-content/uploads/"
            f"{rng.randint(1, 10**6)}.jpg' width='218' height='150'></a></div><div class='td-module-meta-info'>"
            f"<h3 class='entry-title td-module-title'><a href='#'>{sentence(language, rng)}</a></h3>"
            f"<span class='td-post-date'><time class='entry-date'>2025-01-01</time></span></div></div>")


def article_page(site: str, language: str, n: int, url: str, published: datetime, rng: random.Random) -> str:
    """A tagDiv-style WordPress article page: head, menu, body, related posts, sidebar, footer."""
    title = sentence(language, rng)[:-1]
    body = "".join(f"<p>{' '.join(sentence(language, rng) for _ in range(rng.randint(2, 4)))}</p>"
                   for _ in range(rng.randint(6, 14)))
    related = "".join(teaser(site, language, rng) for _ in range(rng.randint(6, 12)))
    sidebar = "".join(teaser(site, language, rng) for _ in range(rng.randint(80, 200)))
    menu = "".join(f"<li class='menu-item'><a href='/category/{k}/'>{words(language, rng, 1)}</a></li>"
                   for k in range(40))
    inline_js = "var tdBlocksArray = [];" + "".join(f"tdBlock{k}.id = 'tdi_{k}';"
                                                    for k in range(rng.randint(200, 600)))
    return (
        f"<!DOCTYPE html><html lang='{language}'><head><meta charset='UTF-8'><title>{title} - {site}</title>"
        f"<link rel='canonical' href='{url}'><meta property='og:type' content='article'>"
        f"<meta property='og:title' content='{title}'><meta property='article:published_time' "
        f"content='{published.isoformat()}'><script type='application/ld+json'>{{\"@context\": \"https://schema.org\", "
        f"\"@type\": \"NewsArticle\", \"headline\": \"{title}\", \"datePublished\": \"{published.isoformat()}\", "
        f"\"author\": {{\"@type\": \"Person\", \"name\": \"{words(language, rng, 2).title()}\"}}}}</script>"
        f"<link rel='stylesheet' href='/wp-content/themes/Newspaper/style.css'><script>{inline_js}</script></head>"
        f"<body class='post-template-default single single-post'><div class='td-header-wrap'><nav><ul class='menu'>"
        f"{menu}</ul></nav></div><div class='td-main-content-wrap'><article><div class='td-post-header'>"
        f"<h1 class='entry-title'>{title}</h1><time class='entry-date' datetime='{published.isoformat()}'></time></div>"
        f"<div class='td-post-content'>{body}<div class='td-post-sharing'><a href='#'>Facebook</a></div></div>"
        f"</article><div class='td_block_related_posts'>{related}</div></div><aside class='td-pb-span4'>{sidebar}"
        f"</aside><footer class='td-footer-wrapper'>{sentence(language, rng)}</footer></body></html>")


def build_site(root: Path, name: str, language: str, count: int, rng: random.Random) -> list[Path]:
    """Article pages, an RSS feed of the newest 30 and a sitemap index of 500-URL sitemaps."""
    now = datetime.now(UTC).replace(microsecond=0)
    pages, entries = [], []
    for n in range(count):
        published = now - timedelta(minutes=37 * n + 5)
        path = f"/{published:%Y/%m/%d}/{name}-news-{n}/"
        url = f"https://{name}.test{path}"
        page = root / path.strip("/") / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(article_page(name, language, n, url, published, rng), encoding="utf-8")
        pages.append(page)
        entries.append((url, published))
    items = "".join(f"<item><title>{n}</title><link>{url}</link><pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000"
                    f"</pubDate></item>" for n, (url, when) in enumerate(entries[:30]))
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(f"<rss version='2.0'><channel>{items}</channel></rss>", encoding="utf-8")
    children = []
    for k in range(0, count, 500):
        chunk = entries[k:k + 500]
        urls = "".join(f"<url><loc>{u}</loc><lastmod>{w.isoformat()}</lastmod></url>" for u, w in chunk)
        (root / f"post-sitemap{k // 500 + 1}.xml").write_text(
            f"<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"{urls}</urlset>", encoding="utf-8")
        children.append(f"<sitemap><loc>https://{name}.test/post-sitemap{k // 500 + 1}.xml</loc>"
                        f"<lastmod>{chunk[0][1].isoformat()}</lastmod></sitemap>")
    (root / "sitemap_index.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"{''.join(children)}</sitemapindex>", encoding="utf-8")
    return pages


FETCH_ONLY = """
import scrapy
class FetchOnly(scrapy.Spider):
    name = "fetchonly"
    custom_settings = {"ITEM_PIPELINES": {}, "SPIDER_MIDDLEWARES": {}, "EXTENSIONS": {}}
    def __init__(self, urls=None, **kw):
        super().__init__(**kw); self.urls = open(urls).read().split()
    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)
    def parse(self, response):
        return None
"""


@dataclass
class Run:
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss_mb: int = 0


def timed(command: list[str], run: Run) -> None:
    """Run a child process, adding its wall and CPU seconds to ``run`` and keeping its peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    run.wall += time.perf_counter() - started
    run.cpu += usage.ru_utime + usage.ru_stime
    run.peak_rss_mb = max(run.peak_rss_mb, usage.ru_maxrss // 1024)
    if child.returncode not in (0, 3):  # 3: a degraded run (generated sites trip monitors) still counts
        raise SystemExit(f"{' '.join(command[:5])} exited {child.returncode}")


# Where the in-process CPU of an article goes: (stage, [(module, attribute), ...]). A stage's time leaves out
# the stages it calls; what no stage covers (the spider callback around extraction, item building, the
# event loop) is the "spider callback, items" rest.
STAGES: list[tuple[str, list[tuple[str, str]]]] = [
    ("parse: one lxml tree, JSON-LD, meta", [("crawler.extract.article", "_Page.__init__")]),
    ("title", [("crawler.extract.article", "_title")]),
    ("authors", [("crawler.extract.article", "page_authors")]),
    ("dates", [("crawler.extract.article", "_published"), ("crawler.extract.article", "_modified")]),
    ("body: site rules or generic", [("crawler.extract.article", "_body")]),
    ("boilerplate lines (extraction, cleaning)", [("crawler.extract.article", "kept_paragraphs"),
                                                  ("crawler.cleaning", "clean_paragraphs")]),
    ("language", [("crawler.extract.article", "_language")]),
    ("other fields: images, tags, URLs", [("crawler.extract.article", "extract_article")]),
    ("cleaning: normalise, cut, hash", [("pipelines.cleaning", "CleaningPipeline.process_item")]),
    ("MinHash, LSH bands", [("crawler.cleaning", "signature"), ("crawler.cleaning", "bands")]),
    ("validation", [("pipelines.validation", "ValidationPipeline.process_item")]),
    ("stored HTML: sanitize the tree", [("crawler.extract.article", "_tree_to_store"),
                                        ("crawler.extract.article", "_stored_html"),
                                        ("crawler.storage.store", "inert_utf8")]),
    ("stored record, HTML gzip", [("crawler.storage.config", "to_document"),
                                  ("crawler.storage.store", "_page_upsert")]),
]


class StageClock:
    """CPU ms per stage (:data:`STAGES`), measured by wrapping the stages' functions in this process."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = dict.fromkeys([name for name, _ in STAGES], 0.0)
        self.inner: list[float] = []  # per active stage: CPU of the stages it called
        self.replaced: list[tuple[Any, str, Any]] = []  # (owner, attribute, the function as it was)

    def install(self) -> None:
        import importlib

        for name, places in STAGES:
            for module, path in places:
                owner: Any = importlib.import_module(module)
                *parents, attribute = path.split(".")
                for parent in parents:
                    owner = getattr(owner, parent)
                self.replaced.append((owner, attribute, getattr(owner, attribute)))
                setattr(owner, attribute, self._timed(name, getattr(owner, attribute)))

    def uninstall(self) -> None:
        """The stages' functions as they were: what runs next (``--profile``'s pages) is not counted."""
        while self.replaced:
            owner, attribute, function = self.replaced.pop()
            setattr(owner, attribute, function)

    def _timed(self, stage: str, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.inner.append(0.0)
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                inner = self.inner.pop()
                self.ms[stage] += (spent - inner) * 1000
                if self.inner:
                    self.inner[-1] += spent
        return timed


def _at_least_one(value: str) -> int:
    """``--sample``: the timings need at least one page (0 divided by zero in the report)."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def per_article_cpu(sites: list[tuple[Path, Path, str]], sample: int, clock: StageClock | None = None) -> list[float]:
    """CPU ms of each sampled page through the spider callback, cleaning, validation and the
    storage document (sanitized, gzipped HTML included), in this process; by stage into ``clock``."""
    if clock is not None:
        clock.install()  # first: the names imported below are then the timed functions
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawler.items import ArticleItem
    from crawler.spiders.news import NewsSpider
    from crawler.storage.config import to_document
    from crawler.storage.store import _page_upsert
    from pipelines.cleaning import CleaningPipeline
    from pipelines.validation import ValidationPipeline

    async def items(spider: NewsSpider, response: HtmlResponse, url: str) -> list[Any]:
        return [item async for item in spider.parse_article(response, seen_as=url)]

    timings = []
    loop = asyncio.new_event_loop()
    for config, site_root, name in sites:
        crawler = get_crawler(NewsSpider, settings_dict={"EXTRACTION_WORKERS": 0})  # extraction in this thread
        spider = NewsSpider.from_crawler(crawler, config=str(config))
        cleaning = CleaningPipeline.from_crawler(crawler)
        validation = ValidationPipeline.from_crawler(crawler)
        pages = sorted(site_root.rglob("index.html"))[:sample // 3 + 1]
        for page in pages:
            url = f"https://{name}.test/{page.parent.relative_to(site_root)}/"
            response = HtmlResponse(url, body=page.read_bytes(), headers={"Content-Type": "text/html; charset=utf-8"},
                                    request=Request(url))
            started = time.thread_time()
            for item in loop.run_until_complete(items(spider, response, url)):
                if isinstance(item, ArticleItem):
                    doc, html = to_document(validation.process_item(cleaning.process_item(item)))
                    _page_upsert(doc, html or "")
            timings.append((time.thread_time() - started) * 1000)
    loop.close()
    return timings


def profile_pages(sites: list[tuple[Path, Path, str]], sample: int, top: int) -> None:
    """The ``top`` functions by own CPU time over the sampled pages' in-process work (cProfile slows
    Python code more than C, so this says where to look, the stage table says how much)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(per_article_cpu, sites, sample)
    sys.stdout.write(f"Where the in-process CPU goes (cProfile, top {top} by own time):\n")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def crawl_all(sites: list[tuple[Path, Path, str]], bases: list[str], data_dir: Path, mongo_uri: str,
              database: str) -> Run:
    run = Run()
    settings = [x for s in [*FAST, f"DATA_DIR={data_dir}", f"MONGO_DATABASE={database}",
                            *([f"MONGO_URI={mongo_uri}"] if mongo_uri else [])] for x in ("-s", s)]
    for (config, _, _), base in zip(sites, bases, strict=True):
        timed([sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config}", "-a", f"base_url={base}",
               *settings], run)
    return run


def count_stored(data_dir: Path, mongo_uri: str, database: str, others: int = 0) -> int:
    """Articles stored on the bench sites, in a store that also holds ``others`` records of other sites (pre-filled)."""
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget(mongo_uri, database, str(data_dir)))
    try:
        if mongo_uri:  # the collection's own count: any count or read of 200,000 records on nx-27017 ran past the
            return store.count_articles() - others  # store's socket timeout
        return sum(store.count_articles(f"bench{k}") for k in range(len(LANGUAGES)))
    finally:
        store.close()


def drop_database(mongo_uri: str, database: str, required: bool = True) -> None:
    """Drop a size's database. A drop that fails stops the bench when another size's crawl follows (``required``),
    else the database is left, with a message: nx-27017 dropping a million records stopped answering the driver's
    heartbeat, which cancelled the drop after the figures were taken."""
    from pymongo.errors import PyMongoError

    from scripts.raw_mongo import raw_client

    client = raw_client(mongo_uri, wait_s=10)
    try:
        client.drop_database(database)
    except PyMongoError as exc:
        if required:
            raise
        print(f"the database {database!r} was not dropped ({type(exc).__name__}: {exc}): drop it by hand",
              flush=True)
    finally:
        client.close()


# Scale-out: the shared crawl ends after the cluster was idle this long (the default 10 s would only
# lengthen the exit column); items are stored within STORAGE_FLUSH_SECONDS of their extraction; one
# process per worker (see the docstring). Cluster politeness stays on (two Redis calls per request)
# with the FAST concurrency of 32 in flight for the whole cluster and no delay: it never holds a
# request back on loopback.
SCALE = ["FRONTIER_IDLE_SECONDS=2", "STORAGE_FLUSH_SECONDS=0.5", "EXTRACTION_WORKERS=0"]


@dataclass
class ScaleRun:
    """One site crawled by ``workers`` processes at once."""

    workers: int
    articles: int = 0
    active: float = 0.0  # first start to the newest stored article's fetched_at
    wall: float = 0.0  # first start to the last exit
    cpu: float = 0.0  # all worker processes (their extraction processes included)
    problems: list[str] = field(default_factory=list)
    redis_calls: int = 0
    others_cpu: float = 0.0  # this process (the replica's HTTP server), redis-server and nx-27017


def process_cpu(pids: list[int]) -> float:
    """CPU seconds so far of this process and of ``pids`` (from /proc; 0 where unreadable)."""
    usage = os.times()
    total = usage.user + usage.system
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def crawl_shared(site: tuple[Path, Path, str], base: str, workers: int, redis_url: str, store: dict[str, str],
                 shared_dir: bool, extra: list[str], work: Path, servers: list[int]) -> ScaleRun:
    """``workers`` processes started at once on one shared crawl of ``site``; checked against its pages."""
    import redis

    from crawler.storage.store import ArticleStore, StoreTarget

    config, root, name = site
    client = redis.Redis.from_url(redis_url)
    client.flushall()  # fresh crawl keys, politeness slots and command counts
    client.config_resetstat()
    settings = [x for s in [*FAST, *SCALE, *extra, *[f"{k}={v}" for k, v in store.items() if k != "DATA_DIR"]]
                for x in ("-s", s)]
    env = {**os.environ, "REDIS_URL": redis_url}
    run = ScaleRun(workers)
    others = process_cpu(servers)
    started = time.time()
    children = []
    for k in range(workers):
        data_dir = store["DATA_DIR"] if shared_dir else str(work / f"worker-{name}-{workers}-{k}")
        children.append(subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={config}", "-a", f"base_url={base}",
             *settings, "-s", f"DATA_DIR={data_dir}"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL))
    for child in children:
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        run.cpu += usage.ru_utime + usage.ru_stime + 0.0
        if child.returncode not in (0, 3):
            run.problems.append(f"a worker exited {child.returncode}")
    run.wall = time.time() - started
    run.others_cpu = process_cpu(servers) - others
    # Children's CPU (extraction processes) reaches wait4 of the worker only once reaped by it: counted.
    stats = client.info("commandstats")
    run.redis_calls = sum(int(v["calls"]) for v in stats.values())
    client.close()
    target = ArticleStore.connect(StoreTarget(store.get("MONGO_URI", ""), store["MONGO_DATABASE"], store["DATA_DIR"]))
    try:
        docs = list(target.db["articles"].find({"site": name}, {"url": 1, "fetched_at": 1}))
    finally:
        target.close()
    expected = {f"https://{name}.test/{p.parent.relative_to(root)}/" for p in root.rglob("index.html")}
    urls = [d["url"] for d in docs]
    run.articles = len(urls)
    if len(set(urls)) != len(urls):
        run.problems.append(f"{len(urls) - len(set(urls))} stored twice")
    if set(urls) != expected:
        run.problems.append(f"{len(expected - set(urls))} missing, {len(set(urls) - expected)} unexpected")
    if docs:
        run.active = max(_aware(d["fetched_at"]) for d in docs).timestamp() - started
    return run


def scale_out(sites: list[tuple[Path, Path, str]], bases: list[str], work: Path, counts: list[int],
              mongo_uri: str, nx27017: bool, extra: list[str]) -> list[ScaleRun]:
    """Each worker count in turn on fresh stores and fresh crawl keys; one row per count (sites summed)."""
    rows = []
    with ExitStack() as stack:
        try:
            redis_url, redis_process = stack.enter_context(running_redis())
        except RuntimeError as exc:
            raise SystemExit(f"--workers needs {exc}") from None
        servers = [redis_process.pid]
        if nx27017 and not mongo_uri:
            (work / "nx27017").mkdir()
            port = free_port()
            server = start_nx27017(work / "nx27017", port)
            stack.callback(kill, server)
            servers.append(server.pid)
            mongo_uri = f"mongodb://127.0.0.1:{port}"
        for workers in counts:
            store = {"DATA_DIR": str(work / f"scale{workers}"),
                     "MONGO_DATABASE": f"scale{workers}_{uuid.uuid4().hex[:8]}"}
            if mongo_uri:
                store["MONGO_URI"] = mongo_uri
            total = ScaleRun(workers)
            for site, base in zip(sites, bases, strict=True):
                run = crawl_shared(site, base, workers, redis_url, store, not mongo_uri, extra, work, servers)
                total.articles += run.articles
                total.active += run.active
                total.wall += run.wall
                total.cpu += run.cpu
                total.redis_calls += run.redis_calls
                total.others_cpu += run.others_cpu
                total.problems += [f"{site[2]}: {p}" for p in run.problems]
            print(f"  {workers} worker(s): {total.articles} articles in {total.active:.1f} s "
                  f"({total.wall:.1f} s to exit){'; ' + '; '.join(total.problems) if total.problems else ''}",
                  flush=True)
            rows.append(total)
    return rows


def report_scale(rows: list[ScaleRun]) -> None:
    base = rows[0].articles / rows[0].active if rows and rows[0].active else 0.0
    lines = [f"{'workers':>7} {'articles':>8} {'seconds':>8} {'articles/s':>10} {'speed-up':>8} "
             f"{'to exit s':>9} {'CPU ms/art':>10} {'+servers':>8} {'cores busy':>10} {'Redis calls/art':>15}  check"]
    for row in rows:
        rate = row.articles / row.active if row.active else 0.0
        per = 1000 / max(row.articles, 1)
        # Cores busy: all CPU (workers, HTTP server, Redis, store) over the active span.
        lines.append(f"{row.workers:>7} {row.articles:>8} {row.active:>8.1f} {rate:>10.1f} "
                     f"{rate / base if base else 0:>7.2f}x {row.wall:>9.1f} {row.cpu * per:>10.1f} "
                     f"{row.others_cpu * per:>8.1f} {(row.cpu + row.others_cpu) / max(row.active, 0.001):>10.2f} "
                     f"{row.redis_calls * per / 1000:>15.1f}  "
                     f"{'; '.join(row.problems) or 'each article stored once'}")
    sys.stdout.write("\n".join(lines) + "\n")


@dataclass
class ProcessesRun:
    """One ``scrapy crawlall --processes N`` over every generated site."""

    processes: int
    articles: int = 0
    run: Run = field(default_factory=Run)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    problems: list[str] = field(default_factory=list)


def crawl_processes(sites: list[tuple[Path, Path, str]], bases: list[str], work: Path, counts: list[int],
                    mongo_uri: str) -> list[ProcessesRun]:
    """``scrapy crawlall --processes N`` for each N in turn, each into a fresh store."""
    rows = []
    for processes in counts:
        data_dir, database = work / f"processes{processes}", f"processes{processes}_{uuid.uuid4().hex[:8]}"
        settings = [*FAST, f"DATA_DIR={data_dir}", f"MONGO_DATABASE={database}",
                    *([f"MONGO_URI={mongo_uri}"] if mongo_uri else [])]
        command = [sys.executable, "-m", "scrapy", "crawlall", "--processes", str(processes),
                   *[f"--config={config}" for config, _, _ in sites],
                   *[f"--base-url={name}={base}" for (_, _, name), base in zip(sites, bases, strict=True)],
                   *[x for s in settings for x in ("-s", s)]]
        row = ProcessesRun(processes)
        before = os.getloadavg()[0]
        timed(command, row.run)
        row.load = (before, os.getloadavg()[0])
        row.articles, row.problems = check_stored(sites, data_dir, mongo_uri, database)
        print(f"  --processes {processes}: {row.articles} articles in {row.run.wall:.1f} s", flush=True)
        rows.append(row)
    return rows


def add_history(root: Path, name: str, newer: int, count: int, data_dir: Path, mongo_uri: str,
                database: str) -> None:
    """``count`` articles of site ``name`` older than its ``newer`` generated ones, stored as a crawl leaves
    them (not crawled) and listed in more 500-URL child sitemaps of its index."""
    from crawler.storage.store import ArticleStore, StoreTarget
    from crawler.urls import url_id

    now = datetime.now(UTC).replace(microsecond=0)
    oldest = now - timedelta(minutes=37 * newer + 5)
    store = ArticleStore.connect(StoreTarget(mongo_uri, database, str(data_dir)))
    children = []
    try:
        for first in range(0, count, 500):
            dated = [(oldest - timedelta(minutes=37 * (n + 1)), n) for n in range(first, min(first + 500, count))]
            entries = [(f"https://{name}.test/{when:%Y/%m/%d}/{name}-old-{n}/", when) for when, n in dated]
            (root / f"old-sitemap{first // 500 + 1}.xml").write_text(
                "<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                + "".join(f"<url><loc>{u}</loc><lastmod>{w.isoformat()}</lastmod></url>" for u, w in entries)
                + "</urlset>", encoding="utf-8")
            children.append(f"<sitemap><loc>https://{name}.test/old-sitemap{first // 500 + 1}.xml</loc>"
                            f"<lastmod>{entries[0][1].isoformat()}</lastmod></sitemap>")
            store.db["articles"].insert_many([
                {"_id": url_id(u), "url": u, "urls": [u], "site": name, "title": u, "published": w, "first_seen": w,
                 "fetched_at": w, "last_checked": now, "content_hash": hashlib.sha256(u.encode()).hexdigest()}
                for u, w in entries])
    finally:
        store.close()
    index = root / "sitemap_index.xml"
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace("</sitemapindex>", "".join(children) + "</sitemapindex>"), encoding="utf-8")


def nothing_new(sites: list[tuple[Path, Path, str]], bases: list[str], served: list[Any], work: Path,
                history: int, newer: int, mongo_uri: str) -> None:
    """Crawl every site, then again with nothing changed; print what the second run cost."""
    data_dir, database = work / "nothing-new", f"nothingnew_{uuid.uuid4().hex[:8]}"
    for _, root, name in sites:
        add_history(root, name, newer, history, data_dir, mongo_uri, database)
    first = crawl_all(sites, bases, data_dir, mongo_uri, database)
    before = count_stored(data_dir, mongo_uri, database)
    print(f"  first run : {before} stored, {first.wall:.1f} s, {sum(len(s.answers) for s in served)} requests",
          flush=True)
    for server in served:
        server.answers.clear()
    second = crawl_all(sites, bases, data_dir, mongo_uri, database)
    stored = count_stored(data_dir, mongo_uri, database) - before
    answers = [answer for server in served for answer in server.answers]
    requests = [f"{path} {status}" for path, status in answers]
    not_modified = sum(status == 304 for _, status in answers)
    sys.stdout.write(
        f"nothing new      : {len(requests)} requests for {len(sites)} site(s) ({not_modified} answered 304), "
        f"{second.wall:.1f} s, {second.cpu:.2f} CPU s ({second.cpu / len(sites):.2f} per site), "
        f"{stored} articles stored; {before:,} stored before, {history:,} of them listed in old sitemaps per site\n"
        f"  requests     : {', '.join(sorted(requests))}\n")


def check_stored(sites: list[tuple[Path, Path, str]], data_dir: Path, mongo_uri: str,
                 database: str) -> tuple[int, list[str]]:
    """Articles stored for the generated sites, and what differs from their pages (twins, missing)."""
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget(mongo_uri, database, str(data_dir)))
    try:
        total, problems = 0, []
        for _, root, name in sites:
            urls = [d["url"] for d in store.db["articles"].find({"site": name}, {"url": 1})]
            expected = {f"https://{name}.test/{p.parent.relative_to(root)}/" for p in root.rglob("index.html")}
            total += len(urls)
            if len(set(urls)) != len(urls):
                problems.append(f"{name}: {len(urls) - len(set(urls))} stored twice")
            if set(urls) != expected:
                problems.append(f"{name}: {len(expected - set(urls))} missing")
        return total, problems
    finally:
        store.close()


def report_processes(rows: list[ProcessesRun]) -> None:
    base = rows[0].articles / rows[0].run.wall if rows and rows[0].run.wall else 0.0
    lines = [f"{'processes':>9} {'articles':>8} {'seconds':>8} {'articles/s':>10} {'speed-up':>8} "
             f"{'CPU ms/art':>10} {'cores busy':>10} {'load before/after':>17}  check"]
    for row in rows:
        rate = row.articles / row.run.wall if row.run.wall else 0.0
        lines.append(f"{row.processes:>9} {row.articles:>8} {row.run.wall:>8.1f} {rate:>10.1f} "
                     f"{rate / base if base else 0:>7.2f}x {row.run.cpu * 1000 / max(row.articles, 1):>10.1f} "
                     f"{row.run.cpu / max(row.run.wall, 0.001):>10.2f} {row.load[0]:>8.2f}/{row.load[1]:<8.2f}  "
                     f"{'; '.join(row.problems) or 'each article stored once'}")
    sys.stdout.write("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=3, help=f"1-{len(LANGUAGES)} generated sites")
    parser.add_argument("--articles", type=int, default=1000, help="article pages per site")
    parser.add_argument("--store-size", default="", help="articles already stored (comma-separated for several): "
                        "the crawl is measured on an empty store, then on one pre-filled with as many")
    parser.add_argument("--sample", type=_at_least_one, default=300, help="pages timed one by one in process")
    parser.add_argument("--mongo-uri", default="", help="store into this server (default: embedded store)")
    parser.add_argument("--workers", default="1",
                        help="comma-separated worker counts of a shared crawl (Redis), e.g. 1,2,3: scale-out only")
    parser.add_argument("--nx27017", action="store_true",
                        help="scale-out into an nx-27017 server of its own (default: one shared embedded store)")
    parser.add_argument("--processes", default="",
                        help="comma-separated process counts of scrapy crawlall --processes N, e.g. 1,2")
    parser.add_argument("--nothing-new", type=int, default=None, metavar="N",
                        help="measure a second run that finds nothing new, N older articles stored per site")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also print the N functions the sampled pages spend most CPU in (cProfile, own time)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the scale-out workers (repeatable)")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    languages = list(LANGUAGES)[:max(1, min(args.sites, len(LANGUAGES)))]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        work = Path(tmp)
        sites, bases, pages, served = [], [], [], []
        for k, language in enumerate(languages):
            name = f"bench{k}"
            pages += build_site(work / name, name, language, args.articles, rng)
            (work / f"{name}.toml").write_text(site_config(name, language), encoding="utf-8")
            sites.append((work / f"{name}.toml", work / name, name))
            served.append(servers.enter_context(serve(work / name)))
            bases.append(f"http://127.0.0.1:{served[-1].server_port}")
        size_kb = sum(p.stat().st_size for p in pages) / len(pages) / 1024
        print(f"sites: {len(sites)} ({', '.join(languages)}), {len(pages)} article pages, "
              f"{size_kb:.0f} KB on average", flush=True)
        if args.processes:
            print(f"crawlall: --processes {args.processes} over every site; store: "
                  f"{args.mongo_uri or 'embedded'}; {os.cpu_count()} cores", flush=True)
            report_processes(crawl_processes(sites, bases, work, [int(n) for n in args.processes.split(",")],
                                             args.mongo_uri))
            return 0
        if args.nothing_new is not None:
            print(f"nothing new: a second run over every site; {args.nothing_new:,} older articles stored per site; "
                  f"store: {args.mongo_uri or 'embedded'}", flush=True)
            nothing_new(sites, bases, served, work, args.nothing_new, args.articles, args.mongo_uri)
            return 0
        if counts != [1]:
            print(f"scale-out: {', '.join(map(str, counts))} workers on one shared crawl per site; store: "
                  f"{args.mongo_uri or ('nx-27017' if args.nx27017 else 'embedded (one DATA_DIR)')}; "
                  f"settings {' '.join([*SCALE, *args.set])}", flush=True)
            report_scale(scale_out(sites, bases, work, counts, args.mongo_uri, args.nx27017, args.set))
            return 0
        print(f"store: {'MongoDB' if args.mongo_uri else 'embedded'}", flush=True)
        results = []
        sizes = [0, *(int(s) for s in args.store_size.split(",") if s)]
        for size in sizes:
            data_dir, database = work / f"data{size}", f"bench{size}_{uuid.uuid4().hex[:8]}"
            if size:
                started = time.monotonic()
                steps = fill_store(data_dir, args.mongo_uri, database, size)
                print(f"pre-filled {size:,} articles in {time.monotonic() - started:.0f} s ("
                      + ", ".join(f"{k} {v:.0f} s" for k, v in steps.items()) + ")", flush=True)
            crawl = crawl_all(sites, bases, data_dir, args.mongo_uri, database)
            stored = count_stored(data_dir, args.mongo_uri, database, size)
            results.append((size, stored, crawl))
            if size == 0:
                reextract = Run()
                timed([sys.executable, "-m", "scrapy", "reextract", *[f"--config={c}" for c, _, _ in sites],
                       *[x for s in [f"DATA_DIR={data_dir}", f"MONGO_DATABASE={database}",
                                     *([f"MONGO_URI={args.mongo_uri}"] if args.mongo_uri else [])]
                         for x in ("-s", s)]], reextract)
            print(f"store {size:>7} before: {stored / crawl.wall:6.1f} articles/s, {crawl.cpu * 1000 / stored:5.1f} "
                  f"CPU ms/article, peak RSS {crawl.peak_rss_mb} MB ({stored} stored)", flush=True)
            if args.mongo_uri:  # nx-27017 keeps every database's collections in one namespace: the next size's
                drop_database(args.mongo_uri, database, required=size != sizes[-1])  # crawl would find them stored
        (work / "fetchonly.py").write_text(FETCH_ONLY, encoding="utf-8")
        fetch = Run()  # one process per site, as the pipeline crawl runs
        for (_, root, name), base in zip(sites, bases, strict=True):
            urls = work / f"{name}.urls"
            urls.write_text("\n".join(f"{base}/{p.parent.relative_to(root)}/" for p in root.rglob("index.html")),
                            encoding="utf-8")
            timed([sys.executable, "-m", "scrapy", "runspider", str(work / "fetchonly.py"), "-a", f"urls={urls}",
                   *[x for s in FAST for x in ("-s", s)]], fetch)
        import trafilatura

        sample = random.Random(3).sample(pages, min(args.sample, len(pages)))
        started = time.process_time()
        for page in sample:
            trafilatura.extract(page.read_text(encoding="utf-8"))
        traf_ms = (time.process_time() - started) * 1000 / len(sample)
        per_article_cpu(sites[:1], 1)  # first use: models and caches load outside the figures
        clock = StageClock()
        timings = per_article_cpu(sites, args.sample, clock)
        clock.uninstall()
        if args.profile:
            profile_pages(sites, args.sample, args.profile)
    report(results, len(pages), fetch, traf_ms, timings)
    report_stages(clock, timings, results[0][2].cpu * 1000 / results[0][1])
    sys.stdout.write(f"re-extraction    : {results[0][1] / reextract.wall:6.1f} articles/s, "
                     f"{reextract.cpu * 1000 / results[0][1]:5.1f} CPU ms/article (scrapy reextract, whole process)\n")
    return 0


def report(results: list[tuple[int, int, Run]], pages: int, fetch: Run, traf_ms: float,
           timings: list[float]) -> None:
    _, stored, crawl = results[0]
    rate, fetch_rate, traf_rate = stored / crawl.wall, pages / fetch.wall, 1000 / traf_ms
    p95 = statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]  # --sample 1: one page
    lines = [
        f"pipeline crawl   : {rate:6.1f} articles/s, {crawl.cpu * 1000 / stored:5.1f} CPU ms/article "
        f"(crawl processes), peak RSS {crawl.peak_rss_mb} MB",
        f"  per article    : CPU ms median {statistics.median(timings):.1f}, p95 {p95:.1f} "
        f"(spider callback, pipelines, stored document; {len(timings)} pages in process)",
        f"fetch-only crawl : {fetch_rate:6.1f} pages/s, {fetch.cpu * 1000 / pages:5.1f} CPU ms/page",
        f"trafilatura only : {traf_rate:6.1f} pages/s, {traf_ms:5.1f} CPU ms/page (extraction alone)",
        f"ratios           : pipeline/fetch-only {rate / fetch_rate:.2f}, "
        f"pipeline/trafilatura-only {rate / traf_rate:.2f}",
    ]
    if len(results) > 1:
        lines.append(f"{'stored before':>13} {'articles':>8} {'articles/s':>10} {'CPU ms/art':>10} {'peak RSS MB':>11} "
                     f"{'speed vs empty':>14} {'CPU vs empty':>12}")
        base_rate, base_cpu = stored / crawl.wall, crawl.cpu / stored
        for size, n, run in results:
            rate, cpu = n / run.wall, run.cpu / n
            lines.append(f"{size:>13,} {n:>8} {rate:>10.1f} {cpu * 1000:>10.1f} {run.peak_rss_mb:>11} "
                         f"{(rate / base_rate - 1) * 100:>+13.1f}% {(cpu / base_cpu - 1) * 100:>+11.1f}%")
    sys.stdout.write("\n".join(lines) + "\n")


def report_stages(clock: StageClock, timings: list[float], crawl_ms: float) -> None:
    """CPU ms per article by stage (the sampled pages' mean), then what the crawl process spends besides."""
    pages = max(len(timings), 1)
    rest = sum(timings) / pages - sum(clock.ms.values()) / pages
    rows = [*((name, ms / pages) for name, ms in clock.ms.items()), ("spider callback, items", rest)]
    lines = [f"CPU per article by stage (mean of {len(timings)} pages in process, ms):"]
    lines += [f"  {name:<44} {ms:5.2f}" for name, ms in rows]
    lines.append(f"  {'= in process':<44} {sum(timings) / pages:5.2f}")
    lines.append(f"  {'crawl process besides (Scrapy, HTTP, store)':<44} {crawl_ms - sum(timings) / pages:5.2f}"
                 f"  (crawl CPU {crawl_ms:.2f} ms/article minus the above)")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
