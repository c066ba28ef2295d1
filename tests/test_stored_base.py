"""A stored page keeps its removed ``<base href>`` as an inert meta (what the base resolved to), so
``scrapy reextract`` resolves images and the canonical link as the crawl did: a page with a base gives the same
record twice, and no spurious revision. The meta is only a base when it is an absolute http(s) URL."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime

import pytest
from lxml.html import document_fromstring

from crawler.cleaning import clean
from crawler.extract.article import extract_article
from crawler.items import article_item
from crawler.reextract import Reextractor, _outcome
from crawler.rules import RecordRules
from crawler.sanitize import _URL_ATTRIBUTES, BASE_META, inert_html
from crawler.sites import Selectors, load_site
from crawler.storage.config import to_document
from crawler.validation import validate
from tests.hostile_site import article

PAGE = "https://news.kg/ru/politics/some-article-slug/"
SITE = dataclasses.replace(load_site("asiaplus"), selectors=Selectors(body=(".entry-content",)))  # body images
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _page(head: str, body: str = "<figure><img src='photo.jpg'></figure>") -> str:
    return article("some-article-slug", extra=body).replace("<title>", f"{head}<title>", 1)


def _url_attributes(html: str) -> list[tuple[str, str, str]]:
    """Every URL-bearing attribute of the page (tag, name, value): what could load or navigate."""
    return [(element.tag, name, value) for element in document_fromstring(html).iter()
            if isinstance(element.tag, str) for name, value in element.items()
            if name in _URL_ATTRIBUTES or name.endswith("href")]


def _metas(html: str) -> list[str | None]:
    return [meta.get("content") for meta in document_fromstring(html).iter("meta") if meta.get("name") == BASE_META]


def test_the_sanitizer_keeps_a_removed_base_resolved_in_an_inert_meta() -> None:
    html = _page("<base href='/static/'><base href='https://other.example/'>")
    stored = inert_html(html, PAGE)
    assert "<base" not in stored
    assert _metas(stored) == ["https://news.kg/static/"]  # the first base, resolved against the page's URL
    assert _url_attributes(stored) == [("img", "src", "photo.jpg")]  # nothing that loads or navigates is added
    assert inert_html(stored, "https://elsewhere.example/") == stored  # a second pass changes nothing


@pytest.mark.parametrize(("head", "url", "metas"), [
    ("<base href='https://cdn.example.kg/'>", None, ["https://cdn.example.kg/"]),  # absolute: no URL needed
    ("<base href='/static/'>", None, []),  # relative and no page URL: nothing to resolve it against
    ("<base href='javascript:alert(1)'>", PAGE, []),  # a base a browser ignores leaves nothing
    ("<base href='http://[::1'>", PAGE, []),
    ("<base target='_blank'>", PAGE, []),  # no href: no base
    # The page's own meta stands for no base once its <base> is gone: replaced by what the base resolved to ...
    (f"<meta name='{BASE_META}' content='https://evil.example/'><base href='/x/'>", PAGE, ["https://news.kg/x/"]),
    (f"<meta name='{BASE_META}' content='https://evil.example/'><base href='javascript:x'>", PAGE, []),
    # ... and kept as it is without one: extraction read it the same way before storing the page.
    (f"<meta name='{BASE_META}' content='https://cdn.example.kg/'>", PAGE, ["https://cdn.example.kg/"]),
])
def test_the_kept_base_is_the_one_extraction_read(head: str, url: str | None, metas: list[str]) -> None:
    assert _metas(inert_html(_page(head), url)) == metas


@pytest.mark.parametrize(("meta", "image"), [
    (None, f"{PAGE}photo.jpg"),  # absent: the page's own URL
    ("https://cdn.example.kg/static/", "https://cdn.example.kg/static/photo.jpg"),
    ("HTTP://cdn.example.kg/", "http://cdn.example.kg/photo.jpg"),
    ("/static/", f"{PAGE}photo.jpg"),  # relative: no base
    ("//cdn.example.kg/", f"{PAGE}photo.jpg"),  # scheme-relative: no base
    ("static/", f"{PAGE}photo.jpg"),
    ("", f"{PAGE}photo.jpg"),
    ("javascript:alert(1)", f"{PAGE}photo.jpg"),
    ("data:text/html,x", f"{PAGE}photo.jpg"),
    ("ftp://cdn.example.kg/", f"{PAGE}photo.jpg"),
    ("http:cdn.example.kg", f"{PAGE}photo.jpg"),  # no host
    ("http://[::1", f"{PAGE}photo.jpg"),  # broken
    ("http://cdn.example.kg:99999/", f"{PAGE}photo.jpg"),
])
def test_a_kept_base_meta_is_a_base_only_as_an_absolute_http_url(meta: str | None, image: str) -> None:
    head = "" if meta is None else f"<meta name='{BASE_META}' content='{meta}'>"
    record = extract_article(_page(head), PAGE, SITE)
    assert [found["url"] for found in record.images] == [image]


def test_a_base_href_comes_before_a_kept_base_meta() -> None:
    html = _page(f"<meta name='{BASE_META}' content='https://evil.example/'><base href='https://cdn.example.kg/'>")
    assert [found["url"] for found in extract_article(html, PAGE, SITE).images] == ["https://cdn.example.kg/photo.jpg"]


def _crawled(html: str, fetched_from: str) -> tuple[dict, bytes]:  # type: ignore[type-arg]
    """The record and stored page the crawl keeps: extraction's own inert page, through the store's sanitizer."""
    extraction = extract_article(html, fetched_from, SITE, NOW, keep_html=True)
    item = article_item(extraction, url=extraction.url, urls=[fetched_from, extraction.url], site=SITE.name,
                        edition="ru", fetched_at=NOW, raw_html=extraction.html)
    rules = RecordRules()
    item, _ = validate(clean(item, rules.limits)[0], rules.validation, NOW)
    doc, raw = to_document(item)
    return doc, gzip.compress(inert_html(raw, doc["url"]).encode("utf-8"))


@pytest.mark.parametrize("head", [
    "<base href='https://cdn.example.kg/'>",
    "<base href='/static/'><link rel='canonical' href='../ru/politics/some-article-slug/'>",
    "<base href='https://news.kg/ru/'><link rel='canonical' href='politics/some-article-slug/'>"
    "<meta property='og:image' content='img/cover.jpg'>",
])
def test_reextracting_a_page_with_a_base_gives_the_record_the_crawl_stored(head: str) -> None:
    doc, stored = _crawled(_page(head), "https://news.kg/news/12345")
    assert doc["images"] and not any(image["url"].startswith(PAGE) for image in doc["images"])
    outcome = _outcome(Reextractor(), doc, SITE, stored, NOW)
    assert outcome.kind == "unchanged", outcome
    assert extract_article(gzip.decompress(stored).decode(), doc["url"], SITE).url == doc["url"]
