"""The "Published"/"Updated" labels of the region's outlets, read from one vocabulary: a labelled date is the
publication's in every language the crawl meets, and a date labelled an update's never is."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

import crawler.extract.article as article
from crawler.extract.article import extract_article
from crawler.extract.date_labels import PUBLISHED, UPDATED, published_before_date, published_label_start, update_label
from crawler.extract.labelled_date import labelled_date
from crawler.extract.visible_dates import find_dateline, find_visible_date

FETCHED = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
REGION = {"en", "ru", "kk", "ky", "tg", "uz", "uz-Cyrl", "tk"}
BODY = "".join(f"<p>{text}</p>" for text in (
    "Ҳукумат барномаи нави рушди соҳаи энергетикаро барои солҳои наздик тасдиқ кард ва маблағгузориро зиёд намуд.",
    "Вазорат гуфт, ки дар доираи барнома се нерӯгоҳи нав сохта мешавад ва шабакаҳои барқ навсозӣ хоҳанд шуд.",
    "Барнома аз моҳи апрел оғоз ёфта, то охири соли оянда давом мекунад, хабар медиҳад хадамоти матбуот.",
))


def _page(footer: str, header: str = "", head: str = "") -> str:
    """An outlet's article page: its date line under the body (as Asia-Plus, Kun.uz, Turkmenportal print it)."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Барномаи нав</title>{head}</head>
<body><nav><a href="/">Асосӣ</a> <a href="/news/">Хабарҳо</a></nav>
<main><article><h1>Ҳукумат барномаи навро тасдиқ кард</h1>{header}<div class="article-text">{BODY}</div>
<div class="article-footer">{footer}</div></article></main>
<footer>© 2008–2025 Outlet</footer></body></html>"""


def _published(html: str) -> tuple[str | None, str | None]:
    extraction = extract_article(html, "https://news.example.tj/news/barnoma/", None, FETCHED)
    return (extraction.published.date().isoformat() if extraction.published else None,
            extraction.sources.get("published"))


def _jsonld(published: str, modified: str | None = None) -> str:
    modified_field = f', "dateModified": "{modified}"' if modified else ""
    return ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
            f'"headline": "Барномаи нав", "datePublished": "{published}"{modified_field}}}</script>')


def test_the_vocabulary_covers_the_regions_languages() -> None:
    assert set(PUBLISHED) == REGION
    assert set(UPDATED) == REGION


# Labelled dates as the region's outlets print them, each under the article's body. The labels that only the
# byline reader knew before (Tajik, Uzbek "e'lon qilindi", Uzbek Cyrillic, Turkmen) are read here too now.
LABELLED = [
    ('<span class="date">Жарияланды: 12.03.2025</span>', "kk"),
    ('<span>Жарияланған уақыты:</span> <span>12.03.2025, 14:05</span>', "kk"),
    ('<div class="meta">Жарыяланды: <time>12.03.2025</time></div>', "ky"),
    ('<span class="date">Нашр шуд: 12.03.2025</span>', "tg"),
    ('<span>Интишор шуд</span> <span>12 марти соли 2025</span>', "tg"),
    ('<span class="date">Chop etildi: 12.03.2025</span>', "uz"),
    ('<span class="date">E’lon qilindi: 12.03.2025 14:05</span>', "uz"),  # a curly apostrophe
    ('<span class="date">Эълон қилинди: 12.03.2025</span>', "uz-Cyrl"),
    ('<span class="date">Çap edildi: 12.03.2025</span>', "tk"),
    ('<span class="date">Neşir edildi: 2025-nji ýylyň 12-nji marty</span>', "tk"),
    ('<span class="date">Опубликовано: 12 марта 2025</span>', "ru"),
    ('<p class="info">Дата публикации: 12.03.2025 10:15</p>', "ru"),
    ('<span class="posted">Published on March 12, 2025</span>', "en"),
]


@pytest.mark.parametrize(("footer", "language"), LABELLED)
def test_a_labelled_publication_date_is_read(footer: str, language: str) -> None:
    html = _page(footer)
    found = labelled_date(html, lxml.html.fromstring(html), lambda text: find_visible_date(text, UTC, FETCHED))
    assert found is not None and found[0].date().isoformat() == "2025-03-12", language


@pytest.mark.parametrize(("footer", "language"), LABELLED)
def test_a_labelled_date_overrules_a_stale_declared_one(footer: str, language: str) -> None:
    # The CMS wrote its import day into JSON-LD; the page labels the article's own day.
    assert _published(_page(footer, head=_jsonld("2019-06-01T10:00:00+05:00"))) == ("2025-03-12", "generic"), language


@pytest.mark.parametrize("byline", [
    "Нашр шуд: 12.03.2025 · Навсозӣ шуд: 18.03.2025",
    "Навсозӣ: 18.03.2025 · Нашр шуд: 12.03.2025",
    "Yangilandi 18.03.2025 · E'lon qilindi 12.03.2025",
    "Ўзгартирилди 18.03.2025 · Эълон қилинди 12.03.2025",
    "Täzelendi: 18.03.2025, Çap edildi: 12.03.2025",
    "Жаңартылды 18.03.2025 Жарияланды 12.03.2025",
    "Изменено: 18 марта 2025 | Опубликовано: 12 марта 2025",
    "12 марта 2025, 10:00 Обновлено: 14:40, 18 марта 2025",  # the update label names the later date only
    "12.03.2025 · Жаңартылды: 18.03.2025",
    # the update first, then the publication without its label
    "Обновлено: 18.03.2025 10:00 12.03.2025 14:05",
    "Yangilandi: 18.03.2025 12.03.2025",
    "Updated March 18, 2025 · March 12, 2025",
])
def test_a_byline_with_both_labels_gives_the_publication_date(byline: str) -> None:
    found = find_dateline(byline, UTC, FETCHED)
    assert found is not None and (found.value.date().isoformat(), found.updated) == ("2025-03-12", False)


# A date labelled an update's: never the publication's, whatever else the page has.
UPDATES = [
    "Жаңартылды: 18.03.2025",
    "Өзгертілді: 18.03.2025",
    "Жаңыланды: 18.03.2025",
    "Навсозӣ шуд: 18.03.2025",
    "O‘zgartirildi: 18.03.2025",
    "Янгиланди: 18.03.2025",
    "Täzelendi: 18.03.2025",
    "Üýtgedildi: 18.03.2025",
    "Изменено: 18 марта 2025",
    "Дата изменения: 18.03.2025",
    "Last modified: March 18, 2025",
]


@pytest.mark.parametrize("label", UPDATES)
def test_an_update_beside_the_headline_does_not_overrule_the_declared_date(label: str) -> None:
    html = _page("", header=f'<div class="meta"><span>{label}</span></div>', head=_jsonld("2025-03-12T10:00:00+05:00"))
    assert _published(html) == ("2025-03-12", "jsonld")


@pytest.mark.parametrize("label", UPDATES)
def test_an_update_beside_the_headline_yields_to_the_labelled_publication(label: str) -> None:
    # The header shows the last update; the page labels its publication under the body (in Tajik).
    html = _page('<span class="date">Нашр шуд: 12.03.2025</span>',
                 header=f'<div class="meta"><span>{label}</span></div>')
    assert _published(html) == ("2025-03-12", "generic")


@pytest.mark.parametrize("label", UPDATES)
def test_an_update_label_is_no_publication_label(label: str) -> None:
    html = _page(f"<span>{label}</span>")
    assert labelled_date(html, lxml.html.fromstring(html), lambda text: find_visible_date(text, UTC, FETCHED)) is None
    assert update_label.search(label) is not None
    assert published_label_start.match(label) is None


def test_a_section_name_before_a_date_is_no_label() -> None:
    # "Jemgyýetçilik" (society) is the rubric Turkmen outlets print beside the date: no label of either kind.
    found = find_dateline("Jemgyýetçilik 12.03.2025", UTC, FETCHED)
    assert found is not None and found.updated is False
    assert published_before_date.search("Jemgyýetçilik ") is None


def test_the_modification_date_is_read_once() -> None:
    # The printed dateline disagrees with the declared date, so the modification day is weighed too: one read.
    html = _page("", header='<div class="meta">14.03.2025</div>',
                 head=_jsonld("2019-06-01T10:00:00+05:00", "2024-08-09T07:00:00+05:00"))
    seen: list[str | None] = []
    parse = article.parse_datetime

    def counted(raw: str | None, *args: object) -> datetime | None:
        seen.append(raw)
        return parse(raw, *args)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(article, "parse_datetime", counted)
        extraction = extract_article(html, "https://news.example.tj/news/barnoma/", None, FETCHED)
    assert extraction.published is not None and extraction.published.date().isoformat() == "2025-03-14"
    assert extraction.modified is not None and extraction.modified.date().isoformat() == "2024-08-09"
    assert seen.count("2024-08-09T07:00:00+05:00") == 1


@pytest.mark.parametrize(("byline", "updated"), [
    ("2025-12-17 Last Updated: Dec 17, 2025", True),  # <time datetime=...>Last Updated: ...</time>, read in order
    ("Жаңартылды: 18.03.2025", True),
    ("12.03.2025 · Жаңартылды: 18.03.2025", False),  # the label names the later date only
])
def test_an_update_label_names_the_date_after_it(byline: str, updated: bool) -> None:
    found = find_dateline(byline, UTC, FETCHED)
    assert found is not None and found.updated is updated
