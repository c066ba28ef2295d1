"""``DOWNLOAD_MAXSIZE`` bounds a page rendered in Chromium too: Chromium decompresses what it fetches and scripts
build the DOM, so the page Scrapy gets (Chromium's serialized DOM) was never measured. The real ``scrapy crawl`` of
a site that needs the browser, one of whose pages is 13 MB once decompressed (44 KB gzipped on the wire), with the
limit at 4 MB: that page is dropped and counted ``download/failed/too_large``, in one line, and the good one stored.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config
from tests.test_browser import requires_chromium

DOMAIN = "big.kg"
MAX_SIZE = 4 * 1024 * 1024


def build(root: Path) -> Path:
    """The replica under ``root``; its site config's path (a site whose pages are all rendered)."""
    pages = {"good": article("good").encode(),
             "huge": gzip.compress(article("huge", extra=("<p>" + "слово " * 100 + "</p>") * 12_000).encode(), 6)}
    for slug, body in pages.items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_bytes(body)
    items = "".join(f"<item><link>https://{DOMAIN}/news/{slug}/</link></item>" for slug in pages)
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(f"<rss><channel>{items}</channel></rss>", encoding="utf-8")
    gzipped = {"/news/huge/": {"headers": {"Content-Encoding": "gzip"}}}
    (root / "_server.json").write_text(json.dumps({"paths": gzipped}))
    config = root.parent / "big.toml"
    text = site_config("big", DOMAIN, "Asia/Bishkek").replace("article_url", "needs_browser = true\narticle_url", 1)
    config.write_text(text, encoding="utf-8")
    return config


@requires_chromium
def test_a_rendered_page_over_download_maxsize_is_dropped(tmp_path: Path, mongo: MongoTarget,
                                                          crawl_into_store: StoreCrawl) -> None:
    config = build(tmp_path / "site")
    result = crawl_into_store("news", f"config={config}", replica=tmp_path / "site", timeout=180,
                              settings=["ROBOTSTXT_OBEY=0", f"DOWNLOAD_MAXSIZE={MAX_SIZE}"])
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert {doc["url"] for doc in mongo.db.articles.find()} == {f"https://{DOMAIN}/news/good/"}
    stats = result.stats
    assert stats["download/failed/too_large"] == 1 and stats["browser/rendered"] == 1
    dropped = [line for line in result.stderr.splitlines() if "over DOWNLOAD_MAXSIZE" in line]
    assert len(dropped) == 1 and "/news/huge/" in dropped[0], dropped
