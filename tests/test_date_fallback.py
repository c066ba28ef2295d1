"""The whole-page date search (htmldate), run when a page neither declares nor prints its date beside the
headline: it reads a copy of the page's own parse, not a second parse, and finds the same day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import crawler.extract.article as article
from crawler.extract.article import extract_article

FETCHED = datetime(2025, 12, 20, 9, 0, tzinfo=UTC)
PARAGRAPH = ("<p>The city council approved the new budget on Tuesday after a long debate about school funding "
             "and roads, and members said the plan would add two hundred teachers.</p>")
# No JSON-LD, no meta, nothing dated beside the headline: only a date line under the body, in a sidebar's
# teaser list and in the footer, which the search must tell apart.
PAGE = f"""<!DOCTYPE html><html><head><title>Council approves budget</title></head><body>
<nav><a href="/">Home</a></nav><div class="content"><h1>Council approves budget</h1>{PARAGRAPH * 3}
<div class="entry-footer"><span class="date">14/03/2025</span></div></div>
<aside><ul class="related"><li><a href="/a/">Older story</a> <span class="date">02/01/2024</span></li></ul></aside>
<footer>© 2025 City News</footer></body></html>"""


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lengths of the HTML texts that ``article`` hands to htmldate's parser, as they happen."""
    parsed: list[int] = []
    real = article.load_html

    def counted(html: Any) -> Any:
        parsed.append(len(html))
        return real(html)

    monkeypatch.setattr(article, "load_html", counted)
    return parsed


def test_the_date_search_reads_the_pages_own_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parses(monkeypatch)
    extraction = extract_article(PAGE, "https://news.example.com/council-budget/", None, FETCHED)
    assert extraction.published == datetime(2025, 3, 14, tzinfo=UTC)
    assert parsed == []  # no second parse


def test_a_page_longer_than_the_search_reads_the_top_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # The search reads only the top of a huge page: that part is parsed on its own, as before.
    parsed = _parses(monkeypatch)
    monkeypatch.setattr(article, "DATE_SEARCH_MAX_CHARS", len(PAGE) - 10)
    extraction = extract_article(PAGE, "https://news.example.com/council-budget/", None, FETCHED)
    assert extraction.published == datetime(2025, 3, 14, tzinfo=UTC)
    assert parsed == [len(PAGE) - 10]


def test_the_search_leaves_the_pages_tree_whole() -> None:
    # The search prunes navigation and teasers from what it reads: a copy, so the body is still all there.
    extraction = extract_article(PAGE, "https://news.example.com/council-budget/", None, FETCHED)
    assert extraction.published is not None
    assert len(extraction.paragraphs) == 3


@pytest.mark.parametrize(("opening", "day"), [
    ("БИШКЕК, 5 декабря 2025. /Кабар/. Правительство утвердило", datetime(2025, 12, 5, tzinfo=UTC)),
    ("Toshkent, 3 dekabr 2025 (UzA). Hukumat yangi dasturni", datetime(2025, 12, 3, tzinfo=UTC)),
    ("ДУШАНБЕ, 4 декабря 2025 г. /АМИТ «Ховар»/. Правительство", datetime(2025, 12, 4, tzinfo=UTC)),
    ("Бишкек, 2 декабря 2025 — Кабар. Правительство утвердило", datetime(2025, 12, 2, tzinfo=UTC)),
])
def test_an_agencys_dateline_without_a_dash_dates_a_page_that_declares_nothing(opening: str, day: datetime) -> None:
    text = " новую программу развития регионов на ближайшие пять лет, сообщили в пресс-службе кабинета министров."
    page = (f"<!DOCTYPE html><html><head><title>Программа</title></head><body><h1>Программа</h1>"
            f"<div class='content'><p>{opening}{text}</p>{PARAGRAPH * 3}</div></body></html>")
    extraction = extract_article(page, "https://news.example.kg/programma/", None, FETCHED)
    assert extraction.published == day, extraction.published_raw
