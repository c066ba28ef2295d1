"""Teaser cards (a link whose face holds a heading and a date, a list that no class names) are other articles:
their dates are never the page's, neither beside the headline nor as labelled publication dates, and the
whole-page date search does not read them."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from crawler.extract.article import extract_article
from crawler.extract.header_date import drop_chrome, header_date
from crawler.extract.labelled_date import labelled_date
from crawler.extract.visible_dates import find_visible_date

FETCHED = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
BODY = "".join(f"<p>{text}</p>" for text in (
    "The government approved a programme to build new schools in the regions of the country until 2030.",
    "According to the education minister, the schools will first appear in the fast-growing suburbs.",
    "The programme is financed from the republican budget for the next three years, the ministry said.",
))


def card(label: str, day: str, title: str) -> str:
    """One teaser card as a component library renders it: the whole card one link, its date labelled for
    screen readers."""
    return (f'<div class="relative"><a class="group block" href="/news/{title.lower().replace(" ", "-")}/">'
            f'<div class="p-4"><span class="tag">News</span> <span class="text-muted"><h3 class="sr-only">{label}'
            f'</h3> <time>{day}</time></span><h3 class="h5">{title}</h3></div></a></div>')


def collection_page(label: str, published: str, cards: list[tuple[str, str]]) -> str:
    """A guide's page: the headline, a list of cards right under it, the body, and a column that labels the
    page's own publication date."""
    teasers = "".join(card(label, day, title) for day, title in cards)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Small business guide</title></head>
<body><main><h1>Small business guide</h1><div class="flex flex-col">{teasers}</div>
<div class="content">{BODY}</div>
<div class="c-layout-left"><div class="text-sm"><h4>{label}</h4> <time>{published}</time></div>
<div class="text-sm"><h4>Version</h4> 1.0</div></div></main></body></html>"""


# (the label, the page's own date as printed, the cards' dates, the day the page was published)
LABELS = [
    ("Published", "15 November 2018", ["17 Jan 2019", "24 Jun 2025"], "2018-11-15"),
    ("Опубликовано", "15 ноября 2018", ["17 января 2019", "24 июня 2025"], "2018-11-15"),
    ("Жарияланды", "15.11.2018", ["17.01.2019", "24.06.2025"], "2018-11-15"),
    ("E'lon qilindi", "15.11.2018", ["17.01.2019", "24.06.2025"], "2018-11-15"),
]


def _parse(text: str) -> tuple[datetime, str] | None:
    return find_visible_date(text, UTC, FETCHED)


@pytest.mark.parametrize(("label", "published", "cards", "day"), LABELS, ids=[row[0] for row in LABELS])
def test_a_cards_label_does_not_count_against_the_pages_own(label: str, published: str, cards: list[str],
                                                            day: str) -> None:
    html = collection_page(label, published, [(d, f"Story {n}") for n, d in enumerate(cards)])
    found = labelled_date(html, lxml.html.fromstring(html), _parse)
    assert found is not None and found[0].date().isoformat() == day


@pytest.mark.parametrize(("label", "published", "cards", "day"), LABELS, ids=[row[0] for row in LABELS])
def test_a_page_under_a_list_of_cards_is_dated_by_its_own_label(label: str, published: str, cards: list[str],
                                                                day: str) -> None:
    html = collection_page(label, published, [(d, f"Story {n}") for n, d in enumerate(cards)])
    extraction = extract_article(html, "https://example.gov/collection/guide", None, FETCHED)
    assert extraction.published is not None and extraction.published.date().isoformat() == day


def test_the_dates_of_cards_under_the_headline_are_not_the_headers() -> None:
    html = collection_page("Published", "15 November 2018", [("17 Jan 2019", "Shopping safely")])
    assert header_date(lxml.html.fromstring(html), _parse) is None


def test_a_date_linked_to_the_permalink_is_still_the_headers() -> None:
    # WordPress: "Posted on <a href=permalink><time>": a link with no heading in it is no card.
    html = ('<html><body><article><h1>New schools</h1><p class="meta">Posted on <a href="/2025/03/14/schools/" '
            f'rel="bookmark"><time datetime="2025-03-14T10:15:00+05:00">March 14, 2025</time></a></p>{BODY}'
            '</article></body></html>')
    found = header_date(lxml.html.fromstring(html), _parse)
    assert found is not None and found[0] == datetime(2025, 3, 14, 5, 15, tzinfo=UTC)


def test_a_label_after_a_card_is_outside_it() -> None:
    # The page's label follows a card in the same block: the card ends before it.
    html = ('<html><body><main><h1>New schools</h1><div><a href="/news/old/"><h3>Old story</h3><time>17 Jan 2019'
            f'</time></a>Published: 14 March 2025</div>{BODY}</main></body></html>')
    found = labelled_date(html, lxml.html.fromstring(html), _parse)
    assert found is not None and found[0].date().isoformat() == "2025-03-14"


def test_the_date_search_does_not_read_cards() -> None:
    html = collection_page("Published", "15 November 2018", [("17 Jan 2019", "Shopping safely")])
    kept = drop_chrome(lxml.html.fromstring(html)).text_content()
    assert "17 Jan 2019" not in kept and "Shopping safely" not in kept
    assert "15 November 2018" in kept
