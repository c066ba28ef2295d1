"""One frozen config of a record's rules (``RecordRules``), read from settings in one place and used as
is by the pipelines and by re-extraction, which calls cleaning and validation directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.limits import RecordLimits
from crawler.reextract import Reextractor
from crawler.rules import RecordRules, ValidationConfig
from crawler.sites import load_site

URL = "https://asiaplus.news/2025/03/14/border-talks/"
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
IN_TEN_HOURS = "2025-03-14T22:00:00+00:00"


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, RecordRules()),
    ({"VALIDATION_FUTURE_SKEW_HOURS": "2"}, RecordRules(validation=ValidationConfig(future_skew=timedelta(hours=2)))),
    ({"VALIDATION_MIN_YEAR": 2000}, RecordRules(validation=ValidationConfig(min_year=2000))),
    ({"CLEANING_MAX_TITLE_CHARS": 50}, RecordRules(limits=RecordLimits(title_chars=50))),
])
def test_rules_from_settings(settings: dict[str, object], expected: RecordRules) -> None:
    assert RecordRules.from_settings(Settings(settings)) == expected


def test_project_settings_default_to_the_rules_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each default is written once: ``crawler/settings.py`` takes them from the config."""
    for name in ("VALIDATION_MIN_YEAR", "VALIDATION_FUTURE_SKEW_HOURS"):
        monkeypatch.delenv(name, raising=False)
    assert RecordRules.from_settings(get_project_settings()) == RecordRules()


def page(published: str) -> str:
    return f"""<html lang="en"><head><script type="application/ld+json">
      {{"@type": "NewsArticle", "headline": "Border talks", "datePublished": "{published}"}}</script></head>
      <body><div class="td-post-content"><p>Officials met in Dushanbe to discuss the border.</p>
      <p>Read also: Another story entirely</p></div></body></html>"""


@pytest.mark.parametrize(("skew_hours", "kept"), [("24", True), ("1", False)])
def test_reextraction_honours_the_future_skew(skew_hours: str, kept: bool) -> None:
    rules = RecordRules.from_settings(Settings({"VALIDATION_FUTURE_SKEW_HOURS": skew_hours}))
    old = {"url": URL, "site": "asiaplus", "fetched_at": NOW - timedelta(days=1)}
    doc = Reextractor(rules).fresh_document(old, page(IN_TEN_HOURS), load_site("asiaplus"), now=NOW)
    assert doc is not None
    assert (doc["published"] is not None) is kept
    assert doc["paragraphs"] == ["Officials met in Dushanbe to discuss the border."]  # cleaned, as a crawl cleans


def test_reextraction_drops_what_validation_drops() -> None:
    old = {"url": URL, "site": "asiaplus", "fetched_at": NOW}
    empty = "<html><head><title>Border talks</title></head><body></body></html>"
    assert Reextractor(RecordRules()).fresh_document(old, empty, load_site("asiaplus"), now=NOW) is None


@pytest.mark.parametrize(("stored", "kept"), [
    ({"etag": '"5f3a-1c2b"', "last_modified": "Fri, 14 Mar 2025 08:00:00 GMT"},
     {"etag": '"5f3a-1c2b"', "last_modified": "Fri, 14 Mar 2025 08:00:00 GMT"}),
    ({"etag": '"\x1b]52;c;cm0gLXJmIH4=\x07"', "last_modified": "x" * 5000},  # a hostile site's, stored before
     {"etag": None, "last_modified": None}),
    ({"etag": 42, "last_modified": ["Fri, 14 Mar 2025 08:00:00 GMT"]}, {"etag": None, "last_modified": None}),
])
def test_reextraction_keeps_only_a_stored_validator_that_is_one(stored: dict[str, object],
                                                                kept: dict[str, object]) -> None:
    old = {"url": URL, "site": "asiaplus", "fetched_at": NOW, **stored}
    doc = Reextractor(RecordRules()).fresh_document(old, page("2025-03-14T08:00:00+00:00"), load_site("asiaplus"),
                                                     now=NOW)
    assert doc is not None and {key: doc.get(key) for key in kept} == kept
