"""Site fixtures: every replica article page extracted and cleaned, compared
field by field with ``expected.json``; pages that are not articles say so."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.extract.article import extract_article
from crawler.sites import Selectors, SiteConfig, load_site
from pipelines.cleaning import clean_paragraphs
from tests.conftest import REPLICAS

FIELDS = ("title", "lead", "paragraphs", "published", "modified", "authors", "section", "tags", "language", "images")


def replica_file(site: str, url: str) -> Path:
    return REPLICAS / site / urlsplit(url).path.lstrip("/") / "index.html"


def extracted(site: SiteConfig, url: str) -> dict[str, Any]:
    """What the spider and cleaning pipeline make of a replica page."""
    record = extract_article(replica_file(site.name, url).read_text(encoding="utf-8"), url, site)
    record["paragraphs"], _ = clean_paragraphs(record["paragraphs"], record["images"])
    for name in ("published", "modified"):
        record[name] = record[name].isoformat() if record[name] else None
    return record


def expected_pages(site: str) -> dict[str, Any]:
    return json.loads((REPLICAS / site / "expected.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


ASIAPLUS = load_site("asiaplus")
CASES = [(url, f) for url in sorted(expected_pages("asiaplus")) if url != "not_articles" for f in FIELDS]


@pytest.mark.parametrize(("url", "field"), CASES, ids=[f"{urlsplit(u).path.split('/')[-2][:30]}-{f}" for u, f in CASES])
def test_asiaplus_article_field(url: str, field: str) -> None:
    assert extracted(ASIAPLUS, url)[field] == expected_pages("asiaplus")[url][field]


@pytest.mark.parametrize("url", expected_pages("asiaplus")["not_articles"])
def test_asiaplus_non_article_pages_are_recognised(url: str) -> None:
    record = extract_article(replica_file("asiaplus", url).read_text(encoding="utf-8"), url, ASIAPLUS)
    assert record["page_type"] == "listing"
    assert not ASIAPLUS.is_article_url(url)


def test_broken_site_selectors_fall_back_to_the_generic_extractor() -> None:
    """A theme change that breaks the body selectors still yields the article."""
    url = next(u for u in expected_pages("asiaplus") if "csto" in u)
    broken = dataclasses.replace(ASIAPLUS, selectors=Selectors(body=(".no-such-theme-class",)))
    record = extracted(broken, url)
    assert record["sources"]["body"] == "generic"
    assert record["paragraphs"] == expected_pages("asiaplus")[url]["paragraphs"]


def test_generic_extraction_without_a_site_config() -> None:
    url = next(u for u in expected_pages("asiaplus") if "checkpoint" in u)
    record = extract_article(replica_file("asiaplus", url).read_text(encoding="utf-8"), url, None)
    expected = expected_pages("asiaplus")[url]
    assert record["title"] == expected["title"]
    assert record["sources"]["body"] == "generic"
    paragraphs, _ = clean_paragraphs(record["paragraphs"], record["images"])
    assert set(expected["paragraphs"]) <= set(paragraphs)


def test_provenance_names_the_method_of_each_field() -> None:
    url = next(u for u in expected_pages("asiaplus") if "gidroenergetiki" in u)
    sources = extracted(ASIAPLUS, url)["sources"]
    # This page has no JSON-LD and no article meta: its fields come from the theme's markup.
    assert sources["published"] == "site"
    assert sources["authors"] == "site"
    assert sources["body"] == "site"
    assert sources["lead"] == "meta"
