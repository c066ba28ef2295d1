"""Memory: a crawl loads the heavy libraries only on the paths that use them. A plain-HTTP site
never imports scrapy-playwright or Playwright in the crawl process (about 10 MB and half a second),
and with extraction in worker processes (the default) the crawl process never imports the extractor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawling import ROOT, StoreCrawl
from tests.modules_probe import settings_with_probe
from tests.replicas import REPLICAS, expected_articles

BROWSER_MODULES = ("scrapy_playwright", "playwright", "crawler.browser_handler")
EXTRACTOR_MODULES = ("trafilatura", "htmldate", "justext", "crawler.extract.article")  # EXTRACTION_WORKERS=1
PLAIN_SITE = "24kg"
# Scrapy's RemoteControl extension (off here: a code-execution server in every crawl) is all that imports it;
# redis only the frontier's components once REDIS_URL is set (without it they decline, and import none of it).
UNUSED_MODULES = ("aiohttp", "scrapy.extensions.remote_control", "redis")
# Scrapy imports every command's module for any command, a crawl too: what only other commands use (export
# formats, the process pool, the report page, the sites table) is imported by those commands when they run.
COMMAND_MODULES = ("crawler.export.options", "crawler.export.records", "crawler.export.progress",
                   "crawler.export.rows", "crawler.export.writers", "crawler.parallel", "concurrent.futures.process",
                   "crawler.report_page", "crawler.sites.coverage")


@pytest.mark.e2e
def test_a_plain_site_crawl_never_imports_the_browser(tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.json"
    crawl = StoreCrawl(None, tmp_path / "crawls")
    probe = settings_with_probe(*BROWSER_MODULES, *EXTRACTOR_MODULES, *UNUSED_MODULES, *COMMAND_MODULES,
                                "crawler.storage.store",
                                "crawler.frontier.politeness", "crawler.frontier.seeding")
    result = crawl(PLAIN_SITE, replica=REPLICAS / PLAIN_SITE, expect=0, settings=[*probe, f"STATS_FILE={stats_file}"])
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    assert stats["test/imported/crawler.storage.store"] == 1  # the probe sees what the crawl imported
    assert stats["test/imported/crawler.frontier.politeness"] == stats["test/imported/crawler.frontier.seeding"] == 1
    unused = (*BROWSER_MODULES, *EXTRACTOR_MODULES, *UNUSED_MODULES, *COMMAND_MODULES)
    assert {name: stats[f"test/imported/{name}"] for name in unused} == dict.fromkeys(unused, 0)
    assert stats.get("item_scraped_count", 0) == len(expected_articles(PLAIN_SITE)), result.log[-2000:]


@pytest.mark.e2e
def test_a_crawl_on_the_embedded_store_never_imports_pymongo_or_redis(tmp_path: Path) -> None:
    """pymongo (the MongoDB driver: a fifth of a second of CPU to load) is loaded only for a MongoDB URI, redis (a
    tenth) only with ``REDIS_URL``. Python's import log of every process of a crawl into the embedded store (site
    lease, stored articles and pages, conditional requests, run record; the frontier's components are all
    configured, and each declines) names neither."""
    crawl = StoreCrawl(None, tmp_path / "crawls")
    result = crawl(PLAIN_SITE, replica=REPLICAS / PLAIN_SITE, expect=0, env={"PYTHONPROFILEIMPORTTIME": "1"},
                   settings=["SITE_LOCK_ENABLED=1"])
    imported = {line.split("|")[-1].strip() for line in result.log.splitlines() if line.startswith("import time:")}
    assert {"crawler.storage.store", "crawler.storage.lease", "neosqlite",
            "crawler.frontier.connection"} <= imported  # the log is complete
    assert not {name for name in imported if name.split(".")[0] in ("pymongo", "redis")}
    assert result.stats["storage/inserted"] == len(expected_articles(PLAIN_SITE))


# An extraction worker's start (imports, warm-up) and a page the body model reads: trafilatura (the fallback for
# a page the model keeps nothing of) is not loaded for it.
WORKER = """
import json, sys
from crawler.extract.article import extract_article, warm_up
warm_up()
page = extract_article(open(sys.argv[1], "rb").read().decode(), "https://news.example/english/1_a/", None)
print(json.dumps({"paragraphs": len(page.paragraphs), "source": page.sources.get("body"),
                  "loaded": [name for name in ("trafilatura", "justext", "courlan") if name in sys.modules]}))
"""


def test_an_extraction_worker_loads_trafilatura_only_for_a_page_it_needs() -> None:
    page = next((REPLICAS / PLAIN_SITE / "english").glob("*/index.html"))
    done = subprocess.run([sys.executable, "-c", WORKER, str(page)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    worker = json.loads(done.stdout)
    assert worker["source"] == "generic" and worker["paragraphs"] >= 3, worker  # the body model read the page
    assert worker["loaded"] == [], worker
    assert "Deprecat" not in done.stderr
