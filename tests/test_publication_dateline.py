"""Which publication date wins on pages whose sources disagree: the dateline the page prints beside its
headline against a stale JSON-LD/meta date, "Updated" lines, the one date a page labels "Published",
SEO plugins' WebPage dates, and no date taken from a modification field."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from crawler.bench.extraction import local_day
from crawler.extract.article import extract_article
from crawler.extract.header_date import header_date
from crawler.extract.labelled_date import labelled_date
from crawler.extract.visible_dates import find_dateline, find_visible_date

FETCHED = datetime(2025, 12, 20, 9, 0, tzinfo=UTC)
BODY = "".join(f"<p>{text}</p>" for text in (
    "The city council approved the new budget on Tuesday after a long debate about school funding and roads.",
    "Members said the plan would add two hundred teachers and repair more than forty kilometres of streets.",
    "The mayor is expected to sign the budget next week, and spending begins with the new fiscal year.",
))


def _page(header: str, head: str = "", aside: str = "") -> str:
    """A blog/news article as common CMS themes render it: head metadata, the headline and its byline."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Council approves budget</title>
{head}</head><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main><article><header><h1>Council approves budget</h1>{header}</header>
<div class="entry-content">{BODY}</div></article>{aside}</main>
<footer>© 2015–2025 City News</footer></body></html>"""


def _jsonld(published: str, modified: str | None = None, kind: str = "NewsArticle") -> str:
    modified_field = f', "dateModified": "{modified}"' if modified else ""
    return (f'<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "{kind}", '
            f'"headline": "Council approves budget", "datePublished": "{published}"{modified_field}}}</script>')


def _published(html: str) -> tuple[str | None, str | None]:
    extraction = extract_article(html, "https://news.example.com/council-budget/", None, FETCHED)
    day = extraction.published.date().isoformat() if extraction.published else None
    return day, extraction.sources.get("published")


# --- the dateline beside the headline against a declared date ------------------------------------------------------

def test_the_printed_dateline_beats_a_stale_declared_date() -> None:
    # A theme that writes its import date into JSON-LD while the byline shows the article's day.
    html = _page('<div class="byline">By Jane Roe · <span>March 14, 2025</span></div>',
                 _jsonld("2012-09-12T16:45:28+00:00"))
    assert _published(html) == ("2025-03-14", "generic")


def test_a_declared_date_that_agrees_with_the_dateline_keeps_its_precision() -> None:
    html = _page('<div class="byline">By Jane Roe · March 14, 2025</div>', _jsonld("2025-03-14T23:30:00+05:00"))
    extraction = extract_article(html, "https://news.example.com/council-budget/", None, FETCHED)
    assert extraction.published == datetime(2025, 3, 14, 18, 30, tzinfo=UTC)
    assert extraction.sources["published"] == "jsonld"


@pytest.mark.parametrize("byline", [
    '<div class="byline">By Jane Roe · Updated March 14, 2025</div>',  # an update's date
    '<div class="byline">By Jane Roe · Last updated: 14 Mar 2025</div>',
    '<div class="byline">By Jane Roe · Обновлено 14 марта 2025</div>',
    '<div class="byline">By Jane Roe · March 14</div>',  # no year: a guess, not a fact
])
def test_an_update_or_a_partial_dateline_does_not_overrule_the_declared_date(byline: str) -> None:
    html = _page(byline, _jsonld("2024-11-02T10:00:00+00:00"))
    assert _published(html) == ("2024-11-02", "jsonld")


def test_a_dateline_showing_the_declared_modification_day_does_not_overrule() -> None:
    # The template prints the page's last edit without a label; dateModified names that day.
    html = _page('<div class="entry-meta"><span class="updated">March 14, 2025</span></div>',
                 _jsonld("2022-01-03T16:52:00+00:00", "2025-03-14T06:10:53+00:00"))
    assert _published(html) == ("2022-01-03", "jsonld")


def test_a_second_printed_date_agreeing_with_the_declared_one_keeps_it() -> None:
    # The headline's dateline is a teaser's, but the page labels the declared day "Published".
    html = _page('<div class="meta"><time datetime="2025-03-14">March 14, 2025</time></div>',
                 _jsonld("2024-11-02T10:00:00+00:00"),
                 aside='<div class="post-info"><h4>Published</h4><div>November 2, 2024</div></div>')
    assert _published(html) == ("2024-11-02", "jsonld")


# --- "Updated ... Originally published ..." ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "day", "updated"), [
    ("Updated November 11, 2022 8:23 PM ET Originally published November 9, 2022 11:01 AM ET", "2022-11-09", False),
    ("Published Apr 26, 2023 Updated Aug 21, 2025", "2023-04-26", False),
    ("Обновлено 15.03.2025 Опубликовано: 14.03.2025", "2025-03-14", False),
    ("2025-жылдын 14-марты · Жарыяланды 13.03.2025", "2025-03-13", False),
    ("Last updated: Dec 4, 2025 By Jane Roe", "2025-12-04", True),
    ("14 марта 2025, 10:15 | Политика", "2025-03-14", False),
])
def test_a_byline_labelled_publication_date_wins(text: str, day: str, updated: bool) -> None:
    found = find_dateline(text, UTC, FETCHED)
    assert found is not None
    assert (found.value.date().isoformat(), found.updated) == (day, updated)


def test_the_originally_published_date_is_the_records() -> None:
    html = _page('<div class="dateblock"><span>Updated November 11, 2022 8:23 PM ET</span> '
                 '<span>Originally published November 9, 2022 11:01 AM ET</span></div>')
    assert _published(html) == ("2022-11-09", "generic")


# --- the one date a page labels "Published" -----------------------------------------------------------------------

def test_a_labelled_publication_date_in_a_side_column_is_read() -> None:
    html = _page("", aside='<div class="single-post-sidebar"><div class="single-post-meta"><h4>Published</h4>'
                           '<div class="single-post-date">July 8, 2025</div></div></div>')
    assert _published(html) == ("2025-07-08", "generic")


def test_a_time_pubdate_beats_a_declared_date_of_another_day() -> None:
    html = _page("", _jsonld("2025-11-29T12:28:31-05:00", "2025-11-29T12:28:31-05:00"),
                 aside='<div class="article-body__published">Published <time pubdate datetime="2025-08-13">'
                       "August 13, 2025</time></div>")
    assert _published(html) == ("2025-08-13", "generic")


def test_labelled_dates_of_several_days_are_a_teaser_list() -> None:
    teasers = "".join(f'<li><a href="/n/{n}/">Story {n}</a> <span>Posted on</span> <span>March {n}, 2025</span></li>'
                      for n in (3, 5, 9))
    html = _page("", _jsonld("2024-11-02T10:00:00+00:00"), aside=f'<ul class="more-stories">{teasers}</ul>')
    assert labelled_date(html, lxml.html.fromstring(html), lambda text: find_visible_date(text, UTC, FETCHED)) is None
    assert _published(html) == ("2024-11-02", "jsonld")


# --- where structured dates live, and where they never come from ---------------------------------------------------

def test_a_webpage_nodes_date_is_read_when_the_graph_has_no_article() -> None:
    # Yoast's graph: the dates sit on the WebPage node, and there is no Article node.
    graph = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
             '{"@type": "WebSite", "@id": "https://news.example.com/#website", "name": "City News"},'
             '{"@type": "WebPage", "@id": "https://news.example.com/council-budget/", "name": "Council budget",'
             '"datePublished": "2021-01-27T06:00:00+00:00", "dateModified": "2021-04-15T00:07:20+00:00"}]}</script>')
    assert _published(_page("", graph)) == ("2021-01-27", "jsonld")


def test_a_modification_field_is_never_the_publication_date() -> None:
    head = ('<meta property="article:modified_time" content="2024-05-03T10:57:58+00:00">'
            '<meta property="og:updated_time" content="2024-05-03T10:57:58+00:00">')
    assert _published(_page("", head)) == (None, None)


def test_a_repeated_lead_does_not_end_the_header() -> None:
    # Responsive templates print the lead twice (desktop and mobile copies) before the byline.
    lead = "A guide to how the council spends its money, what changed this year and what residents should expect."
    header = (f'<p class="summary">{lead}</p><p class="summary mobile-only">{lead}</p>'
              '<div class="author-wrap"><div>Jane Roe</div><div class="text-date">August 25, 2024</div></div>')
    root = lxml.html.fromstring(_page(header))
    found = header_date(root, lambda text: find_visible_date(text, UTC, FETCHED))
    assert found is not None and found[1] == "August 25, 2024"


# --- the benchmark's day ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "day"), [
    ("2025-12-19T01:00:00+05:30", "2025-12-19"),  # 18 December in UTC
    ("2020-04-12T18:00:00-07:00", "2020-04-12"),  # 13 April in UTC
    ("April 12, 2020", "2020-04-13"),  # a printed date: the stored day
])
def test_the_benchmark_day_is_the_one_the_page_states(raw: str, day: str) -> None:
    published = datetime(2025, 12, 18, 19, 30, tzinfo=UTC) if raw.startswith("2025") else \
        datetime(2020, 4, 13, 1, 0, tzinfo=UTC)
    assert local_day(published, raw) == day


# --- the body's own dateline -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("opening", "day"), [
    ("BISHKEK, March 14, 2025 — The council approved", "2025-03-14"),
    ("Астана. 14 марта 2025 г. – Правительство утвердило", "2025-03-14"),
    ("Душанбе, 14.03.2025 - Ҳукумат барномаро тасдиқ кард", "2025-03-14"),
    ("On 10 March 2025 the council met for the first time in a year to discuss the budget —", None),  # a sentence
    ("The council met on 10 March 2025 and approved the budget after a long debate.", None),  # no dateline
])
def test_the_dateline_opening_the_body_is_the_articles(opening: str, day: str | None) -> None:
    html = f"""<!DOCTYPE html><html><head><title>Council</title></head><body><article><h1>Council approves budget</h1>
<p>{opening} and its members said the plan would add two hundred teachers and repair many streets.</p>
<p>The mayor is expected to sign the budget next week, and spending begins with the new fiscal year.</p>
</article></body></html>"""
    found = header_date(lxml.html.fromstring(html), lambda text: find_visible_date(text, UTC, FETCHED))
    assert (found[0].date().isoformat() if found else None) == day
