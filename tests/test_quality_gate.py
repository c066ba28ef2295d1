"""Quality gate: body F1 (and title and author exact matches, same-day dates) of the generic extractor on the
shared article-extraction benchmark must not drop below the pinned floors. Raising a floor is a
deliberate change; the full numbers come from ``python -m crawler.bench.extraction``."""

from __future__ import annotations

import os
from itertools import islice

import pytest

from crawler.bench.extraction import DEFAULT_DATA, Result, load_pages, ours

# Measured 2026-11-30 with the learned body model: aeb-dev F1 0.988 (0.986 with the previous model; trafilatura
# 0.954), every 4th wcxb-dev page 0.975 (all 711: 0.972; 0.969 and 0.968 before). The model was trained on these
# pages: its held-out (cross-validated) F1 is 0.968 and 0.950 (0.961 and 0.949 before), see
# scripts/train_body_model.py.
FLOORS = {"aeb-dev": (None, 0.987), "wcxb-dev": (4, 0.973)}  # set: (take every n-th page, F1 floor)
# Title and author exact-match floors on the pages of that sample whose truth has a title / names authors.
# Measured 2026-11-30 on every 4th wcxb-dev page: titles 0.854 (0.843 before the banner <h1>, lower-case <h1>,
# charset-damage and domain-word rules; all 711 pages 0.855, 0.845 before), authors 0.777 (0.685 and 0.569
# before), same-day publication dates 0.879 (0.846 before; the day in the offset the page states). Session 8:
# authors 0.792 (all 711 pages 0.816, 0.794 before). Session 9: authors 0.800 (all 711 pages 0.821; the date-first
# meta line, lists after "Authors:", "Article written by:", author links' addresses), titles 0.854 (all 0.858),
# dates 0.886 on the sample and on all 711 pages (0.879 before). Session 10: authors 0.808 on the sample (all 711
# pages 0.826: scholarly author lists, an author box's job element), titles 0.854 (all 0.861: an aggregator's
# source after the headline, a headline set in capitals); the pages these rules won are outside the sample; dates
# 0.886 on the sample, 0.888 on all 711 pages (the byline date under a standfirst, the publication meta tags of
# Dublin Core, citations and plugins). Session 13: authors 0.823 on the sample (0.815 before; all 711 pages 0.841,
# 0.830 before: a WebPage node's author, co-authors a line each after a label, "This post was written by …", logins
# in the author field, a personal site's owner's handle, bylines measured without the source's indentation); titles
# 0.860 on the sample (all 711 pages 0.864: a headline marked by class beside a widget's <h1>). Session 14: authors
# 0.838 on the sample (0.823 before; all 711 pages 0.854, 0.841 before: reviewers, editors and translators are no
# authors, a work's title then "by" is a citation, a site named after its writer, names before the header's date,
# contributors' profile links, a personal site's owner on a page in the first person); titles, dates and bodies
# unchanged on every page. Session 15: dates 0.889 on all 711 pages (523 of 588, 0.888 before: a teaser card's date
# is not the page's), 0.886 on the sample (the page won is outside it; the floor stays just under). Session 17:
# titles 0.865 on the sample (154 of 178, 153 before: curly apostrophes straight where the declared titles write them).
FIELD_FLOORS = {"wcxb-dev": {"title_exact": 0.864, "author_exact": 0.835, "date_accuracy": 0.885}}
# Floors over every page of a set, for a field whose wins the sample does not see. Session 16: titles 0.871 on all
# 711 wcxb-dev pages (619 of 711, 0.864 before: markup after an early </html>, a sentence-case headline in the
# declared title's case, an <h1> in an <article> nested in a <nav>, fullwidth "？"), 0.860 on the sample (unchanged).
# Session 17: titles 0.878 (624 of 711: curly apostrophes straight where the declared titles write them, 7 won, 2 lost).
# Session 19: titles 0.879 (625 of 711: a yearless <h1> takes the year the JSON-LD headline and another kind of declared
# title add as " [in] 2025", 1 won, none lost; outside the sample).
ALL_PAGES_FLOORS = {"wcxb-dev": {"title_exact": 0.879}}

pytestmark = [
    pytest.mark.e2e,  # tens of seconds over the benchmark corpora
    pytest.mark.skipif(not DEFAULT_DATA.is_dir() and not os.environ.get("REQUIRE_BENCHMARK"),
                       reason=f"benchmark data not found at {DEFAULT_DATA}"),
]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_generic_body_f1_stays_above_the_floor(name: str) -> None:
    step, floor = FLOORS[name]
    result = Result()
    for page in islice(load_pages(DEFAULT_DATA / name), 0, None, step or 1):
        result.add(page, ours)
    assert result.score.f1 >= floor, result.row()
    row = result.row()
    for key, field_floor in FIELD_FLOORS.get(name, {}).items():
        assert row[key] >= field_floor, row


@pytest.mark.parametrize("name", sorted(ALL_PAGES_FLOORS))
def test_generic_fields_on_every_page_stay_above_the_floor(name: str) -> None:
    result = Result()
    for page in load_pages(DEFAULT_DATA / name):
        result.add(page, ours)
    row = result.row()
    for key, field_floor in ALL_PAGES_FLOORS[name].items():
        assert row[key] >= field_floor, row
