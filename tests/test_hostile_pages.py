"""Broken and hostile article responses, handled by the real spider callback: each case
counted under its own stats key, none crashing the crawl."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.charsets import MOJIBAKE_CHARS
from crawler.items import ArticleItem
from crawler.limits import MAX_JSON_LD_CHARS
from crawler.spiders.sites import AsiaplusSpider  # type: ignore[attr-defined]

URL = "https://asiaplus.news/2025/03/14/v-dushanbe-obsudili-razvitie-gidroenergetiki/"
RUSSIAN = ("<html><head><meta charset='{charset}'><title>В Душанбе обсудили развитие гидроэнергетики</title>"
           "</head><body><div class='td-post-content'>"
           + "<p>Министерство энергетики и водных ресурсов Таджикистана провело совещание о ходе строительства "
             "Рогунской ГЭС и модернизации Нурекской станции.</p>" * 4
           + "</div></body></html>")


def spider_and_stats() -> tuple[Any, Any]:
    crawler = get_crawler(AsiaplusSpider, settings_dict={"EXTRACTION_WORKERS": 0})
    spider = AsiaplusSpider.from_crawler(crawler)
    return spider, crawler.stats


async def _collect(results: AsyncIterator[Any]) -> list[Any]:
    return [result async for result in results]


def parse(body: bytes, content_type: bytes) -> tuple[list[Any], dict[str, Any]]:
    spider, stats = spider_and_stats()
    response = HtmlResponse(URL, body=body, headers={"Content-Type": content_type}, request=Request(URL))
    return asyncio.run(_collect(spider.parse_article(response, seen_as=URL))), stats.get_stats()


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_header_charset_contradicting_the_page_yields_to_the_meta_charset(charset: str) -> None:
    items, stats = parse(RUSSIAN.format(charset=charset).encode(charset), b"text/html; charset=utf-8")
    assert len(items) == 1 and isinstance(items[0], ArticleItem)
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert "Рогунской ГЭС" in items[0].paragraphs[0]
    assert stats["articles/charset_fixed"] == 1
    assert "Рогунской ГЭС" in (items[0].raw_html or "")  # the page is kept decoded right, too


@pytest.mark.parametrize(("charset", "header"), [
    ("windows-1251", b"text/html; charset=ISO-8859-1"),  # a server's default
    ("koi8-r", b"text/html; charset=windows-1251"),
    ("windows-1251", b"text/html; charset=koi8-r"),
])
def test_a_single_byte_header_charset_contradicting_the_page_yields_to_its_meta_charset(charset: str,
                                                                                       header: bytes) -> None:
    """One single-byte charset read as another decodes without one U+FFFD ("Â Äóøàíáå", "цБРБТПЧ"): it was stored so."""
    items, stats = parse(RUSSIAN.format(charset=charset).encode(charset), header)
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert "Рогунской ГЭС" in items[0].paragraphs[0]
    assert stats["articles/charset_fixed"] == 1


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_a_single_byte_header_charset_that_reads_the_page_stays_against_a_wrong_meta_charset(charset: str) -> None:
    """The header is right and the meta wrong (a server that converted the page): the text decides, not the order."""
    wrong = "koi8-r" if charset == "windows-1251" else "windows-1251"
    items, stats = parse(RUSSIAN.format(charset=wrong).encode(charset), f"text/html; charset={charset}".encode())
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert "articles/charset_fixed" not in stats


def test_a_page_whose_own_meta_charset_misreads_it_is_read_in_the_charset_of_its_bytes() -> None:
    items, stats = parse(RUSSIAN.format(charset="utf-8").encode("windows-1251"), b"text/html")
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert stats["articles/charset_fixed"] == 1


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_a_header_charset_that_misreads_a_page_with_no_meta_charset_yields_to_the_detected_one(charset: str) -> None:
    page = RUSSIAN.replace("<meta charset='{charset}'>", "")
    items, stats = parse(page.encode(charset), b"text/html; charset=utf-8")
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert "Рогунской ГЭС" in items[0].paragraphs[0]
    assert stats["articles/charset_fixed"] == 1


def test_curly_quotes_of_windows_1252_under_a_utf8_header_are_read() -> None:
    title = "Don\u2019t panic: the \u201cbudget\u201d is fine, the minister says"
    page = (f"<html><head><title>{title}</title></head><body><div class='td-post-content'>"
            + "<p>The minister said it\u2019s \u201cunder control\u201d and nothing will change this year.</p>" * 8
            + "</div></body></html>")
    items, stats = parse(page.encode("windows-1252"), b"text/html; charset=utf-8")
    assert items[0].title == title
    assert stats["articles/charset_fixed"] == 1


def test_a_utf8_page_with_a_few_broken_bytes_stays_utf8() -> None:
    broken = b"<p>\xff\xfe</p>" * 15
    body = RUSSIAN.replace("<meta charset='{charset}'>", "").encode().replace(b"</div>", broken + b"</div>")
    items, stats = parse(body, b"text/html; charset=utf-8")
    assert (items[0].raw_html or "").count("\ufffd") == 30 > MOJIBAKE_CHARS
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert "articles/charset_fixed" not in stats


def test_utf8_with_bom_and_no_header_charset() -> None:
    items, stats = parse(b"\xef\xbb\xbf" + RUSSIAN.format(charset="utf-8").encode(), b"text/html")
    assert items[0].title == "В Душанбе обсудили развитие гидроэнергетики"
    assert "articles/charset_fixed" not in stats


def test_binary_served_as_html_is_skipped_and_counted() -> None:
    items, stats = parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20, b"text/html")
    assert items == []
    assert stats["articles/skipped/binary"] == 1


@pytest.mark.parametrize("body", [b"", b"<html><body>", b"<html><head><title>x</title></head><body><div>"])
def test_empty_and_truncated_pages_do_not_crash(body: bytes) -> None:
    items, stats = parse(body, b"text/html; charset=utf-8")
    assert all(isinstance(item, ArticleItem) for item in items)
    assert "articles/errors/extract" not in stats


def parse_response(response: HtmlResponse) -> tuple[list[Any], dict[str, Any]]:
    spider, stats = spider_and_stats()
    return asyncio.run(_collect(spider.parse_article(response, seen_as=URL))), stats.get_stats()


@pytest.mark.parametrize(("content_range", "stored"), [
    ("bytes 0-{last}/{total}", True),  # the whole page, answered 206 to a request that asked for no range
    ("bytes 0-99/{total}", False),
    ("bytes 100-{last}/{total}", False),
    ("bytes 0-{last}/*", False),
    ("bytes */{total}", False),
    (None, False),
])
def test_a_206_is_stored_only_when_it_is_the_whole_page(content_range: str | None, stored: bool) -> None:
    body = RUSSIAN.format(charset="utf-8").encode()
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if content_range:
        headers["Content-Range"] = content_range.format(last=len(body) - 1, total=len(body))
    items, stats = parse_response(HtmlResponse(URL, status=206, body=body, headers=headers, request=Request(URL)))
    assert (len(items) == 1) is stored
    assert ("articles/skipped/partial" in stats) is not stored


def test_a_json_ld_block_over_the_cap_is_counted() -> None:
    huge = "<script type='application/ld+json'>{\"keywords\": \"" + "x" * MAX_JSON_LD_CHARS + "\"}</script>"
    bad = "<script type='application/ld+json'>{\"headline\": </script>"
    body = RUSSIAN.format(charset="utf-8").replace("<title>", huge + bad + "<title>").encode()
    items, stats = parse(body, b"text/html; charset=utf-8")
    assert len(items) == 1
    assert stats["extract/skipped/json_ld/too_large"] == 1
    assert stats["extract/skipped/json_ld/invalid"] == 1
