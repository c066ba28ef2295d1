"""Publication dates a page states where the header rule and the three usual meta names did not look: the byline's
date under the headline's standfirst (``<h1>``, a long lead ``<p>``, then "Author · 23.07.2025"); the publication
meta tags of Dublin Core, the citation tags and the analytics plugins (``parsely-pub-date``, ``sailthru.date``...),
read as the declared date (``meta``) instead of by the whole-page search; an American slashed date whose only
reading is month first ("09/25/2025"); and the strings the whole-page search (htmldate) hands to its external
parser, read by ours (a year in them, no other number) instead of dateparser's."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from crawler.dates import parse_datetime
from crawler.extract.article import extract_article
from crawler.extract.header_date import header_date
from crawler.extract.visible_dates import find_visible_date
from tests.test_header_date_rules import jsonld
from tests.test_published_dates import FETCHED, undated_page

# (language, the standfirst under the headline, the byline after it, the day the byline prints)
STANDFIRSTS: list[tuple[str, str, str, datetime]] = [
    ("en", "Schools will be built first in the fast-growing suburbs, where classes now hold forty pupils or more.",
     "<div class='who'><b>Elliot Raba</b> <span>23.07.2025</span> <span>6 min read</span></div>",
     datetime(2025, 7, 23, tzinfo=UTC)),
    ("ru", "Школы появятся в первую очередь в быстрорастущих пригородах, где в классах сейчас по сорок учеников.",
     "<div><p>Иван Петров</p><span>14 марта 2025</span></div>", datetime(2025, 3, 14, tzinfo=UTC)),
    ("kk", "Мектептер ең алдымен тез өсіп келе жатқан елді мекендерде салынады, онда сыныптарда қырық оқушы бар.",
     "<div><p>Айгерім Сапарова</p><span>2025 жылғы 14 наурыз</span></div>", datetime(2025, 3, 14, tzinfo=UTC)),
    ("tg", "Мактабҳо пеш аз ҳама дар шаҳракҳои босуръат рушдёбанда сохта мешаванд, ки дар синфҳо чил хонанда ҳаст.",
     "<div><p>Фарҳод Раҳимов</p><span>14 марти 2025</span></div>", datetime(2025, 3, 14, tzinfo=UTC)),
    ("uz", "Maktablar avvalo tez o'sayotgan shaharchalarda quriladi, u yerda hozir sinflarda qirqtadan o'quvchi bor.",
     "<div><p>Aziz Karimov</p><span>14-mart, 2025</span></div>", datetime(2025, 3, 14, tzinfo=UTC)),
]


@pytest.mark.parametrize(("lang", "lead", "byline", "printed"), STANDFIRSTS, ids=[s[0] for s in STANDFIRSTS])
def test_the_byline_date_under_the_headlines_standfirst_is_the_printed_date(lang: str, lead: str, byline: str,
                                                                          printed: datetime) -> None:
    # The page declares a stale import date of another day: the byline's printed date stands against it.
    header = f"<p class='text-lg font-medium'>{lead}</p>{byline}"
    html = undated_page(lang, header, head=jsonld("2025-12-01T05:10:15Z"))
    extraction = extract_article(html, "https://example.kz/news/1001/", None, FETCHED)
    assert extraction.published == printed
    assert extraction.sources["published"] == "generic"


def _header_day(html: str) -> datetime | None:
    found = header_date(lxml.html.fromstring(html), lambda text: (parse_datetime(text) and (parse_datetime(text), text))
                        or find_visible_date(text, UTC, FETCHED))
    return found[0] if found else None


LONG = "The government approved a programme to build new schools in the regions until the end of the decade."


def test_a_date_inside_the_standfirst_or_after_the_bodys_second_paragraph_is_not_the_headers() -> None:
    # A date the standfirst names (in a link) is the news's; a date after two long paragraphs is the body's.
    in_lead = (f"<html><body><article><h1>Schools</h1><p>On <a href='/x'>3 March 2024</a> {LONG}</p>"
               f"<div>Elliot Raba</div><p>{LONG}</p></article></body></html>")
    after_two = (f"<html><body><article><h1>Schools</h1><p>{LONG}</p><p>{LONG}</p>"
                 "<div>14 March 2025</div></article></body></html>")
    under_lead = (f"<html><body><article><h1>Schools</h1><p>{LONG}</p><div>Elliot Raba · 14 March 2025</div>"
                  f"<p>{LONG}</p></article></body></html>")
    assert _header_day(in_lead) is None
    assert _header_day(after_two) is None
    assert _header_day(under_lead) == datetime(2025, 3, 14, tzinfo=UTC)


def test_the_body_opening_dateline_is_still_read_when_the_first_paragraph_follows_the_headline() -> None:
    html = (f"<html><body><article><h1>Schools</h1><p>BISHKEK, 14 March 2025 — {LONG}</p><p>{LONG}</p>"
            "</article></body></html>")
    assert _header_day(html) == datetime(2025, 3, 14, tzinfo=UTC)


# (meta name, its content, the publication instant)
METAS: list[tuple[str, str, datetime]] = [
    ("parsely-pub-date", "2020-02-10T16:48:12Z", datetime(2020, 2, 10, 16, 48, 12, tzinfo=UTC)),
    ("sailthru.date", "2025-03-14 10:15:00", datetime(2025, 3, 14, 10, 15, tzinfo=UTC)),
    ("DC.date.issued", "2025-03-14", datetime(2025, 3, 14, tzinfo=UTC)),
    ("citation_publication_date", "2019-06-25", datetime(2019, 6, 25, tzinfo=UTC)),
    ("published", "July 17, 2024", datetime(2024, 7, 17, tzinfo=UTC)),
    ("published-date", "2021-02-16", datetime(2021, 2, 16, tzinfo=UTC)),
]


@pytest.mark.parametrize(("name", "content", "published"), METAS, ids=[m[0] for m in METAS])
def test_a_publication_meta_tag_is_the_declared_date(name: str, content: str, published: datetime) -> None:
    html = undated_page("en", "<div class='byline'>By Elliot Raba</div>",
                        head=f'<meta name="{name}" content="{content}">')
    extraction = extract_article(html, "https://example.com/news/schools/", None, FETCHED)
    assert extraction.published == published
    assert extraction.sources["published"] == "meta"


@pytest.mark.parametrize("name", ["dcterms.modified", "last-modified", "dcterms.dateCopyrighted", "uploadDate"])
def test_a_modification_copyright_or_upload_meta_is_never_the_publication_date(name: str) -> None:
    html = undated_page("en", "<div class='byline'>By Elliot Raba</div>",
                        head=f'<meta name="{name}" content="2025-03-14T10:15:00Z">')
    extraction = extract_article(html, "https://example.com/news/schools/", None, FETCHED)
    assert extraction.sources.get("published") != "meta"


# (printed, the day it names): day first as the region prints, month first only when that is the one real day
SLASHED: list[tuple[str, datetime | None]] = [
    ("Thu, 09/25/2025 - 11:38", datetime(2025, 9, 25, 11, 38, tzinfo=UTC)),
    ("2/24/2026", datetime(2026, 2, 24, tzinfo=UTC)),
    ("03/04/2025", datetime(2025, 4, 3, tzinfo=UTC)),  # both readings are days: the region's, day first
    ("14/03/2025", datetime(2025, 3, 14, tzinfo=UTC)),
    ("13/13/2025", None),
    ("25.13.2025", None),  # dotted dates are day first only
]


@pytest.mark.parametrize(("printed", "day"), SLASHED, ids=[s[0] for s in SLASHED])
def test_a_slashed_date_is_read_month_first_only_when_that_is_its_one_real_day(printed: str,
                                                                                day: datetime | None) -> None:
    found = find_visible_date(printed, UTC, FETCHED)
    assert (found[0] if found else None) == day


# (a string htmldate hands to its external parser, the date it is)
EXTERNAL: list[tuple[str, datetime | None]] = [
    ("2025 жылғы 14 наурыз, 10:15", datetime(2025, 3, 14, 10, 15)),
    ("14 марти соли 2025", datetime(2025, 3, 14)),
    ("Jan. 17, 2025 @ 01:39", datetime(2025, 1, 17)),
    ("Between 2015 and2018, 13% of childrenages 5 to 19", None),
    (". 2019;28(12):2257-2269.", None),
    ("Notion alternatives page was last updated Feb 26, 20", None),  # no year: cut off
    ("вчера, 18:20", None),  # relative: htmldate asks for absolute dates only
]


@pytest.mark.parametrize(("text", "value"), EXTERNAL, ids=[e[0] for e in EXTERNAL])
def test_the_whole_page_searchs_external_parser_reads_a_date_with_its_year_and_no_other_number(
        text: str, value: datetime | None) -> None:
    import htmldate.extractors

    import crawler.extract.article  # noqa: F401  (installs the parser in htmldate)

    assert htmldate.extractors.get_external_parser().get_date_data(text)["date_obj"] == value


# (text, the date it prints): a slashed number after "№" or "#" is a document's number, never a date, and the
# month-first reading must not make one of it ("Решение №1/15/2025" was read as the 15th of January)
NUMBERED: list[tuple[str, datetime | None]] = [
    ("Решение №1/15/2025 от 2 апреля 2025 г.", datetime(2025, 4, 2, tzinfo=UTC)),
    ("Қаулы № 3/28/2024, 14 наурыз 2025", datetime(2025, 3, 14, tzinfo=UTC)),
    ("Order #4/17/2025 of 3 March 2025", datetime(2025, 3, 3, tzinfo=UTC)),
    ("Приказ №2/20/2025", None),
]


@pytest.mark.parametrize(("text", "day"), NUMBERED, ids=[n[0] for n in NUMBERED])
def test_a_numbered_documents_slashed_number_is_no_month_first_date(text: str, day: datetime | None) -> None:
    found = find_visible_date(text, UTC, FETCHED)
    assert (found[0] if found else None) == day
