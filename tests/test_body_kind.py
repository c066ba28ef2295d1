"""A body that is no HTML page at an article's URL (JSON, a feed, plain text, a PDF, an image, nothing) is no
article: told by the text, whatever the ``Content-Type``, through ``not_html``, ``extract_article``, the spider's
callback and ``python -m crawler.extract``; a page served with a wrong type is still read."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Headers, HtmlResponse, Request
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from crawler.discovery.html import next_page, page_links
from crawler.extract.__main__ import main
from crawler.extract.article import extract_article
from crawler.extract.body_kind import looks_binary, not_html
from crawler.htmltree import html_selector
from crawler.items import ArticleItem
from crawler.sites import GENERIC
from crawler.spiders.base import page_problem
from crawler.spiders.sites import AsiaplusSpider  # type: ignore[attr-defined]
from tests.crawling import ROOT

URL = "https://asiaplus.news/2025/03/14/v-dushanbe-obsudili-razvitie-gidroenergetiki/"
TITLE = "В Душанбе обсудили развитие гидроэнергетики"
PARAGRAPH = ("Министерство энергетики и водных ресурсов Таджикистана провело совещание о ходе строительства "
             "Рогунской ГЭС и модернизации Нурекской станции.")
PAGE = (f"<html><head><meta charset='utf-8'><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
        f"<div class='td-post-content'>{f'<p>{PARAGRAPH}</p>' * 4}</div></body></html>")
XHTML = ("<?xml version='1.0' encoding='utf-8'?>\n<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0 Strict//EN' "
         "'http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd'>\n" + PAGE.replace("<html>", "<html xmlns="
                                                                               "'http://www.w3.org/1999/xhtml'>"))
# A PDF's start: its header and first objects are text (no NUL before its compressed streams).
PDF = "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 20
PNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)).decode("latin-1") * 4
TAJIK = ("Вазорати энергетика ва захираҳои оби Ҷумҳурии Тоҷикистон дар бораи сохтмони НБО Роғун ва навсозии "
         "нерӯгоҳи Норак ҷаласа баргузор кард. Қарор дар бораи маблағгузорӣ қабул шуд.")
BINARY_SAMPLES = Path(__file__).parent / "data" / "binary"  # rendered by Chromium from a Russian page
RSS = ("<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Новости</title><item>"
       f"<title>{TITLE}</title><link>{URL}</link><description>{PARAGRAPH}</description></item></channel></rss>")


@pytest.mark.parametrize(("text", "kind"), [
    ("", "empty"),
    (" \r\n\t ", "empty"),
    ("\ufeff\n", "empty"),
    ('{"title": "x", "body": "y"}', "json"),
    ("\ufeff [1, 2, 3]", "json"),
    ('{"html": "<html><body><p>a page inside an API answer</p></body></html>"}', "json"),
    ("[" * 100_000 + "]" * 100_000, "json"),  # nested past the interpreter's stack
    ('{"status": "ok"}<!DOCTYPE html><html><body><p>Статья</p></body></html>', None),  # stray JSON before a page
    ("[1, 2", "text"),  # not JSON after all, and no markup
    ("[Реклама] <div><p>a page without its html and body tags</p></div>", None),
    ('"a JSON string"', "text"),
    ("<!--" + "x" * 8_000_000, None),  # an unclosed comment: markup, read no further than its start
    ("Just plain text.\nNo markup here, though a < b and b > c.", "text"),
    (RSS, "xml"),
    (RSS.split("?>", 1)[1], "xml"),  # a feed without its XML declaration
    ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>x</title></feed>", "xml"),
    ("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url/></urlset>", "xml"),
    ("<!DOCTYPE rss PUBLIC '-//Netscape Communications//DTD RSS 0.91//EN'><rss><channel/></rss>", "xml"),
    ("<svg xmlns='http://www.w3.org/2000/svg'><circle r='1'/></svg>", "xml"),
    ("<response><error>Not found</error></response>", "xml"),
    (XHTML, None),
    ("<?xml version='1.0'?><html:html xmlns:html='http://www.w3.org/1999/xhtml'><html:p>x</html:p></html:html>", None),
    (PAGE, None),
    ("<!doctype html><title>x</title><p>text", None),
    ("  <!-- a comment --><meta charset='utf-8'><p>text", None),  # a page that skips <html> and <head>
    ("<my-app></my-app><script src='/app.js'></script>", None),  # a script shell's custom element
    ("<fb:root></fb:root><html><body><p>x</p></body></html>", None),  # an unknown element first, then the page
    ("Warning: Undefined variable $x in /var/www/index.php<br />\n<!DOCTYPE html><html><body>x</body></html>", None),
    ("Привет<br>мир", None),
    ("<p>" + "текст " * 200 + "\x01\x02\x1b</p>", None),  # a few stray control characters
    (PDF, "binary"),
    ("%!PS-Adobe-3.0\n%%Title: x\n", "binary"),
    ("GIF89a\x2c\x01\xc8\x01\xf7\xff", "binary"),
    (PNG, "binary"),
    (bytes(range(1, 256)).decode("latin-1") * 16, "binary"),  # binary without a NUL
    (bytes(range(1, 256)).decode("utf-8", "replace") * 16, "binary"),
])
def test_what_a_body_is(text: str, kind: str | None) -> None:
    assert not_html(text) == kind


def _binaries() -> dict[str, bytes]:
    files = {path.name: path.read_bytes() for path in sorted(BINARY_SAMPLES.iterdir())}
    return {**files, "page.html.gz": gzip.compress(PAGE.encode("utf-8"), mtime=1_700_000_000)}


@pytest.mark.parametrize("decoding", ["latin-1", "utf-8", "windows-1251"])
@pytest.mark.parametrize("name", sorted(_binaries()))
def test_a_binary_file_looks_binary_however_it_was_decoded(name: str, decoding: str) -> None:
    assert looks_binary(_binaries()[name].decode(decoding, "replace"))


@pytest.mark.parametrize("charset", ["utf-8", "windows-1251", "utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("name", sorted(_binaries()))
def test_a_binary_file_served_as_html_is_binary_in_any_charset(name: str, charset: str) -> None:
    """Decoded as UTF-16 or UTF-32, a PDF is letters without one NUL: its bytes' signature tells."""
    response = HtmlResponse("https://news.example/a/", body=_binaries()[name],
                            headers={"Content-Type": f"text/html; charset={charset}"})
    assert page_problem(response) == "binary"


def test_a_utf16_page_is_no_binary() -> None:
    for encoding in ("utf-16-le", "utf-16-be", "utf-32-le"):
        response = HtmlResponse("https://news.example/a/", body=PAGE.encode(encoding),
                                headers={"Content-Type": f"text/html; charset={encoding}"})
        assert page_problem(response) is None, encoding


@pytest.mark.parametrize(("text", "encoding", "decoding"), [
    (PAGE, "utf-8", "utf-8"),
    (TAJIK, "utf-8", "utf-8"),
    (TAJIK, "koi8_t", "koi8_t"),
    (TAJIK * 40, "utf-8", "latin-1"),  # mojibake: UTF-8 read as Latin-1 is still text
    (TAJIK * 40, "utf-8", "windows-1251"),
    (PARAGRAPH * 40, "windows-1251", "utf-8"),  # a windows-1251 page under a UTF-8 header: U+FFFD, no controls
    (PARAGRAPH * 40, "koi8-r", "latin-1"),
    (PAGE, "utf-16-le", "utf-16-le"),  # a UTF-16 page's NUL bytes are gone once decoded
])
def test_non_latin_text_does_not_look_binary(text: str, encoding: str, decoding: str) -> None:
    assert not looks_binary(text.encode(encoding).decode(decoding, "replace"))


@pytest.mark.parametrize(("body", "kind"), [
    ('{"title": "' + TITLE + '", "body": "' + PARAGRAPH + '"}', "json"),
    ("[]", "json"),
    (RSS, "xml"),
    (PARAGRAPH, "text"),
    (PDF, "binary"),
    (PNG, "binary"),
    ("", "empty"),
])
def test_extract_article_finds_no_article_in_a_body_that_is_no_page(body: str, kind: str) -> None:
    for given in (body, body.encode("utf-8")):  # as text, or as a worker is handed a UTF-8 page
        found = extract_article(given, URL, keep_html=True)
        assert found.not_html == kind
        assert (found.title, found.paragraphs, found.html, found.page_type) == (None, [], None, "unknown")


def test_an_xhtml_page_with_an_xml_prologue_is_read_as_a_page() -> None:
    found = extract_article(XHTML, URL, GENERIC, keep_html=True)
    assert found.not_html is None
    assert found.title == TITLE
    assert PARAGRAPH in found.paragraphs
    assert PARAGRAPH in (found.html or "")  # stored from the same parse


def test_a_page_with_json_before_its_markup_is_read() -> None:
    found = extract_article('{"debug": true}\n' + PAGE, URL)
    assert found.not_html is None and found.title == TITLE and PARAGRAPH in found.paragraphs


async def _collect(results: AsyncIterator[Any]) -> list[Any]:
    return [result async for result in results]


def crawl_one(body: bytes, content_type: str) -> tuple[list[Any], dict[str, Any]]:
    """The spider's callback's output and stats for ``body``, served as ``content_type`` (the response class
    Scrapy picks for it) at an article's URL."""
    crawler = get_crawler(AsiaplusSpider, settings_dict={"EXTRACTION_WORKERS": 0})
    spider = AsiaplusSpider.from_crawler(crawler)
    headers = Headers({"Content-Type": content_type})  # as the download handler has them
    cls = responsetypes.from_args(headers=headers, url=URL, body=body)
    response = cls(URL, body=body, headers=headers, request=Request(URL))
    assert crawler.stats is not None
    return asyncio.run(_collect(spider.parse_article(response, seen_as=URL))), crawler.stats.get_stats()


@pytest.mark.parametrize(("body", "content_type", "stat"), [
    ('{"title": "x", "body": "y"}', "application/json", "articles/skipped/json"),
    ('{"title": "x", "body": "y"}', "text/html; charset=utf-8", "articles/skipped/json"),
    (RSS, "application/rss+xml", "articles/skipped/xml"),
    (RSS, "text/html", "articles/skipped/xml"),
    (PARAGRAPH, "text/plain; charset=utf-8", "articles/skipped/text"),
    (PDF, "text/html", "articles/skipped/binary"),  # no NUL in its start
    (PDF, "application/pdf", "articles/skipped/binary"),  # Scrapy makes a text response of a body that looks like text
    (PNG, "image/png", "articles/skipped/not_html"),  # and a plain Response of one that does not
])
def test_the_crawl_counts_a_body_that_is_no_page(body: str, content_type: str, stat: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    items, stats = crawl_one(body.encode("utf-8"), content_type)
    assert items == []
    assert stats[stat] == 1
    assert not [key for key in stats if key.startswith("articles/errors/")]
    assert [r.levelname for r in caplog.records if URL in r.getMessage()] == ["WARNING"]  # one line


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/octet-stream", "application/xml",
                                          "application/json", "text/html; charset=utf-8"])
@pytest.mark.parametrize("page", [PAGE, XHTML], ids=["html", "xhtml"])
def test_a_page_served_with_a_wrong_type_is_stored(page: str, content_type: str) -> None:
    items, stats = crawl_one(page.encode("utf-8"), content_type)
    assert [type(item) for item in items] == [ArticleItem], stats
    assert items[0].title == TITLE and PARAGRAPH in items[0].paragraphs[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_page_with_its_byte_order_mark_is_stored(encoding: str) -> None:
    """Its NUL bytes are its encoding, not a binary body: the byte-order mark says how to read it."""
    body = PAGE.encode(encoding)
    if not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = ("\ufeff" + PAGE).encode(encoding)  # Python writes no BOM for the -be/-le forms
    items, stats = crawl_one(body, "text/html")
    assert [type(item) for item in items] == [ArticleItem], stats
    assert items[0].title == TITLE and PARAGRAPH in items[0].paragraphs[0]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_page_without_a_byte_order_mark_is_read_in_the_charset_it_is_served_in(encoding: str) -> None:
    """The spider's binary check looks at the decoded page (as extraction does), not at its bytes' NULs."""
    items, stats = crawl_one(PAGE.encode(encoding), f"text/html; charset={encoding}")
    assert [type(item) for item in items] == [ArticleItem], stats
    assert items[0].title == TITLE and PARAGRAPH in items[0].paragraphs[0]


@pytest.mark.parametrize("name", ["article.pdf", "article.jpg", "page.html.gz"])
def test_a_binary_file_served_as_html_is_skipped_as_binary(name: str) -> None:
    items, stats = crawl_one(_binaries()[name], "text/html; charset=utf-8")
    assert items == [] and stats["articles/skipped/binary"] == 1


@pytest.mark.parametrize(("body", "kind"), [('{"a": [1, 2]}', "json"), (RSS, "xml"), (PDF, "binary"), ("", "empty")])
def test_the_extract_command_says_there_is_no_article(tmp_path: Path, body: str, kind: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.json"
    page.write_text(body, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main([str(page), "--url", URL])
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"python -m crawler.extract: {page} is no HTML page ({kind}): no article\n"


@pytest.mark.e2e  # a fresh interpreter
def test_the_extract_command_on_json_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"title": TITLE, "body": PARAGRAPH}, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "crawler.extract", str(page), "--url", URL], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"python -m crawler.extract: {page} is no HTML page (json): no article\n"


@pytest.mark.parametrize("body", ['{"items": [{"url": "/news/a/"}]}', RSS])
def test_a_listing_answered_with_json_or_xml_is_read_as_html(body: str) -> None:
    """Discovery parses a listing with ``html_selector``, which reads any text as HTML (parsel, asked for no type,
    makes a JSON selector of a JSON text, on which reading links raised)."""
    tree = html_selector(body)
    found = page_links(tree, "https://asiaplus.news/")
    assert tree.type == "html"
    assert found.urls == []
    assert next_page(tree, "https://asiaplus.news/") is None


@pytest.mark.parametrize(("body", "nuls"), [
    (PAGE.replace("<h1>", "\x00<h1>"), 1),  # one stray NUL in the page's start
    (PAGE.replace("</p>", "\x00</p>"), 4),  # a few, in its text
    ("\x00" + PAGE, 1),  # before its first element
    ("<!-- build\x00 " + "info " * 1000 + " -->\n" + PAGE, 1),  # in a leading comment longer than SNIFF_CHARS
])
def test_a_page_with_stray_nuls_is_stored_without_them(body: str, nuls: int) -> None:
    """A NUL or a few in a page that opens as markup are stray bytes, not a binary file's: the page is read
    without them."""
    assert body.count("\x00") == nuls
    items, stats = crawl_one(body.encode("utf-8"), "text/html; charset=utf-8")
    assert [type(item) for item in items] == [ArticleItem], stats
    assert items[0].title == TITLE and items[0].paragraphs[0] == PARAGRAPH
    assert "\x00" not in (items[0].raw_html or "")
    assert stats["articles/nul_dropped"] == 1 and "articles/skipped/binary" not in stats


@pytest.mark.parametrize("body", [
    PAGE.encode("utf-16-le"),  # a UTF-16 page without a byte-order mark, served as UTF-8: half its bytes NULs
    b"\x00" * 8 + PARAGRAPH.encode("utf-8") * 4,  # NULs in a start that opens with no markup
    PAGE.replace("</p>", "\x00" * 20 + "</p>").encode("utf-8"),  # many NULs for a page: 80 in its start
    bytes(range(256)) * 16,  # random bytes, with their NULs
])
def test_a_body_with_nuls_that_is_no_page_is_still_binary(body: bytes) -> None:
    items, stats = crawl_one(body, "text/html; charset=utf-8")
    assert items == [] and stats["articles/skipped/binary"] == 1


def test_a_page_whose_leading_comment_runs_past_the_sniff_window_opens_as_markup() -> None:
    # Its first element comes after SNIFF_CHARS; it is looked for in PROLOGUE_CHARS, as not_html looks for it.
    body = "<!-- build\x00 " + "info " * 1000 + " -->\n<!DOCTYPE html><html><body><p>Text.</p></body></html>"
    assert not looks_binary(body)
    assert not_html(body) is None
    assert looks_binary("<!-- build\x00 " + "info " * 1000 + " -->\nplain text, no element")
