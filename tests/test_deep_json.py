"""JSON nested deeper than the interpreter's recursion limit (a few bytes a level: a million levels fit in
2 MB) is unreadable data, skipped like invalid JSON: the article is still extracted from the rest of the
page, and a WordPress API page of it is not a post list. A lone surrogate escape (``\\ud800``) is read
as U+FFFD in JSON-LD, and a WordPress API link holding one is not followed."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from crawler.bench.hostile_shapes import SENTENCE, TITLE, URL, article_data, page
from crawler.discovery.wpapi import parse_posts
from crawler.extract.article import extract_article
from crawler.sites import GENERIC
from crawler.urls import canonical_url

DEPTH = 1_000_000
HEADLINE = "Рогунская ГЭС: первый агрегат запущен"


@pytest.mark.parametrize("deep", ["[" * DEPTH + "]" * DEPTH, '{"a":' * DEPTH + "1" + "}" * DEPTH,
                                  '{"@graph":[' * 600 + "{}" + "]}" * 600])
def test_a_deeply_nested_json_ld_block_is_skipped_and_the_article_kept(deep: str) -> None:
    data = article_data(headline=HEADLINE, author={"@type": "Person", "name": "Анна Каримова"})
    html = page(head=f"<script type='application/ld+json'>{deep}</script>", data=data)
    record = extract_article(html, URL, GENERIC)
    assert any(SENTENCE in paragraph for paragraph in record.paragraphs)
    assert record.authors == ["Анна Каримова"]  # the readable block is still read


def test_a_deeply_nested_wordpress_api_page_is_not_a_post_list() -> None:
    assert parse_posts(("[" * DEPTH + "]" * DEPTH).encode()) is None
    assert parse_posts(b'[{"link": "https://hostile.tj/news/a/", "date_gmt": "2026-11-20T10:00:00"}]')


def test_a_lone_surrogate_escape_in_json_ld_is_read_as_a_replacement_character() -> None:
    bson = pytest.importorskip("bson")
    raw = ('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Рогун \\ud800 ГЭС \\ud83d\\ude00",'
           ' "datePublished": "2026-11-20T10:00:00+05:00", "keywords": ["тег\\udfff"],'
           ' "author": {"@type": "Person", "name": "Анна \\uDBFF Каримова"}}')
    html = (f"<html lang='ru'><head><script type='application/ld+json'>{raw}</script></head>"
            f"<body><article><p>{SENTENCE}</p><p>{SENTENCE}</p></article></body></html>")
    record = extract_article(html, URL, GENERIC)
    assert record.title == "Рогун \ufffd ГЭС 😀"  # a pair still makes its character
    assert record.tags == ["тег\ufffd"]
    assert len(record.authors) == 1 and "Каримова" in record.authors[0]
    # what the store is handed encodes (a lone surrogate made pymongo refuse the record: it was quarantined)
    bson.encode({"title": record.title, "tags": record.tags, "authors": record.authors})



def test_a_wordpress_api_link_with_a_lone_surrogate_is_not_followed() -> None:
    body = (b'[{"link": "https://hostile.tj/news/a\\ud800b/", "date_gmt": "2026-11-20T11:00:00"},'
            b' {"link": "https://hostile.tj/news/good/", "date_gmt": "2026-11-20T10:00:00"}]')
    links = parse_posts(body)
    assert links is not None
    assert [link.url for link in links] == ["https://hostile.tj/news/good/"]
    for link in links:
        canonical_url(link.url)  # what the spider does with each: raised UnicodeEncodeError, ending the page


def test_a_json_ld_block_too_long_for_any_article_is_skipped_unread() -> None:
    """Loading a JSON block costs some 40 bytes a character: an 8 MB block took about 300 MB in the worker."""
    huge = json.dumps({"@type": "NewsArticle", "headline": "Реклама", "mentions": [{}] * 1_500_000})
    data = article_data(headline=HEADLINE, author={"@type": "Person", "name": "Анна Каримова"})
    html = page(head=f"<script type='application/ld+json'>{huge}</script>", data=data)
    tracemalloc.start()
    try:
        record = extract_article(html, URL, GENERIC)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert record.authors == ["Анна Каримова"]  # the readable block is still read
    assert peak < 60_000_000, peak  # the page itself is 6 MB of text; loading the block took 114 MB


@pytest.mark.parametrize("reference", [{"@id": ["#author"]}, {"@id": {"name": "x"}}, {"@id": None}])
@pytest.mark.parametrize("field", ["author", "publisher"])
def test_a_json_ld_reference_whose_id_is_no_string_is_ignored_and_the_article_kept(field: str,
                                                                                    reference: object) -> None:
    """A broken template's ``{"@id": [...]}`` raised TypeError (unhashable) in the lookup: the article was lost."""
    data = article_data(**{field: reference})
    record = extract_article(page(data=data), URL, GENERIC)
    assert record.title == TITLE
    assert any(SENTENCE in paragraph for paragraph in record.paragraphs)
