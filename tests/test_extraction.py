"""Site fixtures: every replica article page extracted and cleaned, compared
field by field with ``expected.json``; pages that are not articles say so."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html
from w3lib.encoding import html_to_unicode

from crawler.extract.article import extract_article
from crawler.extract.body import extract_body, image_record
from crawler.extract.cleanup import clean_paragraphs
from crawler.sites import GENERIC, Selectors, SiteConfig, load_site
from tests.replicas import RECORD_FIELDS, expected, expected_articles, page_file, replica_sites


def page_text(site: str, url: str) -> str:
    """The page decoded the way Scrapy decodes it (BOM, then meta charset, then guess)."""
    _, text = html_to_unicode(None, page_file(site, url).read_bytes())
    return text


def extracted(site: SiteConfig, url: str) -> dict[str, Any]:
    """What the spider and cleaning pipeline make of a replica page."""
    record = extract_article(page_text(site.name, url), url, site).as_dict()
    record["paragraphs"], _ = clean_paragraphs(record["paragraphs"], record["images"])
    for name in ("published", "modified"):
        record[name] = record[name].isoformat() if record[name] else None
    return record


CASES = [(site, url, field) for site in replica_sites() for url in sorted(expected_articles(site))
         for field in RECORD_FIELDS]


def _case_id(case: tuple[str, str, str]) -> str:
    site, url, field = case
    slug = urlsplit(url).path.rstrip("/").split("/")[-1][:24]
    return f"{site}-{slug}-{field}"


@pytest.mark.parametrize(("site", "url", "field"), CASES, ids=[_case_id(c) for c in CASES])
def test_article_field(site: str, url: str, field: str) -> None:
    assert extracted(load_site(site), url)[field] == expected_articles(site)[url][field]


NON_ARTICLES = [(site, url) for site in replica_sites() for url in expected(site)["not_articles"]]


@pytest.mark.parametrize(("site", "url"), NON_ARTICLES)
def test_non_article_pages_are_never_stored(site: str, url: str) -> None:
    """Either the URL is not an article URL (never fetched as one) or the page says it is a listing."""
    config = load_site(site)
    if config.is_article_url(url):
        assert extract_article(page_text(site, url), url, config).page_type == "listing"


ASIAPLUS = load_site("asiaplus")


def test_broken_site_selectors_fall_back_to_the_generic_extractor() -> None:
    """A theme change that breaks the body selectors still yields the article."""
    url = next(u for u in expected_articles("asiaplus") if "csto" in u)
    broken = dataclasses.replace(ASIAPLUS, selectors=Selectors(body=(".no-such-theme-class",)))
    record = extracted(broken, url)
    assert record["sources"]["body"] == "generic"
    assert record["paragraphs"] == expected_articles("asiaplus")[url]["paragraphs"]


def test_generic_extraction_without_a_site_config() -> None:
    url = next(u for u in expected_articles("asiaplus") if "checkpoint" in u)
    record = extract_article(page_text("asiaplus", url), url, GENERIC)
    want = expected_articles("asiaplus")[url]
    assert record.title == want["title"]
    assert record.sources["body"] == "generic"
    paragraphs, _ = clean_paragraphs(record.paragraphs, record.images)
    assert set(want["paragraphs"]) <= set(paragraphs)


def test_provenance_names_the_method_of_each_field() -> None:
    url = next(u for u in expected_articles("asiaplus") if "gidroenergetiki" in u)
    sources = extracted(ASIAPLUS, url)["sources"]
    # This page has no JSON-LD and no article meta: its fields come from the theme's markup.
    assert sources["published"] == "site"
    assert sources["authors"] == "site"
    assert sources["body"] == "site"
    assert sources["lead"] == "meta"


def test_gutenberg_gallery_keeps_every_image() -> None:
    container = lxml_html.fromstring("""<div><p>Text.</p>
      <figure class="wp-block-gallery has-nested-images">
        <figure class="wp-block-image"><img src="/a.jpg"><figcaption>First. Photo: TCA</figcaption></figure>
        <figure class="wp-block-image"><img src="/b.jpg"><figcaption>Second</figcaption></figure>
      </figure></div>""")
    body = extract_body(container, "https://timesca.com/x/")
    assert body.paragraphs == ["Text."]
    assert body.images == [
        {"url": "https://timesca.com/a.jpg", "caption": "First", "credit": "TCA", "_position": 1},
        {"url": "https://timesca.com/b.jpg", "caption": "Second", "credit": None, "_position": 1},
    ]


def test_loose_text_between_blocks_is_kept() -> None:
    container = lxml_html.fromstring(
        '<div class="news_in">Бишкек, 21 ноя. 2026 /АКИpress/. Вводный абзац без тега <b>p</b>.'
        "<p>Второй абзац.</p>Хвостовой текст после абзаца.<br><br>Ещё строка.<script>x()</script></div>")
    assert extract_body(container, "https://akipress.org/").paragraphs == [
        "Бишкек, 21 ноя. 2026 /АКИpress/. Вводный абзац без тега p.", "Второй абзац.",
        "Хвостовой текст после абзаца.", "Ещё строка."]


def test_a_data_table_is_read_row_by_row_and_a_layout_table_cell_by_cell() -> None:
    """Election results and price lists are the article's text (they were dropped on the site-rule path)."""
    container = lxml_html.fromstring(
        "<div><p>Итоги выборов:</p><table><thead><tr><th>Партия</th><th>Голоса, %</th></tr></thead>"
        "<tbody><tr><td>Ата-Журт</td><td>34,2</td></tr><tr><td>Ишеним</td><td><b>12,5</b></td></tr></tbody>"
        "<tr><td>Всего</td><td></td></tr></table>"
        "<table><tr><td><p>Первый абзац в сетке старого сайта.</p><p>Второй абзац.</p></td>"
        "<td><div>Третий.</div></td></tr><tr><td><table><tr><td>Вложенная</td><td>таблица</td></tr></table></td></tr>"
        "</table><p>Конец.</p></div>")
    assert extract_body(container, "https://24.kg/").paragraphs == [
        "Итоги выборов:", "Партия | Голоса, %", "Ата-Журт | 34,2", "Ишеним | 12,5", "Всего",
        "Первый абзац в сетке старого сайта.", "Второй абзац.", "Третий.", "Вложенная | таблица", "Конец."]


def test_featured_image_repeated_in_the_body_keeps_its_caption() -> None:
    html = """<html><head><meta property="og:image" content="https://s.kg/1.jpg"></head><body>
      <div class="td-post-content"><p>Text.</p>
      <figure><img src="https://s.kg/1.jpg"><figcaption>Аллея. Фото: A</figcaption></figure></div></body></html>"""
    record = extract_article(html, "https://asiaplus.news/2025/01/01/x/", ASIAPLUS)
    assert [{k: v for k, v in i.items() if k != "_position"} for i in record.images] == [
        {"url": "https://s.kg/1.jpg", "caption": "Аллея", "credit": "A"}]


def test_site_rules_that_catch_a_fragment_are_overruled_by_the_generic_extractor() -> None:
    url = next(u for u in expected_articles("asiaplus") if "csto" in u)
    narrow = dataclasses.replace(ASIAPLUS, selectors=Selectors(body=(".tdb_single_content p:first-of-type",)))
    record = extracted(narrow, url)
    assert record["sources"]["body"] == "generic"
    assert record["paragraphs"] == expected_articles("asiaplus")[url]["paragraphs"]


def test_image_block_without_figcaption_takes_its_credit_from_a_copyright_element() -> None:
    """Sputnik prints no <figure>: the credit of an image block sits in ``.media__copyright``."""
    block = lxml_html.fromstring("""<div class="media"><div class="media__size"><img src="/img/1.jpg"></div>
      <div class="media__copyright"><div class="media__copyright-item m-copyright">© Sputnik / Ирина Иванова</div>
      </div></div>""")
    assert image_record(block, "https://ru.sputnik.kz/x.html") == {
        "url": "https://ru.sputnik.kz/img/1.jpg", "caption": None, "credit": "Sputnik / Ирина Иванова"}
    plain = lxml_html.fromstring('<div class="media"><img src="/img/2.jpg"><div class="credit">Reuters</div></div>')
    assert image_record(plain, "https://a.kz/")["credit"] == "Reuters"  # type: ignore[index]
    bare = lxml_html.fromstring('<div class="media"><img src="/img/3.jpg"><div class="title">Astana</div></div>')
    assert image_record(bare, "https://a.kz/")["credit"] is None  # type: ignore[index]


@pytest.mark.parametrize(("byline", "authors"), [
    ("Awtor: Aýna Orazowa", ["Aýna Orazowa"]),  # Turkmen
    ("Author: Dovlet Myradov", ["Dovlet Myradov"]),
    ("Автор: Айзада Мамытова", ["Айзада Мамытова"]),
    ("By Anna Lee", ["Anna Lee"]),
    ("Authorities", ["Authorities"]),  # a word that starts like the label is kept whole
])
def test_byline_labels_are_cut_from_author_names(byline: str, authors: list[str]) -> None:
    html = f'<html><body><a class="tdb-author-name">{byline}</a><div class="td-post-content"><p>Text.</p></div>'
    assert extract_article(html, "https://asiaplus.news/2025/01/01/x/", ASIAPLUS).authors == authors
