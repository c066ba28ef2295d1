"""The publication date beside the headline, through the whole extraction (``extract_article``): a byline
indented with whitespace is no body paragraph, a deadline in a subtitle is no publication date, and a
declared (JSON-LD) date stands against a printed one only when some time zone puts it on the printed day."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.article import extract_article
from tests.test_published_dates import FETCHED, _site_without_date_rules, undated_page

PADDING = "\n" + " " * 60  # a template's indentation around a short line


def jsonld(published: str, modified: str | None = None) -> str:
    """A NewsArticle node declaring ``published`` (and ``modified``)."""
    node = {"@context": "https://schema.org", "@type": "NewsArticle", "datePublished": published}
    if modified:
        node["dateModified"] = modified
    return f'<script type="application/ld+json">{json.dumps(node)}</script>'


# (language, the header after the headline, the day it prints)
PADDED: list[tuple[str, str, datetime]] = [
    ("ru", f"<p class='authors'>{PADDING}Иван Петров, Айгерим Сапарова{PADDING}{PADDING}</p>"
           "<time class='stamp'>14 марта 2025 • 3 мин</time>", datetime(2025, 3, 14, tzinfo=UTC)),
    ("kk", f"<p>{PADDING}Айгерім Сапарова{PADDING * 2}</p><span>2025 жылғы 14 наурыз</span>",
     datetime(2025, 3, 14, tzinfo=UTC)),
    ("en", f'<p>{PADDING}Naftali Tishby, Fernando C. Pereira{PADDING * 2}</p>'
           '<time datetime="4/24/2000 12:00:00 AM">24 Apr 2000 <span>•</span> 3 min read</time>',
     datetime(2000, 4, 24, tzinfo=UTC)),
]


@pytest.mark.parametrize(("lang", "header", "printed"), PADDED, ids=[p[0] for p in PADDED])
def test_a_byline_paragraph_padded_with_whitespace_does_not_end_the_header(lang: str, header: str,
                                                                         printed: datetime) -> None:
    # The page declares a later import date; the byline's printed date is the article's.
    html = undated_page(lang, header, head=jsonld("2025-12-01T05:10:15Z"))
    extraction = extract_article(html, "https://example.kz/news/1001/", None, FETCHED)
    assert extraction.published == printed
    assert extraction.sources["published"] == "generic"


# (language, a subtitle naming a deadline, then the byline)
DEADLINES: list[tuple[str, str]] = [
    ("en", "<h2>Call for Proposals is Open Until July 31</h2><div class='byline'>March 14, 2025</div>"),
    ("ru", "<h2>Приём заявок на гранты открыт до 31 июля</h2><div class='meta'>14 марта 2025</div>"),
    ("kk", "<h2>Өтінімдер 31 шілдеге дейін қабылданады</h2><div>2025 жылғы 14 наурыз</div>"),
    ("ky", "<h2>Арыздар 31-июлга чейин кабыл алынат</h2><div>2025-жылдын 14-марты</div>"),
    ("uz", "<h2>Arizalar 31-iyulgacha qabul qilinadi</h2><div>14-mart, 2025</div>"),
    ("tg", "<h2>Дархостҳо то 31 июл қабул карда мешаванд</h2><div>14 марти 2025</div>"),
    ("tk", "<h2>Arzalar 31-nji iýula çenli kabul edilýär</h2><div>14-nji mart 2025</div>"),
]


@pytest.mark.parametrize(("lang", "header"), DEADLINES, ids=[d[0] for d in DEADLINES])
def test_a_deadline_beside_the_headline_is_not_the_publication_date(lang: str, header: str) -> None:
    extraction = extract_article(undated_page(lang, header), "https://example.kz/news/1001/", None, FETCHED)
    assert extraction.published == datetime(2025, 3, 14, tzinfo=UTC)


# (language, declared publication, declared modification, printed header, the publication date expected)
AGREEMENT: list[tuple[str, str, str | None, str, datetime]] = [
    # 22:02 UTC on the 15th is the 15th or the 16th everywhere: the printed 14th is another day, and stands
    ("ru", "2025-03-15T22:02:58Z", "2025-03-15T22:02:45Z", "<div>14 марта 2025</div>",
     datetime(2025, 3, 14, tzinfo=UTC)),
    ("tg", "2025-03-15T22:02:58Z", None, "<div>14 марти 2025</div>", datetime(2025, 3, 14, tzinfo=UTC)),
    # 03:05 UTC on the 15th is the evening of the 14th in the Americas: the same publication
    ("en", "2025-03-15T03:05:00Z", None, "<div class='byline'>March 14, 2025</div>",
     datetime(2025, 3, 15, 3, 5, tzinfo=UTC)),
    # "09.10.2024" on an English page is 10 September, the declared day: no contradiction
    ("en", "2024-09-10T16:07:00.000Z", "2025-11-25T17:47:39.214Z", "<p class='post-date'>09.10.2024</p>",
     datetime(2024, 9, 10, 16, 7, tzinfo=UTC)),
]


@pytest.mark.parametrize(("lang", "published", "modified", "header", "expected"), AGREEMENT,
                         ids=[f"{a[0]}-{a[1]}-{a[3]}" for a in AGREEMENT])
def test_a_printed_date_overrules_a_declared_one_no_time_zone_puts_on_its_day(
        lang: str, published: str, modified: str | None, header: str, expected: datetime) -> None:
    html = undated_page(lang, header, head=jsonld(published, modified))
    extraction = extract_article(html, "https://example.kz/news/1001/", None, FETCHED)
    assert extraction.published == expected


def test_a_header_printing_the_update_day_does_not_overrule_the_declared_publication() -> None:
    # CNN's template: <meta name="pubdate">, <meta name="lastmod">, and a byline printing the update's day
    # with an update time the parser cannot read ("-- Updated 0203 GMT").
    head = ('<meta content="2013-11-27T08:36:32Z" itemprop="datePublished" name="pubdate"/>'
            '<meta content="2013-11-28T02:03:23Z" itemprop="dateModified" name="lastmod"/>')
    html = undated_page("en", '<div class="cnn_strytmstmp">November 28, 2013 -- Updated 0203 GMT (1003 HKT)</div>',
                        head=head)
    extraction = extract_article(html, "https://example.kz/news/1001/", None, FETCHED)
    assert extraction.published == datetime(2013, 11, 27, 8, 36, 32, tzinfo=UTC)
    assert extraction.modified == datetime(2013, 11, 28, 2, 3, 23, tzinfo=UTC)


# (the page's only text, its publication day): the 1st of a month dotted with a two-digit year is a full date,
# which htmldate's month padding (a "March 2025" read as the 1st) is not
SHORT_YEARS: list[tuple[str, datetime | None]] = [
    ("<p>Stand: 1.4.18</p>", datetime(2018, 4, 1, tzinfo=UTC)),
    ("<p>Veröffentlicht am 1.9.17</p>", datetime(2017, 9, 1, tzinfo=UTC)),
    ("<p>Опубликовано 01.03.25</p>", datetime(2025, 3, 1, tzinfo=UTC)),
    ("<p>Жарияланды: 1.3.25</p>", datetime(2025, 3, 1, tzinfo=UTC)),
    # an impossible day is no date, and no year or month padded to its 1st either
    ("<p>Dieses Datum ist leider ungültig: 30. Februar 2018.</p>", None),
    ("<p>Опубликовано 30 февраля 2024 года</p>", None),
    ("<p>Жарияланды: 2024 жылғы 30 ақпан</p>", None),
    ("<p>Сана: 31.04.2024</p>", None),
]


@pytest.mark.parametrize(("body", "expected"), SHORT_YEARS, ids=[s[0] for s in SHORT_YEARS])
def test_a_short_dotted_first_of_the_month_is_a_day_and_an_impossible_day_is_none(
        body: str, expected: datetime | None) -> None:
    extraction = extract_article(f"<html><body>{body}</body></html>", "https://example.org/a", None, FETCHED)
    assert extraction.published == expected


# (the URL fetched, the page's canonical link, the day the page is dated): the permalink's day, the last resort
PERMALINKS: list[tuple[str, str | None, datetime | None]] = [
    ("https://example.kz/ru/news/20250314/shkoly", None, datetime(2025, 3, 14, tzinfo=UTC)),
    ("https://example.kz/kz/news/mektep-20250314.html", None, datetime(2025, 3, 14, tzinfo=UTC)),
    ("https://example.kz/amp/1001", "https://example.kz/2025/03/14/shkoly/", datetime(2025, 3, 14, tzinfo=UTC)),
    ("https://example.kz/amp/1001", "https://other.kz/2025/03/14/shkoly/", None),  # another site's permalink
    ("https://example.kz/ru/news/20250405/shkoly", None, None),  # after the fetch: a scheduled page's day
]


@pytest.mark.parametrize(("url", "canonical", "expected"), PERMALINKS, ids=[f"{p[0]} {p[1]}" for p in PERMALINKS])
def test_a_page_that_prints_no_date_is_dated_by_its_permalink(url: str, canonical: str | None,
                                                               expected: datetime | None) -> None:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    html = undated_page("ru", "<div class='meta'>Политика</div>", head=head)
    extraction = extract_article(html, url, None, FETCHED)
    assert extraction.published == expected


# (language, the header's date (the last update's), a sentence under the body stating the first publication)
FIRST_PUBLISHED: list[tuple[str, str, str, datetime]] = [
    ("en", "<p class='PostDate'>30 Sep 2022, 11:07am</p>",
     "<p>This article was originally published on <span>26 Sep 2019</span> at 4:12pm but has been regularly "
     "updated to keep the information current.</p>", datetime(2019, 9, 26, 16, 12, tzinfo=UTC)),
    ("ru", "<div class='meta'>30 сентября 2022, 11:07</div>",
     "<p>Статья впервые опубликована 26 сентября 2019 года и с тех пор дополняется.</p>",
     datetime(2019, 9, 26, tzinfo=UTC)),
    ("kk", "<div>2022 жылғы 30 қыркүйек</div>",
     "<p>Мақала алғаш рет жарияланған: 2019 жылғы 26 қыркүйек.</p>", datetime(2019, 9, 26, tzinfo=UTC)),
    ("uz", "<div>30-sentabr, 2022</div>",
     "<p>Maqola dastlab chop etilgan sana: 26-sentabr, 2019.</p>", datetime(2019, 9, 26, tzinfo=UTC)),
]


@pytest.mark.parametrize(("lang", "header", "sentence", "expected"), FIRST_PUBLISHED,
                         ids=[f[0] for f in FIRST_PUBLISHED])
def test_a_stated_first_publication_beats_the_headers_update_date(lang: str, header: str, sentence: str,
                                                                   expected: datetime) -> None:
    html = undated_page(lang, header).replace("<footer>", f"{sentence}<footer>")
    extraction = extract_article(html, "https://example.kz/news/1001/", None, FETCHED)
    assert extraction.published == expected


PLACEHOLDERS = ["0001-01-01", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z", "0001-01-01T05:00:00+05:00",
                "9999-12-31", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("declared", PLACEHOLDERS)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Almaty"])
def test_a_placeholder_date_at_the_calendars_ends_loses_nothing(declared: str, zone: str) -> None:
    site = _site_without_date_rules(zone, "ru") if zone != "UTC" else None
    html = undated_page("ru", "<div class='meta'>14 марта 2025</div>", head=jsonld(declared, declared))
    extraction = extract_article(html, "https://example.kz/news/1001/", site, FETCHED)
    assert extraction.published == datetime(2025, 3, 14, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert len(extraction.paragraphs) == 3


YEARLESS_BODY = "<p>" + "Душанбе мизбони ҳамоиши байналмилалӣ оид ба масъалаҳои об гардид ва ҳайатҳо ҷамъ омаданд. " * 4


@pytest.mark.parametrize(("url", "expected"), [
    ("https://news.example.tj/2024/12/05/hamoish/", datetime(2024, 12, 5, tzinfo=UTC)),  # an older article
    ("https://news.example.tj/2024/12/06/hamoish/", datetime(2024, 12, 5, tzinfo=UTC)),  # a zone's day apart
    ("https://news.example.tj/news/hamoish/", datetime(2025, 12, 5, tzinfo=UTC)),  # no permalink day: the latest
    ("https://news.example.tj/2024/03/06/hamoish/", datetime(2025, 12, 5, tzinfo=UTC)),  # another day: no help
])
def test_a_yearless_dateline_takes_the_year_of_a_permalink_naming_its_day(url: str, expected: datetime) -> None:
    """"ДУШАНБЕ, 5 декабри." printed without its year, on a page fetched on 20 December 2025."""
    html = (f"<html><head><title>Ҳамоиш</title></head><body><article><h1>Ҳамоиш дар Душанбе</h1>"
            f'<p class="meta">ДУШАНБЕ, 5 декабри.</p>{YEARLESS_BODY}</p></article></body></html>')
    extraction = extract_article(html, url, None, datetime(2025, 12, 20, 9, tzinfo=UTC))
    assert extraction.published == expected and extraction.published_raw == "5 декабри"
