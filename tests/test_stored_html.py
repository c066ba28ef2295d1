"""The stored page is made inert on extraction's own parse (its tree, with what the readers changed put back),
not parsed a second time: what is stored is what the sanitizer makes of the page text, byte for byte, and
extraction reads the same."""

from __future__ import annotations

import asyncio
import gzip
import random
import runpy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

import crawler.extract.article
import crawler.sanitize
from crawler.cleaning import clean
from crawler.extract.article import extract_article
from crawler.extract.pool import ExtractionPool
from crawler.items import ArticleItem
from crawler.limits import RecordLimits
from crawler.sanitize import InertHtml, inert_html
from crawler.sites import load_site_file
from crawler.storage.store import _page_upsert
from tests.test_sanitize_bypasses import PAYLOADS, page

ROOT = Path(__file__).resolve().parent.parent
URL = "https://example.tj/2026/11/20/border-talks/"
NOW = datetime(2026, 11, 30, tzinfo=UTC)

# Scripts, event handlers, script URLs, comments, CDATA, nested and unclosed forms, <br> in the body
# (the body reader rewrites <br> tails in the tree) and chrome inside the body container (site rules drop it
# from the tree): the stored page must be made from the tree as parsed, before extraction changed it.
TRICKY = """<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Переговоры о границе</title>
<script>var a = "</p>"; steal(document.cookie)</script><!-- a comment --><![CDATA[ x ]]>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Переговоры о границе",
 "datePublished": "2026-11-20T10:00:00+05:00"}</script><meta http-equiv="refresh" content="0;url=javascript:x()">
<style>@import "https://evil.example/x.css";</style></head>
<body onload="evil()"><article><h1 class="entry-title">Переговоры о границе</h1>
<div class="td-post-content"><p onclick="x()">Делегации встретились в Душанбе,<br>чтобы обсудить границу.
<a href="java&#x09;script:alert(1)">ещё</a></p><div class="sharedaddy">Поделиться: <a href="#">VK</a></div>
<form action="javascript:go()"><form><input name="q" onfocus="x()"></form><p>Переговоры продолжатся в
следующем месяце в Бишкеке, сообщили министерства в своих заявлениях.</p><!-- end -->
<svg><a xlink:href="javascript:alert(2)"><text>svg</text></a><![CDATA[<img src=x onerror=alert(3)>]]></svg>
<iframe src="https://tracker.example/"></iframe><noscript><img src="x" onerror="y()"></noscript>
<p style="background:url('javascript:alert(4)')">Стороны договорились о новой встрече и обмене документами.</p>
</div></article></body></html>"""


@pytest.fixture(scope="module")
def bench_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """A site with rules (body, title) and one of the crawl benchmark's generated pages."""
    bench_crawl = runpy.run_path(str(ROOT / "scripts" / "bench_crawl.py"))
    config = tmp_path_factory.mktemp("site") / "bench0.toml"
    config.write_text(bench_crawl["site_config"]("bench0", "ru"), encoding="utf-8")
    url = "https://bench0.test/2026/11/01/bench0-news-1/"
    html = bench_crawl["article_page"]("bench0", "ru", 1, url, datetime(2026, 11, 1, tzinfo=UTC), random.Random(5))
    return load_site_file(config), html


def _without_html(record: Any) -> dict[str, Any]:
    return {k: v for k, v in record.as_dict().items() if k != "html"}


@pytest.mark.parametrize("name", ["tricky", *PAYLOADS])
def test_the_stored_page_is_the_sanitizers_and_extraction_is_unchanged(name: str) -> None:
    html = TRICKY if name == "tricky" else page(PAYLOADS[name])
    kept = extract_article(html, URL, fetched_at=NOW, keep_html=True)
    assert isinstance(kept.html, InertHtml) and kept.html == inert_html(html)
    assert _without_html(kept) == _without_html(extract_article(html, URL, fetched_at=NOW))


def test_site_rules_that_change_the_tree_leave_the_stored_page_whole(bench_site: tuple[Any, str]) -> None:
    site, html = bench_site
    for text in (html, TRICKY):
        kept = extract_article(text, URL, site, fetched_at=NOW, keep_html=True)
        assert kept.sources["body"] == "site" and kept.html == inert_html(text)
        assert _without_html(kept) == _without_html(extract_article(text, URL, site, fetched_at=NOW))
    assert "sharedaddy" in extract_article(TRICKY, URL, site, fetched_at=NOW, keep_html=True).html  # type: ignore[operator]


# Chrome first in its parent (its tail goes to the parent's text), after a sibling (to the sibling's tail),
# without a tail, nested in chrome, side by side; <br> in containers read twice (the first container has
# no paragraph: all of it is chrome); a container inside another.
CHANGED = """<html><head><title>Граница</title></head><body><div class="lead-box"><div class="sharedaddy">VK</div></div>
<article><h1 class="entry-title">Переговоры о границе</h1><div class="td-post-content"><div class="sharedaddy">VK
<span class="sharedaddy">Telegram</span> ok</div>после кнопок<p>Делегации встретились в Душанбе,<br>чтобы<br/>обсудить
границу.<aside>Читайте также<div class="related">ещё</div> хвост</aside><aside></aside><aside>б</aside>хвост</p>
<div class="inner">Переговоры продолжатся<img alt="spot_img" src="/ad.jpg">, как сообщается,<br>в следующем
месяце в Бишкеке, сообщили министерства.<div class="sharedaddy">
x</div></div><p>Стороны договорились о новой встрече и обмене документами<br> в столице.</p></div></article>
</body></html>"""


@pytest.mark.parametrize("selectors", ['[".lead-box", ".td-post-content"]', '[".inner", "article"]',
                                       '["article", ".td-post-content"]'])
def test_changes_the_readers_make_are_put_back_before_sanitizing(tmp_path: Path, selectors: str) -> None:
    config = tmp_path / "site.toml"
    rules = runpy.run_path(str(ROOT / "scripts" / "bench_crawl.py"))["site_config"]("bench0", "ru")
    config.write_text(rules.replace('body = [".td-post-content"]', f'body = {selectors}\nremove = ["aside"]'),
                      encoding="utf-8")
    site = load_site_file(config)
    kept = extract_article(CHANGED, URL, site, fetched_at=NOW, keep_html=True)
    assert kept.html == inert_html(CHANGED)  # the site body is short: the generic one reads the changed tree
    assert _without_html(kept) == _without_html(extract_article(CHANGED, URL, site, fetched_at=NOW))
    assert not any("VK" in p or "Читайте" in p for p in kept.paragraphs)  # the chrome was taken out to read
    assert "VK" in kept.html and "Читайте также" in kept.html and "spot_img" in kept.html  # type: ignore[operator]


def test_the_stored_page_needs_no_copy_of_the_tree(bench_site: tuple[Any, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A benchmark page with chrome in its body: extraction copies no tree to store the page (a copy costs half
    a parse)."""
    site, html = bench_site

    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("the page's tree was copied")

    monkeypatch.setattr(crawler.extract.article, "deepcopy", no_copy)
    kept = extract_article(html, URL, site, fetched_at=NOW, keep_html=True)
    assert "td-post-sharing" in html and kept.html == inert_html(html)


def test_surrounding_whitespace_is_the_only_difference() -> None:
    """Extraction's parse (parsel's) strips the text first: a page whose last text node is the whitespace
    after ``</html>`` keeps it in a second parse only (3 of 799 benchmark pages, one newline each)."""
    html = "<html><body><p>Делегации встретились в Душанбе.</p><!-- end --></body></html>\n"
    stored = extract_article(html, URL, fetched_at=NOW, keep_html=True).html
    assert stored == inert_html(html.strip()) and stored is not None
    assert inert_html(html) in (stored, stored.replace("</body>", "\n</body>"))


def test_inert_html_is_stored_without_a_second_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = extract_article(TRICKY, URL, fetched_at=NOW, keep_html=True).html
    assert stored is not None

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the stored page was parsed again")

    monkeypatch.setattr(crawler.sanitize, "document_fromstring", no_parse)
    doc = {"_id": "x", "url": URL, "fetched_at": NOW, "content_hash": "h"}
    assert gzip.decompress(_page_upsert(doc, stored)._doc["$set"]["html_gz"]).decode() == stored


def test_no_inert_copy_for_pages_the_store_sees_otherwise() -> None:
    """Over the cap (the store sanitizes the cut text), NUL characters, XML or JSON text, or not asked for."""
    limits = RecordLimits(html_chars=len(TRICKY) - 1)
    assert extract_article(TRICKY, URL, fetched_at=NOW, limits=limits, keep_html=True).html is None
    assert extract_article(TRICKY.replace("ещё", "е\x00щё"), URL, fetched_at=NOW, keep_html=True).html is None
    assert extract_article("<?xml version='1.0'?><rss/>", URL, fetched_at=NOW, keep_html=True).html is None
    assert extract_article(TRICKY, URL, fetched_at=NOW).html is None


def test_cleaning_keeps_inert_html_whole_and_cuts_raw_text() -> None:
    """Inert HTML comes from a page within the cap (serialising may lengthen it); raw text is cut as before."""
    item = ArticleItem(url=URL, site="x", fetched_at=NOW, paragraphs=["Делегации встретились в Душанбе."])
    inert = InertHtml("<html>" + "x" * 200 + "</html>")
    for raw, expected in ((inert, inert), ("y" * 200, "y" * 100)):
        item.raw_html = raw
        cleaned, _ = clean(item, RecordLimits(html_chars=100))
        assert cleaned.raw_html == expected


@pytest.mark.e2e
@pytest.mark.parametrize("keep", [True, False])
def test_the_spider_asks_for_the_inert_page_only_when_pages_are_stored(keep: bool) -> None:
    """Through a real extraction worker process: the item carries the inert page's UTF-8 (``InertUtf8``) when pages
    are stored, the fetched text when they are not (``STORAGE_KEEP_RAW_HTML=0``: nothing is sanitized)."""
    from crawler.sanitize import InertUtf8
    from crawler.spiders.news import NewsSpider

    crawler = get_crawler(NewsSpider, settings_dict={"EXTRACTION_WORKERS": 1, "STORAGE_KEEP_RAW_HTML": keep})
    spider = NewsSpider.from_crawler(crawler, config=str(ROOT / "crawler" / "sites" / "asiaplus.toml"))
    url = "https://asiaplus.news/2026/11/20/border-talks/"
    response = HtmlResponse(url, body=TRICKY.encode(), headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url))

    async def items() -> list[Any]:
        return [item async for item in spider.parse_article(response, seen_as=url)]

    try:
        extractor = spider.extractor
        assert isinstance(extractor, ExtractionPool) and extractor.keep_html is keep
        found = [i for i in asyncio.run(items()) if isinstance(i, ArticleItem)]
    finally:
        spider.closed("finished")
    assert len(found) == 1
    if keep:
        assert isinstance(found[0].raw_html, InertUtf8) and found[0].raw_html == inert_html(TRICKY).encode()
        assert inert_html(found[0].raw_html) == inert_html(TRICKY)
    else:
        assert found[0].raw_html == TRICKY and not isinstance(found[0].raw_html, InertHtml | InertUtf8)


def test_putting_back_many_removed_elements_costs_no_count_of_their_siblings(tmp_path: Path) -> None:
    """80,000 removed asides among as many kept elements (1.8 MB): put back beside their neighbours, not at a
    counted position (lxml counts siblings one by one: 33 s of CPU, against 1.5 s now and without the page)."""
    import time

    config = tmp_path / "site.toml"
    rules = runpy.run_path(str(ROOT / "scripts" / "bench_crawl.py"))["site_config"]("bench0", "ru")
    config.write_text(rules.replace('body = [".td-post-content"]', 'body = [".td-post-content"]\nremove = ["aside"]'),
                      encoding="utf-8")
    site = load_site_file(config)
    html = ('<html><head><title>T</title></head><body><article><h1>T</h1><div class="td-post-content">'
            "<p>Делегации встретились в Душанбе.</p>" + "<b></b><aside></aside>" * 80_000
            + "</div></article></body></html>")
    started = time.process_time()
    kept = extract_article(html, URL, site, fetched_at=NOW, keep_html=True)
    assert time.process_time() - started < 15 and kept.html == inert_html(html)


def test_a_workers_inert_utf8_is_stored_as_the_same_page_neither_decoded_nor_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The inert page from an extraction worker stays lxml's UTF-8 in the crawl process (``InertUtf8``): cleaning
    keeps it whole, the store compresses those very bytes, and the page read back is the text the extractor gives
    inline; a spool (JSON lines) holds it as that text, as it held the decoded page before."""
    from crawler.sanitize import InertUtf8
    from crawler.storage.config import StorageConfig, to_document
    from crawler.storage.spool import load_spool, spool
    from crawler.storage.store import ArticleStore

    text = extract_article(TRICKY, URL, fetched_at=NOW, keep_html=True).html
    utf8 = extract_article(TRICKY, URL, fetched_at=NOW, keep_html=True, html_utf8=True).html
    assert isinstance(text, InertHtml) and isinstance(utf8, bytes)
    page = InertUtf8(utf8)
    monkeypatch.setattr(crawler.sanitize, "document_fromstring", lambda *a, **k: pytest.fail("parsed again"))
    item = ArticleItem(url=URL, site="x", fetched_at=NOW, title="Встреча",
                       paragraphs=["Делегации встретились в Душанбе."], raw_html=page)
    cleaned, _ = clean(item, RecordLimits(html_chars=10))
    assert cleaned.raw_html is page
    doc, html = to_document(cleaned)
    assert html is page
    assert gzip.decompress(_page_upsert(doc, html)._doc["$set"]["html_gz"]) == utf8
    settings = {"DATA_DIR": str(tmp_path / "data"), "MONGO_URI": ""}
    store = ArticleStore.connect(StorageConfig.from_settings(get_crawler(settings_dict=settings).settings).target)
    try:
        store.write_articles([doc], {doc["_id"]: html})
        assert store.page_html(doc["_id"]) == text
    finally:
        store.close()
    assert spool([(doc, html)], tmp_path / "spool.jsonl") == []
    assert load_spool(tmp_path / "spool.jsonl").entries[0][1] == text
