"""Extraction work stays near linear on hostile page shapes (each of these took from several
seconds to minutes, or crashed, before it was bounded), and what extraction returns stays a
little past the record's caps, so that the cleaning pipeline sees and counts every cut."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from parsel import Selector

from crawler.bench.hostile_shapes import SENTENCE, SHAPES, URL, jsonld_keywords, links, nested, page, text_node
from crawler.browser import looks_like_script_shell
from crawler.cleaning import clean
from crawler.extract.article import extract_article, warm_up
from crawler.extract.generic import cut_after
from crawler.items import article_item
from crawler.limits import RecordLimits, setting_name
from crawler.sites import GENERIC, SiteConfig, load_site_file
from tests.hostile_site import CONFIG

SECONDS = 5.0  # generous: each shape below took 5 s to minutes before, under 2 s after
LIMITS = RecordLimits()
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteConfig:
    warm_up()  # the language model loads once per process: not part of any page's time
    path = Path(tmp_path_factory.mktemp("site")) / "hostile.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_site_file(str(path))


def timed(html: str, site: SiteConfig | None) -> tuple[dict, float]:  # type: ignore[type-arg]
    """The record and the CPU seconds it took (CPU, not wall time: a loaded machine must not fail it)."""
    started = time.process_time()
    record = extract_article(html, URL, site or GENERIC, NOW)
    return record, time.process_time() - started


# shape, size, read by the site's rules (else by the generic extractor alone); seconds before the bounds
@pytest.mark.e2e  # seconds of CPU on a hostile page
@pytest.mark.parametrize(("shape", "size", "with_site"), [
    ("paragraphs", 50_000, False),  # 21 s (trafilatura's node-set merges)
    ("links", 30_000, False),  # 25 s
    ("links", 30_000, True),  # 27 s: the site's body is short, so the generic extractor cross-checks it
    ("table", 8_000, False),  # 12 s
    ("dates", 30_000, False),  # 10 s (trafilatura deletes each <time>, joining texts: quadratic)
    ("undated", 5_000, False),  # 126 s (htmldate hands each different date to dateparser, 25 ms each)
])
def test_hostile_shapes_are_extracted_in_seconds(site: SiteConfig, shape: str, size: int, with_site: bool) -> None:
    record, seconds = timed(SHAPES[shape][0](size), site if with_site else None)
    assert seconds < SECONDS
    assert record.title == "Совещание по энергетике"
    assert record.paragraphs and len(record.paragraphs) <= LIMITS.paragraphs + 1
    assert sum(map(len, record.paragraphs)) <= LIMITS.body_chars + LIMITS.paragraph_chars


def test_deep_nesting_is_read_without_exhausting_the_stack(site: SiteConfig) -> None:
    record, seconds = timed(nested(5_000), site)  # RecursionError before
    assert record.paragraphs[0] == SENTENCE and SENTENCE in record.paragraphs[-1]
    assert seconds < SECONDS


@pytest.mark.e2e  # seconds of CPU on a hostile page
def test_json_ld_keywords_and_authors_are_gathered_only_past_the_cap(site: SiteConfig) -> None:
    # The most one block under MAX_JSON_LD_CHARS holds (a million keywords, skipped since, gave as many tags)
    record, seconds = timed(jsonld_keywords(50_000), site)
    assert record.tags[:2] == ["тег0", "тег1"] and len(record.tags) == LIMITS.list_items + 1
    assert record.authors[0] == "Анна Каримова0" and len(record.authors) == LIMITS.list_items + 1
    assert seconds < SECONDS


@pytest.mark.e2e  # seconds of CPU on a hostile page
def test_a_giant_text_node_is_read_to_the_paragraph_cap(site: SiteConfig) -> None:
    for with_site in (site, None):
        record, seconds = timed(text_node(5_000_000), with_site)  # one paragraph of 5 MB before
        assert max(map(len, record.paragraphs)) == LIMITS.paragraph_chars + 1
        assert seconds < SECONDS


def test_site_selectors_matching_a_whole_page_are_read_to_the_caps(site: SiteConfig) -> None:
    # (Not many more links: libxml2 evaluates "li a" in time quadratic in the <li> count, and only the
    # extraction budget stops that.)
    tagged = replace(site, selectors=replace(site.selectors, tags=("li a",), authors=("li a",)))
    record, _ = timed(links(5_000), tagged)  # every one of 5,000 links a tag and an author before
    assert len(record.tags) == LIMITS.list_items + 1 and record.tags[0] == "Ссылка 0"
    assert len(record.authors) == LIMITS.list_items + 1


def test_images_hreflang_links_and_a_giant_canonical_are_bounded(site: SiteConfig) -> None:
    head = "".join(f"<link rel='alternate' hreflang='l{i}' href='/news/t{i}/'>" for i in range(20_000))
    head += f"<link rel='canonical' href='/news/{'x' * 1_000_000}/'>"
    html = page("".join(f"<img src='/i{i}.jpg'>" for i in range(20_000)), head=head)
    record, seconds = timed(html, site)
    assert len(record.images) == LIMITS.list_items + 1
    assert len(record.translations) == LIMITS.list_items + 1
    assert record.url == URL  # a megabyte "canonical URL" is no URL
    assert seconds < SECONDS


# A text the cap cuts where normalisation then shortens it: a space at the cap, or blanks (a whitespace run,
# invisible characters) before it.
PAST_CAP_SHAPES = [
    lambda n: "Ж" * n + " конец",
    lambda n: "Ж" * (n - 3) + "   \u200b\u2060 " + "Жконец",
    lambda n: "Ж\u00ad" * n + " конец",
]


# field, its cap, the page declaring the value
@pytest.mark.parametrize(("field", "cap", "declare"), [
    ("title", LIMITS.title_chars, lambda v: f"<meta property='og:title' content='{v}'>"),
    ("title", LIMITS.title_chars, lambda v: f"<h1>{v}</h1>"),  # the parser starts the body there
    ("lead", LIMITS.text_chars, lambda v: f"<meta name='description' content='{v}'>"),
    ("section", LIMITS.text_chars, lambda v: f"<meta property='article:section' content='{v}'>"),
    ("published_raw", LIMITS.text_chars, lambda v: f"<meta property='article:published_time' content='2026 {v}'>"),
])
@pytest.mark.parametrize("shape", range(len(PAST_CAP_SHAPES)))
def test_a_text_past_its_cap_stays_past_it_for_cleaning_to_cut_and_count(field: str, cap: int, declare: Any,
                                                                          shape: int) -> None:
    """Cut at the cap and one, then normalised by cleaning, it was no longer past the cap: an overlong title lost
    its "…", and no cut was counted."""
    html = f"<html><head>{declare(PAST_CAP_SHAPES[shape](cap))}</head><body><p>{SENTENCE}</p></body></html>"
    extraction = extract_article(html, URL, GENERIC, NOW)
    item = article_item(extraction, url=URL, urls=[URL], site="hostile", edition=None, fetched_at=NOW)
    cleaned, report = clean(item, LIMITS)
    assert field in report.truncated
    assert len(getattr(cleaned, field)) == cap + (field == "title")
    assert cleaned.title.endswith("…") if field == "title" else True


def test_a_megabyte_headline_is_normalised_only_near_its_cap() -> None:
    html = f"<html><head><meta property='og:title' content='{'Ж ' * 1_000_000}'></head><body><p>{SENTENCE}</p>"
    extraction = extract_article(html, URL, GENERIC, NOW)
    assert LIMITS.title_chars < len(extraction.title or "") < 2 * LIMITS.title_chars


@pytest.mark.parametrize(("html", "shell"), [
    ("<html><body><div id='app'></div><script src='a.js'></script></body></html>", True),
    ("<html><body>Loading<!-- a comment --><script>1</script></body></html>", True),
    ("<html><body><script>1</script>" + "слово " * 100 + "</body></html>", False),
    ("<html><body><noscript>" + "слово " * 100 + "</noscript><script>1</script></body></html>", True),
    ("<html><body>" + "слово " * 10 + "<!-- c -->" + "слово " * 60 + "<script>1</script></body></html>", False),
    ("<html><body><p>" + "слово " * 10 + "</p></body></html>", False),  # no script: no shell
])
def test_the_script_shell_check_reads_the_parsed_page(html: str, shell: bool) -> None:
    """In the extraction worker, on the page extraction parsed (it ran on the crawl's event loop, parsing
    the page again: seconds for a huge page), reading text only until it has seen enough."""
    assert looks_like_script_shell(Selector(text=html)) is shell
    assert looks_like_script_shell(html) is shell


def _texts(root: lxml_html.HtmlElement) -> list[str]:
    return [t.strip() for t in root.itertext() if t.strip()]


@pytest.mark.parametrize(("max_elements", "max_chars", "kept"), [
    (100, 1000, ["a", "b", "c", "d", "e"]),  # small enough: untouched
    (3, 1000, ["a"]),  # html, body, the first div
    (4, 1000, ["a", "b", "c"]),  # ...and the <b> inside it, with its tail
    (100, 3, ["a", "b", "c"]),
    (100, 2, ["a", "b"]),
])
def test_cut_after_keeps_the_first_nodes_in_document_order(max_elements: int, max_chars: int,
                                                           kept: list[str]) -> None:
    root = lxml_html.fromstring("<html><body><div>a<b>b</b>c<p>d</p></div><p>e</p></body></html>")
    cut_after(root, max_elements, max_chars)
    assert _texts(root) == kept


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, RecordLimits()),
    ({"CLEANING_MAX_TITLE_CHARS": 50, "CLEANING_MAX_LIST_ITEMS": "7"}, RecordLimits(title_chars=50, list_items=7)),
])
def test_limits_from_settings(settings: dict[str, object], expected: RecordLimits) -> None:
    from scrapy.settings import Settings

    assert RecordLimits.from_settings(Settings(settings)) == expected


def test_limits_must_be_positive() -> None:
    from scrapy.settings import Settings

    with pytest.raises(ValueError, match=setting_name("body_chars")):
        RecordLimits.from_settings(Settings({"CLEANING_MAX_BODY_CHARS": 0}))
