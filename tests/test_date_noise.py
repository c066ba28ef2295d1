"""No publication date from a page's modification fields or from namespace URLs: a page that declares and prints
nothing else is left undated rather than dated by when it was last edited or by an XML specification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extract.article import extract_article
from crawler.sites import GENERIC

FETCHED = datetime(2025, 12, 20, 9, 0, tzinfo=UTC)
BODY = ("<p>Talks on sharing the water of the Syr Darya resumed in Tashkent on Monday, the ministry said, "
        "and the delegations agreed to meet again before the irrigation season.</p>") * 3


def _published(head: str, header: str = "", html_attributes: str = "", after: str = "") -> datetime | None:
    html = (f"<html{html_attributes}><head><title>Water talks resume</title>{head}</head><body><article>"
            f"<h1>Water talks resume</h1>{header}{BODY}{after}</article></body></html>")
    return extract_article(html, "https://news.example.com/water-talks", GENERIC, fetched_at=FETCHED).published


@pytest.mark.parametrize("head, header", [
    ('<script type="application/ld+json">{"@type": "NewsArticle", "dateModified": "2024-05-06T10:00:00Z"}</script>',
     ""),
    ("", '<time itemprop="dateModified" datetime="2024-05-06">6 May 2024</time>'),
    ("", '<span class="updated">2024-05-06</span>'),
    ("", '<p class="last-modified">2024-05-06 10:00</p>'),
    ('<meta property="article:modified_time" content="2024-05-06T10:00:00Z">', ""),
], ids=["json-ld", "itemprop", "hatom-updated", "last-modified-class", "meta"])
def test_a_modification_date_alone_is_no_publication_date(head: str, header: str) -> None:
    assert _published(head, header) is None


@pytest.mark.parametrize("head, attributes, after", [
    ("", ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"', ""),
    ('<link rel="profile" href="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', "", ""),
    ("", "", '<svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
             '<path d="M0 0"/></svg>'),
], ids=["html-attribute", "profile-link", "inline-svg"])
def test_a_namespace_url_is_no_publication_date(head: str, attributes: str, after: str) -> None:
    assert _published(head, html_attributes=attributes, after=after) is None


@pytest.mark.parametrize("header", [
    '<time class="entry-date published updated" datetime="2024-05-06T08:00:00+00:00">6 May 2024</time>',
    '<time class="entry-date published" datetime="2024-05-06T08:00:00+00:00">6 May 2024</time>'
    '<time class="updated" datetime="2024-07-01T08:00:00+00:00">1 July 2024</time>',
    '<span class="updated">2024-07-01</span><time itemprop="datePublished" datetime="2024-05-06">6 May</time>',
], ids=["wordpress-same", "wordpress-differ", "update-first"])
def test_the_publication_date_beside_a_modification_date_is_kept(header: str) -> None:
    published = _published("", header)
    assert published is not None and published.date().isoformat() == "2024-05-06"


@pytest.mark.parametrize("head, after", [
    ('<link rel="stylesheet" href="/assets/site.css?v=2021-03-04">', ""),
    ("<!-- cached on 2021-03-04 10:00 -->", ""),
    ('<script>var build = "2021-03-04T10:00:00";</script>', ""),
    ("", '<p><a href="https://news.example.com/2021/03/04/older-story">Older story</a></p>'),
    ("", '<img src="/uploads/2021/03/04/photo.jpg" alt="">'),
], ids=["asset-query", "comment", "script", "teaser-link", "image-path"])
def test_what_no_reader_sees_is_no_publication_date(head: str, after: str) -> None:
    assert _published(head, after=after) is None
