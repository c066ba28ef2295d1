"""A tag with a hostile number of attributes (libxml2 compares each attribute with every one before it)
is cut to its first ``MAX_ATTRIBUTES`` before any parse: in the extraction worker, in the sanitizer and in
the crawl process itself (a listing page), however its attributes are spelled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawler.bench.hostile_shapes import SENTENCE, TITLE, URL, page
from crawler.extract.article import extract_article
from crawler.htmltree import MAX_ATTRIBUTES, MAX_TAGS, bounded_markup, html_selector
from crawler.sanitize import inert_html
from crawler.sites import GENERIC
from tests.conftest import MongoTarget
from tests.crawling import StoreCrawl
from tests.hostile_site import DOMAIN, article, site_config

# How an HTML5 tokenizer (libxml2 2.14's) reads attributes: "<" inside a name, ">" inside a quoted value,
# no space after a quoted value, "/" between attributes
SPELLINGS = ["a{}", "a<{}", 'a{}="<>"', "a{}/", "a{}='x'b{}=''"]


def crowded(spelling: str, count: int) -> str:
    return " ".join(spelling.format(n, n) for n in range(count))


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_crowded_tag_is_extracted_and_stored_in_linear_time(spelling: str) -> None:
    html = page(f"<p class='lead' {crowded(spelling, 60_000)}>{SENTENCE} Вторая часть.</p>")
    extract_article(page(), URL, GENERIC)  # warm
    started = time.process_time()
    record = extract_article(html, URL, GENERIC, keep_html=True)
    seconds = time.process_time() - started
    assert seconds < 2, f"{seconds:.1f} s"  # 60,000 attributes took 3-20 s before, a million hours
    assert record.title == TITLE
    assert any("Вторая часть" in p for p in record.paragraphs)
    lead = html_selector(record.html).css("p.lead")[0].root
    assert len(lead.attrib) <= 2 * MAX_ATTRIBUTES  # the class and the first attributes kept
    started = time.process_time()
    assert "Вторая часть" in inert_html(html)  # the store's and the export's own sanitizing
    assert time.process_time() - started < 2


def test_script_text_and_ordinary_tags_are_left_as_they_are() -> None:
    words = " ".join(f"w{n}" for n in range(2 * MAX_ATTRIBUTES))
    script = f"<script>for (i = 0; i<n {words}; i++) {{}}</script><style>a<b {words} {{}}</style>"
    normal = "<p " + " ".join(f"data-x{n}='{n}'" for n in range(MAX_ATTRIBUTES)) + ">x</p>"
    html = f"<html><head>{script}</head><body>{normal}</body></html>"
    assert bounded_markup(html) == html
    cut = bounded_markup(f"<html><body><div id=a {words}>x</div></body></html>")
    assert cut.startswith("<html><body><div id=a w0 ") and f" w{MAX_ATTRIBUTES - 2}>x</div>" in cut



# What opens no script for the parser: a "<script" in a comment, an attribute value, a title or textarea's text;
# and a script's own start tag, whose attributes are a tag's like any other.
HIDING = ["<!-- <script -->", "<div title='<script'>x</div>", "<textarea><style</textarea>", "<title><script</title>",
          "<script {crowd}></script>"]


@pytest.mark.parametrize("hiding", HIDING)
def test_a_crowded_tag_is_cut_wherever_a_script_seems_to_start(hiding: str) -> None:
    crowd = crowded("a{}", 20_000)
    html = f"<html><head><title>T</title></head><body>{hiding.format(crowd=crowd)}<p {crowd}>x</p></body></html>"
    started = time.process_time()
    root = html_selector(html).root
    seconds = time.process_time() - started
    assert seconds < 0.2, f"{seconds:.2f} s"  # 0.5-0.6 s before: libxml2 read all 20,000 attributes, twice
    assert all(len(element.attrib) <= MAX_ATTRIBUTES for element in root.iter())
    assert root.xpath("string(//p)") == "x"


def test_comments_attribute_values_and_raw_text_of_real_pages_are_kept() -> None:
    words = " ".join(f"w{n}" for n in range(2 * MAX_ATTRIBUTES))
    html = (f"<HTML><HEAD><TITLE>a<b {words}</TITLE><SCRIPT>if (a<b {words}) {{}}</SCRIPT></HEAD><BODY>"
            f"<!-- <script> --><p title='<b {words}>'>x</p><svg><![CDATA[<x {words}]]></svg>"
            f"<textarea><i {words}</textarea><a href=/a/b/ {words[:99]}>y</a></BODY></HTML>")
    assert bounded_markup(html) == html


def test_a_listing_page_with_a_crowded_tag_does_not_stall_the_crawl(
    tmp_path: Path, mongo: MongoTarget, crawl_into_store: StoreCrawl
) -> None:
    root = tmp_path / "site"
    slugs = ["first", "second"]
    for slug in slugs:
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(article(slug), encoding="utf-8")
    links = "".join(f"<a href='/news/{slug}/'>{slug}</a>" for slug in slugs)
    # 300,000 attributes: about 100 s of parsing in the crawl process before
    home = f"<html><body><div {crowded('a<{}', 300_000)}>{links}</div>{links}</body></html>"
    (root / "index.html").write_text(home, encoding="utf-8")
    config = tmp_path / "crowded.toml"
    config.write_text(site_config("crowded", DOMAIN, "Asia/Dushanbe", source="listings"), encoding="utf-8")
    result = crawl_into_store("news", f"config={config}", replica=root, timeout=60,
                              settings=["ROBOTSTXT_OBEY=0", "DOWNLOAD_MAXSIZE=8388608"])
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {doc["url"] for doc in mongo.db.articles.find()}
    assert stored == {f"https://{DOMAIN}/news/{slug}/" for slug in slugs}


def test_a_page_of_two_million_elements_is_read_only_to_its_first_tags() -> None:
    html = page("<p>Вторая часть.<br>" + "<br>" * 2_000_000 + "</p><p>Конец страницы.</p>")
    assert len(html) < 8 * 1024 * 1024  # under DOWNLOAD_MAXSIZE
    extract_article(page(), URL, GENERIC)  # warm
    started = time.process_time()
    record = extract_article(html, URL, GENERIC, keep_html=True)
    seconds = time.process_time() - started
    assert seconds < 3, f"{seconds:.1f} s"  # 4.7 s before: every reader walked two million elements
    assert any("Вторая часть" in p for p in record.paragraphs)
    assert not any("Конец страницы" in p for p in record.paragraphs)  # past MAX_TAGS: not read
    assert html_selector(html).root.xpath("count(//br)") < MAX_TAGS


@pytest.mark.parametrize("name", ["class", "id"])
def test_a_megabytes_long_attribute_value_is_read_in_time(name: str) -> None:
    html = page(f"<p {name}='{'x' * 7_800_000}'>Вторая часть.</p>")  # an oversized page: generic extraction
    extract_article(page(), URL, GENERIC)  # warm
    started = time.process_time()
    record = extract_article(html, URL, GENERIC, keep_html=True)
    seconds = time.process_time() - started
    assert seconds < 1.5, f"{seconds:.1f} s"  # 2.5-3.6 s before: trafilatura matched the whole value ~100 times
    assert any("Вторая часть" in p for p in record.paragraphs)
