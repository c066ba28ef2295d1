"""A page's ``<base href>``: what its relative URLs resolve against (a browser's rule), for discovery and for
extraction alike: the record's image URLs, canonical URL and translation links; a base a browser ignores leaves
the page's own URL, and a base on another host lets no page claim another site's canonical URL."""

from __future__ import annotations

import dataclasses

import pytest

from crawler.extract.article import extract_article
from crawler.sites import Selectors, load_site
from crawler.urls import resolved_base
from tests.hostile_site import article

PAGE = "https://news.kg/ru/politics/some-article-slug/"
SITE = dataclasses.replace(load_site("asiaplus"), selectors=Selectors(body=(".entry-content",)))  # body images


@pytest.mark.parametrize(("href", "expected"), [
    (None, PAGE),  # no base: the page's own URL
    ("https://cdn.example.kg/", "https://cdn.example.kg/"),
    ("https://cdn.example.kg", "https://cdn.example.kg"),
    ("//cdn.example.kg/static/", "https://cdn.example.kg/static/"),  # scheme-relative: the page's scheme
    ("/ru/", "https://news.kg/ru/"),  # root-relative
    ("../", "https://news.kg/ru/politics/"),  # relative to the page's URL
    ("media/", "https://news.kg/ru/politics/some-article-slug/media/"),
    ("  /ru/  ", "https://news.kg/ru/"),  # spaces around the href, as browsers strip them
    ("", PAGE),  # an empty href is the page itself
    ("http://[::1", None),  # broken: a browser ignores it
    ("http://news.kg:99999/", None),
    ("http://news.kg:abc/", None),
    ("javascript:void(0)", None),  # no http(s) base
    ("data:text/html,<p>x</p>", None),
    ("ftp://news.kg/", None),
])
def test_a_page_base_resolves_as_a_browser_resolves_it(href: str | None, expected: str | None) -> None:
    assert resolved_base(PAGE, href) == expected


def _page(head: str, body: str = "") -> str:
    return article("some-article-slug", extra=body).replace("<title>", f"{head}<title>", 1)


def test_extraction_resolves_image_canonical_and_translation_urls_against_the_base() -> None:
    html = _page("<base href='/ru/'><link rel='canonical' href='politics/some-article-slug/'>"
                 "<link rel='alternate' hreflang='ky' href='../ky/politics/some-article-slug/'>"
                 "<meta property='og:image' content='img/cover.jpg'>",
                 "<figure><img src='img/inline.jpg'></figure><figure><img data-src='/abs.jpg' src=''></figure>")
    record = extract_article(html, "https://news.kg/news/12345", SITE)
    assert record.url == PAGE
    assert record.translations == ["https://news.kg/ky/politics/some-article-slug/"]
    assert [image["url"] for image in record.images] == [
        "https://news.kg/ru/img/cover.jpg", "https://news.kg/ru/img/inline.jpg", "https://news.kg/abs.jpg"]


def test_a_base_on_a_cdn_is_where_images_load_from() -> None:
    html = _page("<base href='https://cdn.example.kg/'>", "<figure><img src='photo.jpg'></figure>")
    record = extract_article(html, PAGE, SITE)
    assert [image["url"] for image in record.images] == ["https://cdn.example.kg/photo.jpg"]
    assert record.url == PAGE  # no canonical link: the page's own URL, not its base


@pytest.mark.parametrize("base", ["http://[::1", "http://news.kg:99999/", "javascript:alert(1)", "data:,x"])
def test_a_base_a_browser_ignores_leaves_the_page_url(base: str) -> None:
    html = _page(f"<base href='{base}'><link rel='canonical' href='/ru/politics/some-article-slug/'>",
                 "<figure><img src='photo.jpg'></figure>")
    record = extract_article(html, "https://news.kg/ru/politics/some-article-slug/?utm_source=x", SITE)
    assert record.url == PAGE
    assert [image["url"] for image in record.images] == [f"{PAGE}photo.jpg"]


def test_only_the_first_base_counts() -> None:
    html = _page("<base target='_blank'><base href='/first/'><base href='/second/'>",
                 "<figure><img src='a.jpg'></figure>")
    assert [image["url"] for image in extract_article(html, PAGE, SITE).images] == ["https://news.kg/first/a.jpg"]
