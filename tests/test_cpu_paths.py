"""The per-article CPU savings keep every output: one HTML parse with element classes found in C, text
normalisation, MinHash signatures and URL caches give what the slower forms gave."""

from __future__ import annotations

import hashlib
import runpy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from parsel import Selector

from crawler.extract.article import extract_article
from crawler.htmltree import html_selector
from crawler.minhash import bands, signature
from crawler.sanitize import inert_html
from crawler.sites import load_site_file
from crawler.text import normalize_text
from crawler.urls import _canonical_cached, canonical_url, url_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every call of lxml.html's Python element-class lookup (one per element object made)."""
    calls: list[str] = []
    original = lxml.html.HtmlElementClassLookup.lookup

    def counted(self: object, node_type: str, *args: object) -> object:
        calls.append(node_type)
        return original(self, node_type, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(lxml.html.HtmlElementClassLookup, "lookup", counted)
    yield calls


def test_a_page_is_extracted_and_sanitized_without_a_python_call_per_element(
        lookups: list[str], tmp_path: Path) -> None:
    """A generated benchmark page (1,500 elements) of a site with rules goes through extraction and the
    sanitizer with no call to lxml.html's Python lookup (it cost about 1 ms a page)."""
    import random

    bench_crawl = runpy.run_path(str(ROOT / "scripts" / "bench_crawl.py"))  # the benchmark's own generated page
    config = tmp_path / "bench0.toml"
    config.write_text(bench_crawl["site_config"]("bench0", "ru"), encoding="utf-8")
    published = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    url = "https://bench0.test/2026/11/01/bench0-news-1/"
    html = bench_crawl["article_page"]("bench0", "ru", 1, url, published, random.Random(5))
    record = extract_article(html, url, load_site_file(config), fetched_at=datetime(2026, 11, 30, tzinfo=UTC))
    stored = inert_html(html)
    assert lookups == []
    assert record.published == published and len(record.paragraphs) >= 6 and record.sources["body"] == "site"
    assert "<script>" not in stored and "td-post-content" in stored


@pytest.mark.parametrize("text", [
    "<html><body><p>Привет</p><form><input name=q></form></body></html>",
    "  \n<!DOCTYPE html><p>a\x00b</p>",
    "",
    "   ",
    "<?xml version='1.0'?><root><a>1</a></root>",  # parsel, asked for no type, reads this as XML
    "\ufeff <?xml version='1.0'?><r/>",
    '{"a": [1, 2]}',  # and this as JSON
    "[1, 2",
    "plain text, no markup",
])
def test_html_selector_reads_a_text_as_parsel_reads_html(text: str) -> None:
    ours, parsel = html_selector(text), Selector(text=text, type="html")
    assert ours.type == parsel.type == "html"
    assert lxml.html.tostring(ours.root) == lxml.html.tostring(parsel.root)
    assert ours.xpath("string()").get() == parsel.xpath("string()").get()


@pytest.mark.parametrize(("text", "expected"), [
    ("  a \t b\n", "a b"),
    ("a\u00a0\u202f\u2009b\u3000c", "a b c"),
    ("a\x1c\x1d\x1e\x1fb\x85c\u2028d\u2029e\x0b\x0cf", "a b c d e f"),  # every Unicode space splits
    ("a\u200bb\u00adc\ufeffd\u2060e\u200c\u200df", "abcdef"),
    ("e\u0301", "\u00e9"),  # NFC
    ("x \u200b y", "x y"),  # an invisible character between spaces leaves one space
    ("\u180e", "\u180e"),  # the Mongolian vowel separator is no space (since Unicode 6.3)
    ("a\x1b[2Jb \x00\x07 c\x7f", "a[2Jb c"),  # C0 controls and DEL go (a page's escape sequences)
    ("Ж\x1b[2Jж \x00 \x85ж\x92", "Ж[2Jж ж\x92"),  # in any text; C1 controls stay (mojibake), NEL is a line break
    ("", ""),
])
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_minhash_signatures_are_the_stored_ones() -> None:
    """Signatures and bands of stored articles stay valid: the values are those the first version gave."""
    text = "Министерство энергетики провело совещание о строительстве станции. Hello world 2025"
    assert signature(text)[:4] == [225707079132256709, 442962727705158319, 695828801084193958, 788285098969858024]
    assert bands(signature(text))[:2] == ["0:2d67d63f5dc41ea3", "1:22e0ee77a60e5db4"]
    one_word = signature("один")  # a single word is its own shingle
    assert len(one_word) == 64 and one_word[:3] == [1515033295775331698, 2294526517199556887, 176082631901149106]
    assert hashlib.sha256(repr(one_word).encode()).hexdigest()[:8] == hashlib.sha256(
        repr(signature("  ОДИН!  ")).encode()).hexdigest()[:8]
    assert signature("") == [] and signature(" ... ") == []


def test_urls_are_normalised_once_and_long_ones_are_not_kept() -> None:
    url = "https://WWW.Example.com:443/a b?utm_source=x&id=1#top"
    assert canonical_url(url) == canonical_url(url) == "https://www.example.com/a%20b?id=1"
    assert url_key(url) == "https://example.com/a%20b/?id=1"
    before = _canonical_cached.cache_info().currsize
    long_url = "https://example.com/" + "x" * 3000
    assert canonical_url(long_url) == long_url and _canonical_cached.cache_info().currsize == before


def test_a_response_starts_few_item_tasks() -> None:
    """Scrapy starts CONCURRENT_ITEMS tasks for every response whatever it yields (an article page yields
    one item): the project keeps it small (Scrapy's 100 cost 2-3 ms of CPU a page)."""
    from scrapy.utils.project import get_project_settings

    assert get_project_settings().getint("CONCURRENT_ITEMS") == 8
