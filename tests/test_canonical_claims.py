"""Pages whose canonical link names another article of their own site, crawled end to end by the real
``scrapy crawl`` into the store: a template bug (or a hostile site) makes every page name one article. Each
different article is stored under its own URL, once; a print page of the article it names (the same text) still
joins that article's record."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from crawler.storage.claims import claims, false_claims
from crawler.urls import url_id
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import crawl_site, handler_site, site_config

DOMAIN = "claims.kg"
FIRST = f"https://{DOMAIN}/news/first/"
CONFIG = site_config("claims", DOMAIN, "Asia/Bishkek", article_url=f"^https://{DOMAIN}/news/[a-z]+/(?:print/)?$")
TOPICS = {
    "first": "Жогорку Кеңеш принял закон о бюджете на следующий год после долгого обсуждения в комитетах.",
    "second": "В Оше открылся новый рынок, где фермеры из Баткенской области продают абрикосы и орехи.",
    "third": "Сборная Кыргызстана по футболу обыграла соперника в отборочном матче чемпионата Азии.",
    "fourth": "Землетрясение магнитудой четыре балла ощутили жители Нарына ночью; пострадавших нет.",
    "fifth": "Мэрия Бишкека объявила о продлении отопительного сезона из-за похолодания в конце апреля.",
}
# the claimants first in the feed: a page fetched at the named URL holds it, whatever comes first
SLUGS = ["second", "third", "first/print", "fourth", "first", "fifth"]


def _page(slug: str) -> str:
    topic = slug.split("/")[0]
    text = TOPICS[topic]
    paragraphs = "".join(f"<p>{text} Подробности {n}: {text.lower()}</p>" for n in range(4))
    title = f"Новость: {topic}" + (" (версия для печати)" if slug.endswith("print") else "")
    return (f"<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>{title}</title>"
            f"<link rel='canonical' href='{FIRST}'></head><body><article><h1 class='entry-title'>{title}</h1>"
            f"<time datetime='2026-11-2{len(topic) % 10}T10:00:00+06:00'></time><div class='entry-content'>"
            f"{paragraphs}</div></article></body></html>")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: str, body: bytes, content_type: str) -> None:
        self.wfile.write(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
                         .encode("latin-1") + body)

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        slug = self.path.removeprefix("/news/").strip("/")
        if self.path == "/feed/":
            items = "".join(f"<item><link>https://{DOMAIN}/news/{s}/</link></item>" for s in SLUGS)
            self._send("200 OK", f"<rss><channel>{items}</channel></rss>".encode(), "application/rss+xml")
        elif self.path.startswith("/news/") and slug in SLUGS:
            self._send("200 OK", _page(slug).encode(), "text/html; charset=utf-8")
        else:
            self._send("404 Not Found", b"", "text/html")
        self.close_connection = True


@pytest.mark.e2e
def test_pages_naming_another_article_as_canonical_keep_their_own_records(mongo: MongoTarget, tmp_path: Path,
                                                                          crawl_into_store: StoreCrawl) -> None:
    # one batch: the flush timer does not cut the crawl's items in two (the store's rule is read in one)
    result = crawl_site(handler_site(Handler), CONFIG, tmp_path / "claims.toml", crawl_into_store,
                        settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0", "STORAGE_FLUSH_SECONDS=60"], timeout=120)
    stats = result.stats
    stored = {doc["url"]: doc for doc in mongo.db.articles.find()}
    assert set(stored) == {f"https://{DOMAIN}/news/{topic}/" for topic in TOPICS}, stats
    for topic, text in TOPICS.items():
        record = stored[f"https://{DOMAIN}/news/{topic}/"]
        assert record["title"] == f"Новость: {topic}" and text in record["body"] and not record.get("revisions")
        assert FIRST not in record["urls"] or topic == "first"
    # the print page tells the first article's story: it joined its record
    assert f"https://{DOMAIN}/news/first/print/" in stored[FIRST]["urls"]
    assert stats["storage/canonical_refused"] == 4 and stats["storage/inserted"] == 5, stats
    assert "its canonical link names https://claims.kg/news/first/" in result.stderr


def _doc(fetched: str, claimed: str, text: str) -> dict[str, object]:
    return {"_id": url_id(claimed), "url": claimed, "urls": [fetched, claimed], "site": "s", "content_hash": text}


def _same(doc: dict[str, object], other: dict[str, object]) -> bool:
    return doc["content_hash"] == other["content_hash"]


def test_a_claim_is_judged_against_the_record_stored_under_the_url_it_names() -> None:
    own = {"_id": url_id(FIRST), "url": FIRST, "urls": [FIRST, f"{FIRST}?p=1"], "site": "s", "content_hash": "a"}
    later = _doc(f"https://{DOMAIN}/news/later/", FIRST, "b")  # another text: refused
    variant = _doc(f"{FIRST}print/", FIRST, "a")  # the same text: taken
    revisit = _doc(f"{FIRST}?p=1", FIRST, "c")  # a URL the record holds, with an edited text: taken
    assert [claims(d) for d in (own, later, variant, revisit)] == [False, True, True, True]
    assert false_claims([later, variant, revisit], {own["_id"]: own}, _same) == [later]
    # nothing stored: the first claim holds the URL, the next with another text is refused
    first, second = _doc(f"https://{DOMAIN}/news/a/", FIRST, "x"), _doc(f"https://{DOMAIN}/news/b/", FIRST, "y")
    assert false_claims([first, second], {}, _same) == [second]
