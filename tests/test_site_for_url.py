"""``extract_article(html, url)`` finds the site by itself: the bundled site whose domains hold the URL
supplies its selectors and time zone, so a caller gets the record the crawl stores."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.extract.article import extract_article
from crawler.extract.cleanup import clean_paragraphs
from crawler.sites import GENERIC, load_site, site_for_url, site_names
from crawler.urls import host_key
from tests.crawling import ROOT
from tests.replicas import RECORD_FIELDS, expected_articles, page_file, replica_sites
from tests.test_extraction import page_text


@pytest.mark.parametrize(("url", "site"), [
    ("https://asiaplus.news/2025/03/14/x/", "asiaplus"),
    ("https://www.asiaplus.news/en/", "asiaplus"),
    ("HTTPS://WWW.AsiaPlus.News:443/tj/", "asiaplus"),
    ("https://m.kun.uz/news/2025/03/14/x", "kun"),  # mobile host folded
    ("https://amp.gazeta.uz/ru/2025/03/14/x/", "gazeta"),
    ("https://kg.24.kg/x/", "24kg"),  # a subdomain the config lists
    ("https://akipress.org/news:1/", "akipress"),  # the second domain of a site
    ("https://en.fergana.media/news/1/", "fergana"),
    ("https://example.kg/2025/03/14/x/", None),
    ("https://cdn.asiaplus.news/x.jpg", None),  # a subdomain the config does not list
    ("https://asiaplus.news.evil.kg/2025/03/14/x/", None),
    ("http://127.0.0.1:8080/2025/03/14/x/", None),
    ("not a url", None),
])
def test_site_for_url(url: str, site: str | None) -> None:
    found = site_for_url(url)
    assert (found.name if found else None) == site


def test_no_two_sites_claim_a_domain() -> None:
    """Otherwise a URL would find whichever site sorts first."""
    owners: dict[str, list[str]] = {}
    for name in site_names():
        for domain in {host_key(d) for d in load_site(name).domains}:
            owners.setdefault(domain, []).append(name)
    assert {d: names for d, names in owners.items() if len(names) > 1} == {}


def record(html: str, url: str, site: Any = None) -> dict[str, Any]:
    """The extraction as the crawl cleans it, dates as ISO strings."""
    fields = extract_article(html, url, site).as_dict()
    fields["paragraphs"], _ = clean_paragraphs(fields["paragraphs"], fields["images"])
    for name in ("published", "modified"):
        fields[name] = fields[name].isoformat() if fields[name] else None
    return fields


@pytest.mark.parametrize("site", replica_sites())
def test_without_a_site_every_replica_article_gives_its_expected_record(site: str) -> None:
    config = load_site(site)
    for url, want in expected_articles(site).items():
        html = page_text(site, url)
        found = record(html, url)
        assert {f: found[f] for f in RECORD_FIELDS} == {f: want[f] for f in RECORD_FIELDS}, url
        assert found == record(html, url, config), url  # provenance too: the site's rules were used


def test_generic_asks_for_the_generic_rules_on_a_configured_site() -> None:
    url = next(u for u in expected_articles("asiaplus") if "gidroenergetiki" in u)
    html = page_text("asiaplus", url)
    assert record(html, url)["sources"]["body"] == "site"
    assert record(html, url, GENERIC)["sources"]["body"] == "generic"


def extract_cli(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "crawler.extract", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.e2e  # a fresh interpreter per call
def test_extract_command_finds_the_site_of_the_url() -> None:
    """``python -m crawler.extract --url URL FILE`` prints the record the crawl stores; ``--generic`` does not
    use the site's rules."""
    url = next(u for u in expected_articles("khovar") if "/rus/" in u)  # a second edition: its language
    file = str(page_file("khovar", url))
    found = extract_cli("--url", url, file)
    assert {f: found[f] for f in RECORD_FIELDS} == {f: expected_articles("khovar")[url][f] for f in RECORD_FIELDS}
    assert found["sources"]["body"] == "site"
    assert extract_cli("--url", url, "--generic", file)["sources"]["body"] == "generic"


@pytest.mark.e2e  # a fresh interpreter per call
@pytest.mark.parametrize(("declared", "written"), [("windows-1251", "utf-8"), (None, "windows-1251")])
def test_extract_command_reads_a_saved_file_as_the_crawl_reads_the_page(tmp_path: Path, declared: str | None,
                                                                          written: str) -> None:
    """A UTF-8 page whose meta says windows-1251, and a windows-1251 page that declares nothing: the crawl read both
    (``articles/charset_fixed``, Scrapy's detection) and stored the right text; the command printed mojibake
    ("Р–Р°РїР°СЂРѕРІ", U+FFFD) and, from it, no date and the wrong language."""
    url = next(u for u in expected_articles("khovar") if "/rus/" in u)
    page = page_file("khovar", url).read_text(encoding="utf-8")
    page = re.sub(r"<meta[^>]+charset[^>]*>", "", page, flags=re.IGNORECASE)
    if declared:
        page = page.replace("<head>", f'<head><meta charset="{declared}">', 1)
    file = tmp_path / "page.html"
    file.write_bytes(page.encode(written, "xmlcharrefreplace"))  # its menu's Tajik letters as &#1207;
    found = extract_cli("--url", url, str(file))
    assert {f: found[f] for f in RECORD_FIELDS} == {f: expected_articles("khovar")[url][f] for f in RECORD_FIELDS}
