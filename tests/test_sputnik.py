"""The Sputnik platform template and its three sites: configs that state only what differs, and the
naive printed time (``10:15 14.03.2025``) read in the edition's zone as it was on that day."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from crawler.extract.article import extract_article
from crawler.sites import load_platform, load_site
from tests.replicas import expected_articles, page_file

SITES = ("sputnikkg", "sputnikkz", "sputniktj", "sputnikuz")


@pytest.mark.parametrize("site", SITES)
def test_site_takes_its_rules_from_the_platform(site: str) -> None:
    config = load_site(site)
    platform = load_platform("sputnik")
    assert config.platform == "sputnik"
    assert config.selectors.body == tuple(platform["selectors"]["body"])
    assert config.selectors.remove == tuple(platform["selectors"]["remove"])
    assert len(config.editions) == 2 and len({e.home for e in config.editions}) == 2


@pytest.mark.parametrize("site", SITES)
def test_platform_excludes_tag_amp_and_export_urls(site: str) -> None:
    config = load_site(site)
    home = config.editions[0].home
    article = next(iter(expected_articles(site)))
    assert config.is_article_url(article)
    for path in ("amp/" + article.split("/", 3)[3], "location_astana/", "export/rss2/archive/index.xml", "20250314/"):
        assert not config.is_article_url(home + path), path


def _without_machine_dates(html: str) -> str:
    return re.sub(r'<meta property="article:(?:published|modified)_time"[^>]*>', "", html)


@pytest.mark.parametrize(("url", "utc"), [
    # 14:05 on 20 February 2024 in Astana was UTC+6; 10:15 on 14 March 2025 is UTC+5.
    ("https://ru.sputnik.kz/20240220/kazakhstan-perekhodit-na-edinyj-chasovoj-poyas-42011873.html",
     datetime(2024, 2, 20, 8, 5, tzinfo=UTC)),
    ("https://ru.sputnik.kz/20250314/v-astane-zapustyat-dvenadtsat-novykh-avtobusnykh-marshrutov-48213456.html",
     datetime(2025, 3, 14, 5, 15, tzinfo=UTC)),
])
def test_printed_naive_time_is_read_in_almaty_time_of_that_day(url: str, utc: datetime) -> None:
    html = page_file("sputnikkz", url).read_text(encoding="utf-8")
    config = load_site("sputnikkz")
    assert extract_article(html, url, config).published == utc  # the machine-readable date
    record = extract_article(_without_machine_dates(html), url, config)
    assert (record.published, record.sources["published"]) == (utc, "site")
    assert record.published.isoformat() == expected_articles("sputnikkz")[url]["published"]


@pytest.mark.parametrize(("site", "url"), [(s, u) for s in SITES for u in sorted(expected_articles(s))])
def test_printed_dates_alone_give_the_expected_times(site: str, url: str) -> None:
    """Every edition's printed header ("10:15 14.03.2025", "(жаңартылды: 13:05 14.03.2025)", "(yangilandi: ...)")
    gives the expected published and modified times when the page has no machine-readable dates."""
    html = _without_machine_dates(page_file(site, url).read_text(encoding="utf-8"))
    record = extract_article(html, url, load_site(site))
    want = expected_articles(site)[url]
    assert record.published is not None and record.published.isoformat() == want["published"]
    assert (record.modified.isoformat() if record.modified else None) == want["modified"]
