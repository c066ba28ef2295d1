"""Turn one article page into the fields of an article record.

Order of trust, recorded per field in ``sources``: JSON-LD (``jsonld``), meta
and OpenGraph (``meta``), the site's CSS rules (``site``), and generic rules
(``generic``: trafilatura for the body, ``<time>``/``<h1>``/``<title>``, the date
printed beside the headline or labelled "Published", a stated first publication ("originally
published on ..."), htmldate's day and the permalink's (or its canonical URL's) date for metadata).
The printed publication date overrules a JSON-LD or meta one of another day (one no time zone
puts the declared instant on), unless it is an update's or the declared modification's day; no
publication date is ever taken from a modification field. A publication date is a day at least: one known only to
its month or year is left empty (``published`` None), never stored as the 1st. Nothing
here imports Scrapy.

Work per page is bounded: lists, texts and the body are gathered only a little
past the record's caps (:class:`~crawler.limits.RecordLimits`), selectors read
at most :data:`~crawler.limits.MAX_MATCHES` nodes, and the generic extractor is
given a bounded copy of a huge page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache, cached_property
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

import htmldate.core
import htmldate.extractors
from htmldate import find_date
from htmldate.utils import load_html
from lxml.html import HtmlElement
from parsel import Selector, SelectorList
from parsel.csstranslator import css2xpath

from crawler.browser import SHELL_BODY_CHARS, looks_like_script_shell
from crawler.dates import date_from_url, parse_datetime
from crawler.extract import css_walk
from crawler.extract.authors import page_authors
from crawler.extract.body import Body, extract_body, image_record
from crawler.extract.body_kind import not_html
from crawler.extract.chrome import chrome_for
from crawler.extract.cleanup import kept_paragraphs
from crawler.extract.date_agreement import agrees
from crawler.extract.date_noise import drop_date_noise
from crawler.extract.embedded_state import embedded_body
from crawler.extract.generic import generic_paragraphs, is_oversized, oversized_page_paragraphs
from crawler.extract.header_date import HeaderZone, drop_chrome, header_date
from crawler.extract.labelled_date import first_published_date, labelled_date
from crawler.extract.language import SAMPLE_CHARS, detect_language, parse_language_tag
from crawler.extract.result import Extraction
from crawler.extract.structured import LISTING_TYPES, Structured, read_structured, strings
from crawler.extract.titles import page_title
from crawler.extract.visible_dates import LANGUAGES, Dateline, find_dateline, find_visible_date
from crawler.extract.zones import page_zone
from crawler.htmltree import first_base_href, html_selector
from crawler.limits import DATE_SEARCH_MAX_CHARS, MAX_MATCHES, RecordLimits
from crawler.sanitize import inert_document, inert_document_utf8, stored_base
from crawler.sites import Generic, SiteConfig, site_rules
from crawler.text import normalize_optional, normalize_text, past_cap
from crawler.urls import canonical_or_none, canonical_url, resolved_base

Found = tuple[Any, str] | None  # (value, method) or nothing


def _css(sel: Selector, css: str, limit: int = MAX_MATCHES) -> SelectorList[Selector]:
    """The first ``limit`` matches of ``css`` in ``sel``."""
    walked = css_walk.select(sel, css, limit)
    return walked if walked is not None else sel.xpath(f"({css2xpath(css)})[position() <= {limit}]")


class _Page:
    """A parsed page plus the site rules that apply to it."""

    def __init__(self, html: str, url: str, site: SiteConfig | None, now: datetime, limits: RecordLimits,
                 utf8: bytes | None = None) -> None:
        self.html = html
        self.sel = html_selector(self.html, utf8)  # parsed once: every field below reads this tree
        self.url = url
        self.site = site
        self.now = now
        self.limits = limits
        self.data: Structured = read_structured(self.sel, url)
        # Read before any reader changes the tree; a base a browser ignores leaves the page's own URL.
        self.base = _document_base(self.sel, url) or url
        # Undoes, in reverse order, what readers changed in the parsed tree (the site's body rules strip
        # chrome and space <br>), so the stored page is made of the tree as parsed; None: no page is stored.
        self.undo: list[Callable[[], None]] | None = None

    @cached_property
    def header_zone(self) -> HeaderZone:
        """Where the article's header stands, its headline found once for the byline and date readers."""
        return HeaderZone(self.sel.root)

    @cached_property
    def links(self) -> _Links:
        """Its canonical and translation links (:func:`_read_links`), read when first asked for."""
        return _read_links(self)

    def css(self, css: str, limit: int = MAX_MATCHES) -> SelectorList[Selector]:
        """The first ``limit`` matches of ``css`` (a site rule can match every link of a huge page)."""
        return _css(self.sel, css, limit)

    def site_values(self, field: str, skip: Callable[[Any], bool] | None = None) -> list[str]:
        """Texts matched by the first of the site's selectors for ``field`` that matches, without the elements
        ``skip`` refuses (an author link labelled a photographer's)."""
        for css in getattr(self.site.selectors, field) if self.site else ():
            if "::" in css:
                raw = self.css(css).getall()
            else:
                raw = [node.xpath("string()").get() or "" for node in self.css(css)
                       if skip is None or not isinstance(node.root, HtmlElement) or not skip(node.root)]
            values = [v for v in (normalize_text(x) for x in raw) if v]
            if values:
                return values
        return []


def _document_base(sel: Selector, url: str) -> str | None:
    """What the page's relative URLs resolve against: its first ``<base href>`` resolved against ``url``, else,
    for a stored page (whose ``<base>`` sanitizing removed), the base it kept (:func:`~crawler.sanitize.stored_base`);
    None when the base is unusable."""
    root = sel.root
    href = first_base_href(root)
    return resolved_base(url, href) if href is not None else stored_base(root) or url


def _first(*candidates: Callable[[], Found]) -> Found:
    for candidate in candidates:
        found = candidate()
        if found is not None and found[0] not in (None, "", []):
            return found
    return None


def _jsonld(page: _Page, key: str) -> Found:
    value = page.data.article.get(key)
    return (value, "jsonld") if isinstance(value, str) and value.strip() else None


def _meta(page: _Page, *keys: str) -> Found:
    value = page.data.first_meta(*keys)
    return (value, "meta") if value else None


def _site_one(page: _Page, field: str) -> Found:
    values = page.site_values(field)
    return (values[0], "site") if values else None


def _site_all(page: _Page, field: str) -> Found:
    values = page.site_values(field)
    return (values, "site") if values else None


def _title(page: _Page) -> tuple[Found, str | None]:
    """(title, source) and the headline as the page prints it where the title adds to it (what the body looks for)."""
    found = page_title(page)
    return ((found.text, found.source), found.shown) if found else (None, None)


MAX_DATE_CANDIDATES = 10  # declared date strings tried before giving up (a page may repeat a meta tag 1,000 times)


def _declared_dates(page: _Page, jsonld_key: str, meta_keys: tuple[str, ...],
                    site_field: str) -> Iterator[tuple[str, str]]:
    """The declared strings of a date with their source, most trusted first: the JSON-LD article's (else the page's
    own WebPage node's, where SEO plugins put it), each meta name's, the site rule's first."""
    for value in (page.data.article.get(jsonld_key), page.data.webpage.get(jsonld_key)):
        if isinstance(value, str) and value.strip():
            yield value, "jsonld"
    for name in meta_keys:
        for value in page.data.all_meta(name):
            yield value, "meta"
    for value in page.site_values(site_field)[:1]:
        yield value, "site"


def _date(page: _Page, jsonld_key: str, meta_keys: tuple[str, ...], site_field: str,
          tz: tzinfo) -> tuple[datetime | None, str, str] | None:
    """(date, raw string, source) from the most trusted source whose string reads as a date, else (None, raw, source)
    of the first that names a year ("2025-03": no day, but the page's own statement); a string with no year (a
    ``published`` meta of ``true``, a ``datePublished`` of ``"1"``) is none, and the next source is asked."""
    partial = None
    for raw, source in islice(_declared_dates(page, jsonld_key, meta_keys, site_field), MAX_DATE_CANDIDATES):
        raw = past_cap(raw, page.limits.text_chars)
        value = _parse_date(raw, tz, page.now)
        if value is not None:
            return value, raw, source
        if partial is None and _YEAR.search(raw):
            partial = None, raw, source
    return partial


def _parse_date(raw: str | None, tz: tzinfo, now: datetime) -> datetime | None:
    """A machine-readable date, else the first date printed in ``raw`` (bylines, "2 часа назад")."""
    value = parse_datetime(raw, tz)
    if value is None and raw:
        found = find_visible_date(raw[:300], tz, now)
        value = found[0] if found else None
    return value


_DATE_TEXT_CHARS = 1_000  # a date-like element's text read for a date (a "date" class can wrap a whole page)
_DATE_TEXT = ("time", "[itemprop=datePublished]", "[class*=date]", "[class*=Date]", "[class*=time]", ".byline", ".meta")


def _generic_dates(sel: Selector) -> Iterator[str]:
    """Date strings a page shows without site rules: ``<time datetime>``, then date-like elements' text."""
    yield from _css(sel, "article time::attr(datetime), time::attr(datetime)", 3).getall()
    for css in _DATE_TEXT:
        for node in _css(sel, css, 3):
            yield (node.xpath("string()").get() or "")[:_DATE_TEXT_CHARS]


def _machine_or_visible(text: str, tz: tzinfo, now: datetime) -> tuple[datetime, str] | None:
    """(date, raw) of a machine-readable ``text``, else of the first date printed in it."""
    value = parse_datetime(text, tz)
    return (value, text) if value is not None else find_visible_date(text[:_DATE_TEXT_CHARS], tz, now)


def _printed(text: str, tz: tzinfo, now: datetime) -> Dateline | None:
    """The date of a machine-readable ``text``, else the dateline printed in it."""
    value = parse_datetime(text, tz)
    return Dateline(value, text, False) if value is not None else find_dateline(text[:_DATE_TEXT_CHARS], tz, now)


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _overrules(printed: _Datelines, declared: datetime, raw: str | None,
               modified: tuple[datetime | None, str | None]) -> bool:
    """Whether the page's printed dateline stands against the declared publication date (``raw`` as declared): a
    full date (its year printed, unlike "12 April" or "2 hours ago") that is no day the declared instant falls on in
    any time zone, that is not an update's ("Last updated: ..."), nor the declared modification's day (a template
    showing when the page was last edited), while no other printed date agrees with the declared one."""
    best, tz = printed.best, printed.tz
    if best is None or best.updated or _YEAR.search(best.raw) is None or agrees(best, declared, raw, tz):
        return False
    other = printed.other
    if other is not None and agrees(other, declared, raw, tz):
        return False
    return modified[0] is None or not agrees(best, modified[0], modified[1], tz)


class _Datelines:
    """The dates a page prints as its own: the one beside the headline, and the one it labels as its
    publication's ("Published: ...", ``<time pubdate>``; read only when needed: it costs a page-wide search)."""

    def __init__(self, page: _Page, tz: tzinfo) -> None:
        self.page, self.tz = page, tz

    @cached_property
    def header(self) -> Dateline | None:
        page, tz = self.page, self.tz
        return header_date(page.sel.root, lambda text: _printed(text, tz, page.now), page.header_zone)

    @cached_property
    def labelled(self) -> Dateline | None:
        page = self.page
        found = labelled_date(page.html, page.sel.root, lambda text: _machine_or_visible(text, self.tz, page.now))
        return Dateline(found[0], found[1], False) if found is not None and _YEAR.search(found[1]) else None

    @cached_property
    def first(self) -> Dateline | None:
        """The date a sentence names as the first publication ("originally published on ...")."""
        page = self.page
        found = first_published_date(page.html, lambda text: _machine_or_visible(text, self.tz, page.now))
        return Dateline(found[0], found[1], False) if found is not None and _YEAR.search(found[1]) else None

    @property
    def best(self) -> Dateline | None:
        """The date beside the headline unless it is an update's, else the labelled one, else the update's (a page
        that prints only when it was last updated dates its article so)."""
        if self.header is None or self.header.updated:
            return self.labelled or self.header
        return self.header

    @property
    def other(self) -> Dateline | None:
        """The printed date that is not :attr:`best`, if any."""
        return self.header if self.best is self.labelled else self.labelled


# The meta names (``name``, ``property`` or ``itemprop``, lower case) that state a page's publication date, in order
# of trust: OpenGraph's and schema.org's first, then Dublin Core's, the scholarly citation tags and the analytics and
# search plugins' (Parse.ly, Sailthru, cXense, Shareaholic), then a CMS's own spellings. Never a modification's,
# a copyright's or a video upload's.
PUBLISHED_META = (
    "article:published_time", "datepublished", "pubdate",
    "og:published_time", "og:article:published_time", "og:publish_date", "article:published", "article.published",
    "article:first_published_time", "article-published_time",
    "dc.date.issued", "dcterms.issued", "dc.date.created", "dcterms.created", "dc.date", "dcterms.date",
    "citation_publication_date", "citation_date", "citation_online_date",
    "parsely-pub-date", "sailthru.date", "cxenseparse:publishtime", "shareaholic:article_published_time",
    "publishdate", "publish_date", "publish-date", "published_date", "published-date", "publisheddate",
    "published_time", "published-time", "publish_time", "publication_date", "date-pub", "published", "date",
)


def _published(page: _Page, tz: tzinfo, modified: tuple[datetime | None, str | None]) -> tuple[Any, Any, str | None]:
    """(value, raw, method) of the publication date; ``modified`` is the page's declared modification date (value,
    raw)."""
    found = _date(page, "datePublished", PUBLISHED_META, "published", tz)
    value, raw = (found[0], found[1]) if found else (None, None)
    # The page's dateline is the article's, whatever the permalink, a teaser or a footer says; and it
    # stands against a JSON-LD or meta date of another day (a stale template or import date). A site's
    # own date rule is trusted over it.
    printed = _Datelines(page, tz)
    if value is not None and found is not None:
        if found[2] == "site":
            return _in_permalink_year(page, value, raw, tz), raw, found[2]
        if not _overrules(printed, value, raw, modified):
            return value, raw, found[2]
    # A page that states its first publication in words ("originally published on ...") is dated so, whatever its
    # header shows (the last update's); looked for only here, where no declared date stands.
    chosen = printed.first or printed.best
    if chosen is not None:
        return _in_permalink_year(page, chosen.value, chosen.raw, tz), normalize_text(chosen.raw), "generic"
    # Else htmldate's publication day (or the permalink's), made precise by the first date
    # on the page that agrees with it; a date that contradicts it is a teaser's. The day
    # alone is the last resort. A date known only to its month or year is no day: none.
    # Navigation, asides, footers and teasers are left out: their dates are other pages'.
    tree = _date_search_tree(page)
    tree = drop_chrome(tree) if tree is not None else None
    found_day = _htmldate(page, tree, tz)
    day = found_day or _permalink_day(page, tz)
    for generic_raw in _generic_dates(Selector(root=tree) if tree is not None else page.sel):
        generic = _parse_date(generic_raw, tz, page.now)
        if generic is not None and (day is None or abs(generic - day) < timedelta(days=2)):
            return generic, raw or normalize_text(generic_raw), "generic"
    return (day, raw, "generic" if found_day else "url") if day else (None, raw, None)


def _in_permalink_year(page: _Page, value: datetime, raw: str | None, tz: tzinfo) -> datetime:
    """``value``, printed without its year ("ДУШАНБЕ, 5 декабри.", "5 декабря, 10:15") and so placed in the latest
    year before the fetch, in the year of the page's permalink when that names the same day of the year, give or
    take the day a zone may shift (an older article crawled later: /2024/12/05/ is not the 5th of December 2025)."""
    if raw is None or _YEAR.search(raw):
        return value
    named = _permalink_day(page, tz)
    shown = value.astimezone(tz)
    if named is None or shown.year == named.year:
        return value
    try:
        moved = shown.replace(year=named.year)
    except ValueError:  # 29 February of another year
        return value
    return moved.astimezone(UTC) if abs(moved - named) < timedelta(days=2) else value


def _permalink_day(page: _Page, tz: tzinfo) -> datetime | None:
    """The day in the page's URL, else in its canonical URL on the same host (an AMP or a tracking URL's
    article); never a day after the fetch (an event's or a scheduled page's)."""
    canonical = _canonical(page)
    for url in (page.url, canonical) if urlsplit(canonical).netloc == urlsplit(page.url).netloc else (page.url,):
        day = date_from_url(url, tz)
        if day is not None:
            return day if day <= page.now else None
    return None


def _date_search_tree(page: _Page) -> HtmlElement | None:
    """A copy of the page's tree for the whole-page date search, which prunes it: the page's own parse copied
    (a third of the cost of parsing again), or the top of a page too long to search whole, parsed."""
    if len(page.html) <= DATE_SEARCH_MAX_CHARS and isinstance(page.sel.root, HtmlElement):
        return deepcopy(page.sel.root)
    return load_html(page.html[:DATE_SEARCH_MAX_CHARS])


# htmldate hands the strings its own patterns do not read to an external parser: dateparser by default, which
# compiles each of its locales' expressions on first use (a second of CPU in a fresh process for the region's
# languages, 10 s for all 200), then costs a few milliseconds a string and fails on the region's year-first dates.
# Ours (:mod:`crawler.extract.visible_dates`) reads the region's languages and the English forms in microseconds.
# htmldate asks for absolute dates only: a string is a date when ours reads one with its year in it and nothing
# else in the string is a number but a time of day ("Between 2015 and 2018", "2019;28(12):2257-2269" are no dates).
MAX_EXTERNAL_DATES = 50  # strings read per page: htmldate remembers each answer, and a page can show 20,000


class _VisibleDateParser:
    """The external date parser htmldate calls (``get_date_data``), answering nothing once a page has used up its
    calls."""

    def __init__(self) -> None:
        self.calls_left = MAX_EXTERNAL_DATES

    def get_date_data(self, text: str) -> dict[str, datetime | None]:
        """``{"date_obj": naive datetime or None}``, as dateparser answers htmldate."""
        if self.calls_left <= 0:
            return {"date_obj": None}
        self.calls_left -= 1
        found = find_visible_date(text[:_DATE_TEXT_CHARS], UTC, datetime.now(UTC))
        rest = _TIME_OF_DAY.sub(" ", text.replace(found[1], " ", 1)) if found is not None else ""
        if found is None or _YEAR.search(found[1]) is None or _DIGIT.search(rest):
            return {"date_obj": None}
        return {"date_obj": found[0].replace(tzinfo=None)}


@cache
def _month_words() -> frozenset[str]:
    """The one-word month names the external parser reads: htmldate sends a string with no year or month it knows
    to the external parser only when it holds one (by default it loads all of dateparser's 200 locales for them)."""
    return frozenset(word for language in LANGUAGES.values() for word in language.months if word.isalpha())


_DIGIT = re.compile(r"\d")
_TIME_OF_DAY = re.compile(r"(?<!\d)\d{1,2}:\d\d(?::\d\d)?(?!\d)")  # "Jan. 17, 2025 @ 01:39": a time beside the date
_external_parser = cache(_VisibleDateParser)
htmldate.extractors.get_external_parser = _external_parser
htmldate.extractors.month_words = _month_words


def _htmldate(page: _Page, tree: HtmlElement | None, tz: tzinfo) -> datetime | None:
    """The publication day htmldate finds (it weighs URL, meta, visible and header dates); local midnight.

    htmldate pads what it knows only to the month or the year ("March 2025", a copyright line, an
    archive URL) to the 1st: a 1st of the month counts only when the page also shows it as a full date.
    """
    parser = _external_parser()
    parser.calls_left = MAX_EXTERNAL_DATES
    html = page.html[:DATE_SEARCH_MAX_CHARS]
    if tree is not None:
        drop_date_noise(tree)
    try:
        found = find_date(tree if tree is not None else html, url=page.url, extensive_search=True,
                          original_date=True, max_date=page.now.strftime("%Y-%m-%d"))
    except (ValueError, OverflowError):  # a page's impossible offset ("+99:99") breaks htmldate's range check
        found = None
    finally:
        if parser.calls_left <= 0:  # htmldate cached the strings refused here as dateless: forget them
            htmldate.extractors.try_date_expr.cache_clear()
    if not found or (found.endswith("-01") and not _shows_first_of_month(html, page.url, found)):
        return None
    return parse_datetime(found, tz)


def _shows_first_of_month(html: str, url: str, day: str) -> bool:
    """Whether the page or its URL writes ``day`` (``YYYY-MM-01``) as a full date, in any common numeric form."""
    year, month = day[:4], day[5:7]
    year_first = re.compile(rf"(?<!\d){year}(?P<s>[-/.]?){month}(?P=s)01(?!\d)")
    year_last = re.compile(rf"(?<!\d)0?1(?P<t>[-/.])0?{int(month)}(?P=t){year}(?!\d)")
    if year_first.search(url) or year_last.search(url):
        return True
    # Tried only where the year is (found in C): a search from every digit of a page costs ~10 ms.
    # A year-first date starts at its year, a year-last one at most 7 characters before it ("01.012.").
    at = html.find(year)
    while at >= 0:
        if year_first.match(html, at) or any(year_last.match(html, start) for start in range(max(0, at - 7), at)):
            return True
        at = html.find(year, at + 1)
    return _shows_short_year(html, year, month)


def _shows_short_year(html: str, year: str, month: str) -> bool:
    """Whether the page writes the 1st of ``month`` dotted with a two-digit year ("Stand: 1.4.18", "01.09.17")."""
    short = f".{year[2:]}"
    dotted = re.compile(rf"(?<![\d.])0?1\.0?{int(month)}\{short}(?![\d.])")
    at = html.find(short)
    while at >= 0:  # as above: tried only where ".YY" is, a dotted date at most 5 characters before it
        if any(dotted.match(html, start) for start in range(max(0, at - 5), at)):
            return True
        at = html.find(short, at + 1)
    return False


def _modified(page: _Page, tz: tzinfo) -> tuple[Any, Any, str | None]:
    found = _date(page, "dateModified", ("article:modified_time", "og:updated_time", "datemodified",
                                         "lastmod", "dcterms.modified", "dc.date.modified"), "modified", tz)
    return found if found is not None else (None, None, None)


def _unique(values: Iterable[str]) -> Iterator[str]:
    """``values`` without repeats, lazily."""
    seen: set[str] = set()
    for value in values:
        if value not in seen:
            seen.add(value)
            yield value


def _section(page: _Page) -> Found:
    section = page.data.article.get("articleSection")
    if isinstance(section, list):
        section = section[0] if section else None
    return _first(
        lambda: (section, "jsonld") if isinstance(section, str) else None,
        lambda: _meta(page, "article:section"),
        lambda: _site_one(page, "section"),
    )


def _tags(page: _Page) -> Found:
    return _first(
        lambda: (strings(page.data.article.get("keywords"), MAX_MATCHES), "jsonld"),
        lambda: (page.data.all_meta("article:tag"), "meta"),
        lambda: _site_all(page, "tags"),
    )


def _declared_language(page: _Page, edition: str | None) -> Found:
    """The language the page (``<html lang>``, ``og:locale``) or its edition declares."""
    lang = page.sel.xpath("/html/@lang").get() or page.data.first_meta("og:locale")
    if lang:
        return lang.strip().replace("_", "-")[:64], "meta"
    return (edition, "edition") if edition and edition != "und" else None


def _language(title: str | None, paragraphs: list[str], declared: Found) -> tuple[str | None, str | None, str | None]:
    """(language, script, method): detected from the text, the declaration breaking near-ties."""
    hint = declared[0] if declared else None
    guess = detect_language("\n".join([title or "", *paragraphs]), hint)
    if guess.language:
        return guess.language, guess.script, "text"
    language, script = parse_language_tag(hint)
    return language, script, declared[1] if declared else None


_Links = tuple[str | None, list[str]]  # (the canonical link's href, the translations' hrefs)


def _read_links(page: _Page) -> _Links:
    """The first ``<link rel="canonical">``'s href and the first hrefs of ``<link rel="alternate" hreflang>``
    (not ``x-default``), in document order: one walk over the ``<link>`` elements (lxml's walk by tag, in C)
    for both, instead of an XPath search of the whole tree for each."""
    root = page.sel.root
    canonical: str | None = None
    translations: list[str] = []
    for link in root.iter("link"):
        rel, href = link.get("rel"), link.get("href")
        if href is None:
            continue
        if rel == "canonical" and canonical is None:
            canonical = href
        elif rel == "alternate" and link.get("hreflang") not in (None, "x-default") \
                and len(translations) < MAX_MATCHES:
            translations.append(href)
        elif canonical is not None and len(translations) >= MAX_MATCHES:
            break
    return canonical, translations


def _translations(page: _Page, canonical: str) -> list[str]:
    """Other language editions of the page (``<link rel="alternate" hreflang>``), canonicalised."""
    hrefs = page.links[1]
    own = canonical_url(canonical)
    urls = (_joined(page.base, h) for h in hrefs if len(h) <= page.limits.url_chars)
    return list(islice(_unique(u for u in urls if u is not None and u != own), page.limits.list_items + 1))


def _joined(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``, canonical; None when it names no URL (``http://[::1``, port 99999)."""
    try:
        return canonical_or_none(urljoin(base, href.strip()))
    except ValueError:  # urljoin refuses an unclosed or non-IP bracketed host
        return None


def _canonical(page: _Page) -> str:
    href = page.links[0] or page.data.first_meta("og:url")
    if not href or len(href) > page.limits.url_chars:  # a megabyte "URL" names no page
        return page.url
    if _joined(page.base, href) is None:  # a broken canonical link names no page: the page keeps its own URL
        return page.url
    return urljoin(page.base, href.strip())


def page_type(data: Structured) -> str:
    """``article``, ``listing`` or ``unknown``, from what the page declares."""
    if data.article:
        return "article"
    if data.types & LISTING_TYPES:
        return "listing"
    og_type = (data.first_meta("og:type") or "").lower()
    if og_type == "article":
        return "article"
    return "listing" if og_type in ("website", "profile", "blog") else "unknown"


def _featured_image(page: _Page) -> dict[str, Any] | None:
    selectors = page.site.selectors.featured_image if page.site else ()
    for css in selectors:
        node = page.css(css, 1)
        if node:
            return image_record(node[0].root, page.base)
    image = page.data.first_meta("og:image")
    try:
        return {"url": urljoin(page.base, image), "caption": None, "credit": None} if image else None
    except ValueError:  # an unclosed or non-IP bracketed host ("http://[::1"): no image, and not a lost page
        return None


def _site_body(page: _Page) -> Body | None:
    """The body from the site's selectors: the first container with paragraphs, preferring one
    outside page chrome (a teaser can share the body's class; a broken nav can swallow the article),
    with the chrome inside it removed."""
    if not page.site or not page.site.selectors.body:
        return None
    chrome = chrome_for(tuple(page.site.selectors.remove))
    containers = [node.root for css in page.site.selectors.body for node in page.css(css)
                  if isinstance(node.root, HtmlElement)]
    for container in sorted(containers, key=chrome.inside):  # stable: selector order, then document order
        chrome.strip(container, page.undo)
        if page.undo is not None:  # extract_body puts a space before each <br>'s tail
            page.undo.extend(_tail_back(br, br.tail) for br in container.iter("br"))
        body = extract_body(container, page.base, page.limits)
        if body.paragraphs:
            return body
    return None


def _merge_images(featured: dict[str, Any] | None, inline: list[dict[str, Any]],
                  limits: RecordLimits) -> list[dict[str, Any]]:
    """Featured image first, then body images; a repeated URL keeps one record with every caption/credit.
    Captions and credits stop just past their cap; an image whose URL is longer than a URL can be is dropped."""
    merged: dict[str, dict[str, Any]] = {}
    for image in ([featured] if featured else []) + inline:
        if len(image["url"]) > limits.url_chars:
            continue
        kept = merged.setdefault(image["url"], dict(image))
        for key in ("caption", "credit"):
            text = kept.get(key) or image.get(key)
            kept[key] = past_cap(text, limits.text_chars) if text else text
    return list(merged.values())


SHORT_SITE_BODY_CHARS = 500  # a site-rule body this short is cross-checked with the generic extractor


def _body(page: _Page, title: str | None, lead: str | None) -> tuple[Body, str]:
    """The body and its method: site rules, cross-checked by the generic extractor when they
    found suspiciously little; the generic extractor alone when they found nothing. The generic
    extractor is told the headline (not repeated as the body's first line), the lead and the
    JSON-LD ``articleBody`` (evidence, not taken as is)."""
    body = _site_body(page)
    if body is not None and sum(map(len, body.paragraphs)) >= SHORT_SITE_BODY_CHARS:
        return body, "site"
    if is_oversized(page.html, page.sel.root):
        found = oversized_page_paragraphs(page.sel.root, page.url)
    else:
        ld_body = page.data.article.get("articleBody")
        found = generic_paragraphs(page.html, page.url, page.sel.root, title, lead,
                                   ld_body if isinstance(ld_body, str) else None)
    generic = Body.of(found, page.limits).paragraphs
    if body is None and sum(map(len, generic)) < SHORT_SITE_BODY_CHARS:  # a skeleton's menu, or nothing
        state = embedded_body(page.sel, title, page.base, page.limits)
        if state is not None and sum(map(len, state.paragraphs)) > 2 * sum(map(len, generic)):
            return state, "state"
    if body is None:
        return Body(paragraphs=generic), "generic" if generic else "none"
    site_text = "\n".join(body.paragraphs)
    if sum(map(len, generic)) >= 2 * len(site_text) and body.paragraphs[0] in "\n".join(generic):
        return Body(paragraphs=generic, images=body.images), "generic"  # the selector caught a fragment
    return body, "site"


def _tail_back(element: HtmlElement, tail: str | None) -> Callable[[], None]:
    """What gives ``element`` its ``tail`` back."""
    def back() -> None:
        element.tail = tail
    return back


def _tree_to_store(page: _Page) -> HtmlElement | None:
    """The page's tree as parsed, to make the stored page of (no copy: readers leave it as it is, but for the
    changes :attr:`_Page.undo` takes back); None when storage would see other input than this tree (a page
    over the stored HTML's cap is cut first; NUL characters are parsed otherwise): the store sanitizes those
    itself."""
    if len(page.html) > page.limits.html_chars or "\x00" in page.html:
        return None
    page.undo = []
    return page.sel.root


def _stored_html(page: _Page, tree: HtmlElement | None, utf8: bool = False) -> str | bytes | None:
    """The page made inert for storage (:class:`~crawler.sanitize.InertHtml`, or its UTF-8 with ``utf8``), from
    :func:`_tree_to_store`'s tree put back as parsed and sanitized in place: called when every reader is done."""
    if tree is None:
        return None
    for back in reversed(page.undo or ()):
        back()
    return inert_document_utf8(tree, page.url) if utf8 else inert_document(tree, page.url)


_STATED_TIMES = "time::attr(datetime), meta::attr(content), script[type='application/ld+json']::text"


def _stated_times(page: _Page) -> Iterator[str]:
    """The values a page states its times in: ``<time datetime>``, meta contents and JSON-LD blocks, lazily."""
    yield from _css(page.sel, _STATED_TIMES, 200).getall()


def extract_article(html: str | bytes, url: str, site: SiteConfig | Generic | None = None,
                    fetched_at: datetime | None = None, limits: RecordLimits | None = None,
                    keep_html: bool = False, html_utf8: bool = False) -> Extraction:
    """Extract the fields of the article page ``html`` fetched from ``url``.

    ``site`` gives the selectors and time zone; None takes them from the bundled site whose domains
    hold ``url`` (so the record is the one the crawl stores), :data:`crawler.sites.GENERIC` asks for
    the generic rules alone.

    ``page_type`` says whether the page declares itself an article; fields the page does not have
    come back as ``None`` or empty, and ``sources`` names the method that produced each field that
    was found. The body is returned as found: cleaning takes its boilerplate out (and counts it).
    Its language and whether the page is a script shell are judged on what cleaning will keep.
    Lists and texts stop a little past ``limits`` (cleaning cuts them and counts what it cut).
    ``keep_html`` asks for ``html``, the page made inert for storage from the same parse (its UTF-8 bytes
    with ``html_utf8``: the extraction worker's, which its pool decodes).
    A text that is no HTML page (JSON, a feed, plain text, a PDF: :func:`~crawler.extract.body_kind.not_html`)
    is no article: it comes back with ``not_html`` saying what it is, and no field read.
    """
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    kind = not_html(text)
    if kind is not None:
        return Extraction(url=url, page_type="unknown", not_html=kind)
    limits = limits or RecordLimits()
    site = site_rules(site, url)
    page = _Page(text, url, site, fetched_at or datetime.now(UTC), limits, html if isinstance(html, bytes) else None)
    to_store = _tree_to_store(page) if keep_html else None
    edition = site.edition_for(url) if site else None
    # A configured site's zone; a site crawled by its home page alone states its own (crawler.extract.zones).
    tz = UTC if edition is None else edition.tz if edition.zone_known else page_zone(_stated_times(page),
                                                                                     edition.timezone)
    sources: dict[str, str] = {}

    def put(name: str, found: Found) -> Any:
        if found:
            sources[name] = found[1]
        return found[0] if found else None

    found_title, shown_title = _title(page)
    title = put("title", _clipped(found_title, limits.title_chars))
    lead = put("lead", _clipped(_first(lambda: _site_one(page, "lead"),
                                       lambda: _meta(page, "og:description", "description", "twitter:description"),
                                       lambda: _jsonld(page, "description")), limits.text_chars))
    authors = put("authors", page_authors(page))
    section = put("section", _clipped(_section(page), limits.text_chars))
    tags = put("tags", _tags(page))
    declared = _declared_language(page, edition.language if edition else None)
    dates: dict[str, tuple[Any, str | None]] = {}
    modified = _modified(page, tz)  # read once: the publication date is weighed against it
    for name, (value, raw, method) in (("published", _published(page, tz, modified[:2])), ("modified", modified)):
        dates[name] = value, normalize_optional(raw)
        if method and value is not None:
            sources[name] = method
    featured = _featured_image(page)
    body, sources["body"] = _body(page, shown_title[: limits.title_chars + 1] if shown_title else title, lead)
    # Only the start that is judged is cleaned: language reads SAMPLE_CHARS, the script-shell check fewer.
    readable = kept_paragraphs(body.paragraphs, enough=SAMPLE_CHARS)
    # A page this short may be a script shell to render in a browser; the spider decides.
    script_shell = sum(map(len, readable)) < SHELL_BODY_CHARS and looks_like_script_shell(page.sel)
    language, script, method = _language(title, readable, declared)
    if method:
        sources["language"] = method
    canonical = _canonical(page)
    return Extraction(
        url=canonical, page_type=page_type(page.data), translations=_translations(page, canonical),
        title=title, lead=lead, authors=authors or [], section=section,
        tags=list(islice(_unique(normalize_text(t) for t in tags or []), limits.list_items + 1)),
        published=dates["published"][0], published_raw=dates["published"][1],
        modified=dates["modified"][0], modified_raw=dates["modified"][1],
        images=_merge_images(featured, body.images, limits), paragraphs=body.paragraphs,
        script_shell=script_shell, language=language, script=script,
        language_declared=parse_language_tag(declared[0] if declared else None)[0], sources=sources,
        skipped=page.data.skipped,
        html=_stored_html(page, to_store, html_utf8))  # last: it changes the tree the readers read


def _clipped(found: Found, chars: int) -> Found:
    """A text just past ``chars`` once normalised, where it is longer (a headline can be megabytes of JSON-LD)."""
    return (past_cap(found[0], chars), found[1]) if found and isinstance(found[0], str) else found


def warm_up() -> None:
    """Load what extraction loads on first use (the language model), before a page's budget runs."""
    detect_language("Министерство энергетики провело совещание о строительстве станции.", "ru")
