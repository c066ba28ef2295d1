"""RFC 822 dates whose year is written with four digits below 1000 (``Mon, 01 Jan 0001 00:00:00 GMT``, a CMS's empty
date): email.utils reads ``0001`` as the two-digit year ``01``, 2001, which validation took for a real article date.
Now it is year 1, refused as too old like any other ancient date; a two-digit year keeps its RFC 2822 meaning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.dates import parse_datetime, rfc822_datetime
from crawler.discovery.feeds import read_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.middlewares.retry_after import retry_after_seconds
from crawler.rules import ValidationConfig


@pytest.mark.parametrize(("raw", "year"), [
    ("Mon, 01 Jan 0001 00:00:00 GMT", 1),
    ("01 Jan 0050 00:00:00 +0000", 50),
    ("Thu, 01 Jan 0099 12:00:00 GMT", 99),
    ("Sat, 01 Jan 0999 00:00:00 GMT", 999),
    ("Mon, 01 Jan 01 00:00:00 GMT", 2001),  # two digits: RFC 2822's 2001
    ("Fri, 01 Jan 99 00:00:00 GMT", 1999),
    ("Thu, 20 Nov 2025 10:00:00 +0500", 2025),
])
def test_a_four_digit_year_is_that_year(raw: str, year: int) -> None:
    value = rfc822_datetime(raw)
    assert value is not None and value.year == year


def test_year_zero_is_no_date() -> None:
    assert rfc822_datetime("Mon, 01 Jan 0000 00:00:00 GMT") is None
    assert parse_datetime("Mon, 01 Jan 0000 00:00:00 GMT") is None


def test_an_ancient_date_is_refused_by_validation() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    value = parse_datetime("Mon, 01 Jan 0001 00:00:00 GMT")
    assert value == datetime(1, 1, 1, tzinfo=UTC)
    assert ValidationConfig().date_problem(value, now) == "too_old"
    assert ValidationConfig().date_problem(parse_datetime("Mon, 01 Jan 01 00:00:00 GMT"), now) is None


def test_feed_and_sitemap_dates() -> None:
    feed = (b"<rss><channel><item><link>https://x.kg/a</link><pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate></item>"
            b"<item><link>https://x.kg/b</link><pubDate>Mon, 01 Jan 0001 00:00:00 +0600</pubDate></item>"
            b"</channel></rss>")
    assert [(link.url, link.date) for link in read_feed(feed).links] == [
        ("https://x.kg/a", datetime(1, 1, 1, tzinfo=UTC)), ("https://x.kg/b", None)]  # east of UTC: before year 1
    sitemap = parse_sitemap(b"<urlset><url><loc>https://x.kg/c</loc>"
                            b"<lastmod>Tue, 01 Jan 0002 00:00:00 GMT</lastmod></url></urlset>")
    assert sitemap is not None and [link.date for link in sitemap.links] == [datetime(2, 1, 1, tzinfo=UTC)]


def test_an_http_date_in_retry_after() -> None:
    now = datetime(2000, 12, 31, 23, 59, tzinfo=UTC)
    assert retry_after_seconds("Mon, 01 Jan 0001 00:00:00 GMT", now) == 0.0  # long past, not in a minute
    assert retry_after_seconds("Mon, 01 Jan 01 00:00:00 GMT", now) == 60.0
