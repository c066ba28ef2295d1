"""Tengrinews prints and stamps naive local times: both sides of Kazakhstan's move
from UTC+6 to UTC+5 (1 March 2024) come out in the right UTC, from its JSON-LD and,
with that removed, from the date printed in the article header alone."""

from __future__ import annotations

import re

import pytest

from crawler.extract.article import extract_article
from crawler.sites import load_site
from tests.replicas import expected_articles, page_file

TENGRI = load_site("tengrinews")
BEFORE = "https://tengrinews.kz/kazakhstan_news/v-almatyi-zapustyat-shest-novyih-avtobusnyih-marshrutov-527841/"
AFTER = "https://tengrinews.kz/kazakhstan_news/kazahstan-pereshel-na-edinyiy-chasovoy-poyas-529102/"
_JSONLD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.DOTALL)


@pytest.mark.parametrize(("url", "raw", "utc"), [
    (BEFORE, "2024-02-20T11:30:00", "2024-02-20T05:30:00+00:00"),  # UTC+6
    (AFTER, "2024-03-01T10:15:00", "2024-03-01T05:15:00+00:00"),  # UTC+5
])
def test_naive_jsonld_time_is_read_in_the_zone_of_its_day(url: str, raw: str, utc: str) -> None:
    record = extract_article(page_file("tengrinews", url).read_text(encoding="utf-8"), url, TENGRI)
    assert (record.published_raw, record.sources["published"]) == (raw, "jsonld")
    assert record.published is not None and record.published.isoformat() == utc
    assert expected_articles("tengrinews")[url]["published"] == utc


@pytest.mark.parametrize(("url", "printed", "utc"), [
    (BEFORE, "20 февраля 2024 11:30", "2024-02-20T05:30:00+00:00"),
    (AFTER, "1 марта 2024 10:15", "2024-03-01T05:15:00+00:00"),
])
def test_printed_header_date_alone_gives_the_same_utc(url: str, printed: str, utc: str) -> None:
    html = _JSONLD.sub("", page_file("tengrinews", url).read_text(encoding="utf-8"))
    record = extract_article(html, url, TENGRI)
    assert (record.published_raw, record.sources["published"]) == (printed, "site")
    assert record.published is not None and record.published.isoformat() == utc
