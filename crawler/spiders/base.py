"""The spider every configured site uses: discovery (``DiscoveryMixin``), then
article pages into items.

Arguments: ``-a base_url=`` (crawl a mirror: the site's hosts are rewritten to
it), ``-a since=YYYY-MM-DD``, ``-a limit=N``, ``-a sources=``, held in one frozen
``SpiderArgs`` (``self.args``) built when the spider is made. Pages of a site that
``needs_browser`` are rendered in Chromium; a page that arrives as a script
shell with no text is retried once in Chromium and the site is then rendered
for the rest of the run (not for a page past ``MAX_TAGS``: ``browser/skipped/cut_page``). Stats:
``articles/*`` (``articles/skipped/partial``: a 206 that is not the whole page; ``articles/skipped/<kind>``: a body
that is no HTML page, ``json``, ``xml``, ``text``, ``binary`` or ``empty``; ``articles/nul_dropped``: a page read
without its few stray NULs), ``extract/body/<method>``,
``extract/skipped/<part>`` (a JSON-LD block too large or invalid to read), ``browser/*``, ``extract/workers/started``.

Extraction runs in worker processes (``EXTRACTION_WORKERS``, default 1; 0 runs it in
the crawl process, without a budget), so the crawl's event loop never waits on it; a
page that takes longer than ``EXTRACTION_TIME_BUDGET_SECONDS`` (default 10) is given
up (``articles/errors/extract_timeout``) and its worker replaced.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.encoding import read_bom

from crawler.browser import browser_meta
from crawler.charsets import page_text
from crawler.discovery import Link
from crawler.extract.body_kind import looks_binary, starts_binary
from crawler.extract.pool import ExtractionFailed, ExtractionPool, ExtractionTimeout, Extractor, InlineExtractor
from crawler.extract.result import Extraction
from crawler.failures import ROBOTS_FORBIDDEN, already_logged, failure_kind
from crawler.htmltree import is_cut, is_truncated
from crawler.items import ArticleChecked, ArticleItem, article_item
from crawler.middlewares.incremental import (
    ARTICLE_KEY_META,
    ARTICLE_URL_META,
    REVISIT_META,
    revisit_meta,
    sitemap_pruned,
)
from crawler.rules import RecordRules
from crawler.sanitize import InertUtf8
from crawler.sites import SiteConfig, load_site
from crawler.sites.patterns import MAX_URL_LENGTH
from crawler.spiders.args import SITE_ARGS, SpiderArgs, check_names
from crawler.spiders.discovery import DiscoveryMixin
from crawler.spiders.not_articles import not_article
from crawler.urls import Mirror, canonical_or_none, canonical_url, too_long, undotted, url_id
from crawler.validators import etag, last_modified

logger = logging.getLogger(__name__)



class SiteSpider(DiscoveryMixin, scrapy.Spider):
    site_name: ClassVar[str]
    arguments: ClassVar[tuple[str, ...]] = SITE_ARGS  # the -a names this spider takes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_names(kwargs, self.arguments)
        spider_args = SpiderArgs.from_kwargs(kwargs)
        # Any other -a value is Scrapy's, which sets it as an attribute (download_delay, user_agent...).
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k not in SpiderArgs.NAMES})
        self.args = spider_args
        self.site: SiteConfig = self.load_config()
        self.mirror = (
            Mirror.for_site(self.args.base_url, self.site.domains, self.site.editions[0].home)
            if self.args.base_url else None
        )
        # A host's absolute form (``site.tj.``, a trailing-dot FQDN) is the same host: Scrapy's offsite filter and
        # the egress policy compare names exactly.
        self.allowed_domains = [*self.site.domains, *(f"{domain}." for domain in self.site.domains),
                                *([self.mirror.host] if self.mirror else [])]
        self.use_browser = self.site.needs_browser
        # Article URLs requested in this run. This and the store, not Scrapy's duplicate filter, keep
        # articles from being fetched twice: a filter persisted in the JOBDIR of a stopped run would
        # forever drop articles that were queued (or in flight) but never stored.
        self._scheduled: set[str] = set()
        self._sitemaps: set[str] = set()
        self._extractor: Extractor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.forget_sitemap, signal=sitemap_pruned)
        return spider

    def load_config(self) -> SiteConfig:
        """The site's config (``self.args`` is set by then)."""
        return load_site(self.site_name)

    @property
    def strict_page_type(self) -> bool:
        """Store only pages that declare themselves articles (JSON-LD or ``og:type``)."""
        return False

    # -- URL mapping and stats -------------------------------------------------
    def fetch_url(self, url: str) -> str:
        """The URL to request for a real site URL (the mirror's, when crawling one)."""
        if self.mirror:
            return self.mirror.to_mirror(url)
        return undotted(url) or url  # "site.tj." is requested as "site.tj": one download slot, one politeness key

    def real_url(self, url: str) -> str:
        """The real site URL of a fetched (possibly mirror) URL."""
        return self.mirror.to_real(url) if self.mirror else url

    def _count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, n)

    # -- extraction --------------------------------------------------------------
    @property
    def extractor(self) -> Extractor:
        """The extraction workers, started on first use."""
        if self._extractor is None:
            settings = self.crawler.settings
            limits = RecordRules.from_settings(settings).limits
            workers = settings.getint("EXTRACTION_WORKERS", 1)
            # The stored page is made inert on extraction's own parse; none is made when none is stored.
            keep_html = settings.getbool("STORAGE_ENABLED", True) and settings.getbool("STORAGE_KEEP_RAW_HTML", True)
            if workers > 0:
                budget = settings.getfloat("EXTRACTION_TIME_BUDGET_SECONDS", 10.0)
                self._extractor = ExtractionPool(self.site, limits, workers, budget, keep_html=keep_html,
                                                 on_start=lambda: self._count("extract/workers/started"))
            else:
                self._extractor = InlineExtractor(self.site, limits, keep_html)
        return self._extractor

    def closed(self, reason: str) -> None:
        if self._extractor is not None:
            self._extractor.close()

    async def _extract(self, text: str, url: str, fetched_at: datetime,
                       page: str | bytes | None = None) -> Extraction | None:
        """The fields of a page (``page``: its text or the UTF-8 bytes of ``text``, see :func:`exchanged`), or None
        (counted and logged in one line) when extraction failed or ran over budget."""
        try:
            return await self.extractor.extract(text if page is None else page, url, fetched_at)
        except ExtractionTimeout as exc:
            self._count("articles/errors/extract_timeout")
            logger.warning("Gave up extracting %(url)s (%(chars)d characters): %(error)s",
                           {"url": url, "chars": len(text), "error": exc})
        except ExtractionFailed as exc:
            self._count("articles/errors/extract")
            lines = str(exc).strip().splitlines() or ["?"]
            logger.error("Extraction failed for %(url)s: %(error)s", {"url": url, "error": lines[-1]})
            logger.debug("Extraction of %(url)s: %(trace)s", {"url": url, "trace": exc})
        return None

    # -- discovery ---------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.extractor  # noqa: B018 -- the workers warm up while discovery fetches feeds
        for request in self.discovery_requests():
            request.dont_filter = True  # feeds and sitemaps are read again when a JOBDIR run resumes
            yield request

    def is_article_url(self, url: str) -> bool:
        return self.site.is_article_url(url)

    def link_url(self, url: str) -> tuple[str, str] | None:
        """The real URL of a discovered link and its canonical form; None for a link no request can be made of
        (a port past 65535, ``http://[zz]/``, a lone surrogate, one longer than any fetched, a host ending in more than
        one dot), which would otherwise end the whole callback."""
        if too_long(url):
            return None
        try:
            real = undotted(self.real_url(url))  # "site.tj." is "site.tj": requested, deduplicated, keyed as one
        except ValueError:  # the mirror's urlsplit refuses a bad bracketed host
            return None
        if real is None:  # "site.tj..": no host; its key (the dots stripped) would shadow the good link's in a seen set
            return None
        key = canonical_or_none(real)
        return None if key is None else (real, key)

    def _article_requests(self, links: list[Link], source: str) -> Iterable[scrapy.Request]:
        """Requests for the article links among ``links``, newest first."""
        for link in sorted(links, key=lambda lk: lk.date or datetime.min.replace(tzinfo=UTC), reverse=True):
            if too_long(link.url):  # not canonicalised: that takes seconds a megabyte
                self._skip_long(len(link.url), source)
                continue
            real = self.link_url(link.url)
            if real is None:
                self._count("discovery/skipped/invalid_url")
                continue
            url, key = real
            if len(key) > MAX_URL_LENGTH:  # Scrapy never fetches it; no URL pattern runs on it
                self._skip_long(len(key), source)
            elif not self.is_article_url(key):
                self._count("discovery/skipped/not_article_url")
            elif not self._is_recent(link):
                self._count("discovery/skipped/old")
            elif key in self._scheduled:
                self._count("discovery/skipped/seen")
            elif self.limit_reached:
                self._count("discovery/skipped/limit")
            else:
                self._scheduled.add(key)
                self._count(f"discovery/articles/{source}")
                priority = int(link.date.timestamp() // 60) if link.date else 0
                yield self._article_request(url, priority, key=key)

    def _skip_long(self, chars: int, source: str) -> None:
        self._count("discovery/skipped/url_too_long")
        logger.debug("Skipped a %(n)d-character link from %(source)s", {"n": chars, "source": source})

    def revisit_request(self, url: str) -> scrapy.Request | None:
        """A request for the stored article at real ``url`` that is due for another look; None when it is
        scheduled already or ``-a limit`` is reached."""
        key = canonical_url(url)
        if key in self._scheduled or self.limit_reached:
            return None
        self._scheduled.add(key)
        return self._article_request(url)

    @property
    def browser_enabled(self) -> bool:
        return bool(self.crawler.settings.getbool("BROWSER_ENABLED", True))

    def _article_request(self, url: str, priority: int = 0, *, browser: bool = False,
                         retry_of: Response | None = None, key: str | None = None) -> scrapy.Request:
        """The request for article ``url`` (``key``: its canonical form, when discovery has it); a retry
        (``retry_of``: the response it retries) keeps its revisit meta."""
        render = (browser or self.use_browser) and self.browser_enabled
        meta = {ARTICLE_URL_META: url, **({ARTICLE_KEY_META: key} if key else {}),
                **(browser_meta() if render else {}),
                **(revisit_meta(retry_of.meta) if retry_of is not None else {})}
        return scrapy.Request(self.fetch_url(url), callback=self.parse_article, priority=priority,
                              meta=meta, dont_filter=True, cb_kwargs={"seen_as": url},
                              errback=self.article_failed)

    # -- articles ------------------------------------------------------------------
    async def parse_article(self, response: Response, seen_as: str) -> AsyncIterator[Any]:
        """The article item (or a revisit's check) of an article page, or a browser retry of a script shell."""
        checked = self._revisit_answer(response, seen_as)
        if checked is not None:
            yield checked
            return
        text = self._page_text(response)
        if text is None:
            return
        url = self.real_url(response.url)
        fetched_at = datetime.now(UTC)
        extraction = await self._extract(text, url, fetched_at, exchanged(response, text))
        if extraction is not None:
            for output in self._article_output(extraction, response, seen_as, url, fetched_at, text):
                yield output

    def _article_output(self, extraction: Extraction, response: Response, seen_as: str, url: str,
                        fetched_at: datetime, text: str) -> Iterator[Any]:
        """The item of an extracted page, or a browser retry of a script shell, or nothing (counted)."""
        assert isinstance(response, TextResponse)
        if extraction.not_html:  # JSON, a feed, plain text or a PDF at an article's URL: nothing was read
            self._count(f"articles/skipped/{extraction.not_html}")
            logger.warning("Skipped %(url)s: not an HTML page (%(kind)s)", {"url": url, "kind": extraction.not_html})
            return
        if is_truncated(response.body):
            logger.info("Truncated HTML (no closing </html>): %(url)s", {"url": response.url})
            self._count("articles/truncated_html")
        self._count_skipped(extraction, url)
        if self._redirected_off_articles(extraction, url, seen_as):
            if REVISIT_META in response.meta:  # the stored article was taken down: its URL sends readers elsewhere
                yield self._gone(seen_as, "redirected", url)
            else:
                self._count("articles/skipped/redirected")
                logger.info("Skipped %(seen)s: redirected to %(url)s, no article page", {"seen": seen_as, "url": url})
            return
        if self._should_render(response, extraction):
            yield self._article_request(seen_as, browser=True, retry_of=response)
            return
        if extraction.page_type == "listing" or (self.strict_page_type and extraction.page_type != "article"):
            self._count("articles/skipped/not_article")
            return
        kind = not_article(extraction.title, extraction.paragraphs)
        if kind is not None:  # an error page, a login form or a wall served as 200 at an article's URL
            self._count(f"articles/skipped/{kind}")
            logger.info("Skipped %(url)s: %(kind)s (%(title)r)", {"url": url, "kind": kind,
                                                                   "title": (extraction.title or "")[:100]})
            return
        item = self._item(extraction, response, url, seen_as, fetched_at, text)
        if self.args.since and item.published and item.published < self.args.since:
            self._count("articles/skipped/before_since")
            return
        self._count_quality(item, extraction.sources["body"])
        yield item
        moved = self._moved(response, seen_as, item.url, url)
        if moved is not None:
            yield moved

    def _redirected_off_articles(self, extraction: Extraction, url: str, seen_as: str) -> bool:
        """Whether the article's URL redirected to a page that is no article URL of the site, nor names one as its
        canonical (a removed article sent to the home page, a section or a login form)."""
        final = canonical_url(url)
        if final == canonical_url(seen_as) or self.is_article_url(final):
            return False
        canonical = self.real_url(extraction.url)
        return not (self._on_site(canonical) and self.is_article_url(canonical_url(canonical)))

    def _moved(self, response: Response, seen_as: str, item_url: str, final: str) -> ArticleChecked | None:
        """A revisit redirected to an article page of the site whose URL (the item's, else the final one, when the
        page still names the old one as canonical) is not the stored article's: where it moved (``articles/moved``;
        the store keeps one record, :meth:`ArticleStore.mark_checked`)."""
        stored = response.meta.get(REVISIT_META)
        if stored is None or url_id(final) == url_id(seen_as):  # not redirected (by Scrapy or in the browser)
            return None
        url = item_url if url_id(item_url) != stored else canonical_url(final)
        if url_id(url) == stored or not self.is_article_url(url):
            return None
        self._count("articles/moved")
        logger.info("%(seen)s moved to %(url)s", {"seen": seen_as, "url": url})
        return ArticleChecked(url=seen_as, fetched_at=datetime.now(UTC), location=url)

    def _gone(self, seen_as: str, reason: str, location: str | None = None) -> ArticleChecked:
        """A revisit found the stored article taken down (``articles/gone``, ``articles/gone/<reason>``)."""
        self._count("articles/gone")
        self._count(f"articles/gone/{reason}")
        logger.info("%(seen)s is gone: %(reason)s%(to)s",
                    {"seen": seen_as, "reason": reason, "to": f" to {location}" if location else ""})
        return ArticleChecked(url=seen_as, fetched_at=datetime.now(UTC), gone=True, reason=reason, location=location)

    def _on_site(self, url: str) -> bool:
        """Whether ``url``'s host is one of the site's (or a subdomain of one)."""
        host = (urlsplit(url).hostname or "").rstrip(".")
        return any(host == domain or host.endswith(f".{domain}") for domain in self.site.domains)

    def _count_skipped(self, extraction: Extraction, url: str) -> None:
        """Count (``extract/skipped/<part>``) and log in one line the parts of a page extraction left unread."""
        if extraction.skipped:
            for part in extraction.skipped:
                self._count(f"extract/skipped/{part}")
            logger.info("Left unread in %(url)s: %(parts)s", {"url": url, "parts": ", ".join(extraction.skipped)})

    def _revisit_answer(self, response: Response, seen_as: str) -> ArticleChecked | None:
        """A 304 (unchanged) or 404/410 (taken down) answer to a revisit of a stored article."""
        if response.status == 304:
            self._count("articles/not_modified")
            return ArticleChecked(url=seen_as, fetched_at=datetime.now(UTC))
        if response.status in (404, 410):
            return self._gone(seen_as, f"http_{response.status}")
        return None

    def article_failed(self, failure: Failure) -> list[ArticleChecked]:
        """A revisit redirected off the site (refused by the egress rules, never followed) is the stored article
        gone; any other failure is counted and logged (:meth:`download_failed`)."""
        request = getattr(failure, "request", None)
        if (request is not None and isinstance(failure.value, IgnoreRequest) and REVISIT_META in request.meta
                and request.meta.get("redirect_urls") and not self._on_site(self.real_url(request.url))):
            return [self._gone(request.meta[ARTICLE_URL_META], "redirected_offsite", request.url)]
        self.download_failed(failure)
        return []

    def download_failed(self, failure: Failure) -> None:
        """Count (``download/failed/<kind>``) and log in one line a request that failed for good."""
        kind = failure_kind(failure)
        request = getattr(failure, "request", None)
        url = request.url if request else "?"
        if kind.startswith("http_4") and url.endswith("/robots.txt"):
            self._count("discovery/robots_txt/missing")  # many sites have none: not a fault
            return
        if kind == "not_sent_stopping":  # no fault of the site: counted by the downloader
            return
        if kind == ROBOTS_FORBIDDEN:  # the site's wish, which every run meets again: no failure
            self._count("download/skipped/robots_txt")
            logger.debug("Skipped %(url)s: robots.txt disallows it", {"url": url})
            return
        self._count(f"download/failed/{kind}")
        error = failure.getErrorMessage().strip().partition("\n")[0]  # a Playwright error's call log follows
        logger.log(logging.DEBUG if already_logged(failure) else logging.WARNING,
                   "Gave up on %(url)s: %(kind)s (%(error)s)", {"url": url, "kind": kind, "error": error[:300]})

    def _page_text(self, response: Response) -> str | None:
        """The page's text (:func:`crawler.charsets.page_text`), without NULs; None (counted) for an empty body or a
        non-HTML or binary one."""
        problem = page_problem(response)
        if problem:
            logger.warning("Skipped %(url)s: %(problem)s", {"url": response.url, "problem": problem})
            self._count(f"articles/skipped/{problem}")
            return None
        assert isinstance(response, TextResponse)
        text, fixed = page_text(response)
        if fixed:
            self._count("articles/charset_fixed")
        if "\x00" in text:  # a page's stray NULs (a binary body's many were skipped above): no character of it
            self._count("articles/nul_dropped")
            text = text.replace("\x00", "")
        return text

    def _count_quality(self, item: ArticleItem, body_method: str) -> None:
        """Stats on how the item was extracted: body method, missing fields, a language mismatch."""
        self._count(f"extract/body/{body_method}")
        for name in ("published", "authors"):
            if not getattr(item, name):
                self._count(f"fields/missing/{name}")
        if item.language_declared and item.language and item.language != item.language_declared:
            self._count("extract/language/mismatch")
            logger.info("%(url)s is %(lang)s, declared %(declared)s",
                        {"url": item.url, "lang": item.language, "declared": item.language_declared})

    def _should_render(self, response: TextResponse, extraction: Extraction) -> bool:
        """A script shell (next to no text, mostly scripts) fetched without a browser: render it, and
        every later page of the site."""
        if response.meta.get("playwright") or not self.browser_enabled:
            return False
        if not extraction.script_shell:
            return False
        if is_cut(response.body):  # its text may be past the cut: no reason to render it, nor the site
            self._count("browser/skipped/cut_page")
            logger.info("%(url)s looks like a script shell but was cut; not rendering it", {"url": response.url})
            return False
        self._count("browser/retried")
        if not self.use_browser:
            logger.info("%(site)s serves script shells; rendering its pages in Chromium from now on",
                        {"site": self.site.name})
            self.use_browser = True
            self._count("browser/site_switched")
        return True

    def _item(self, extraction: Extraction, response: Response, url: str, seen_as: str,
              fetched_at: datetime, text: str) -> ArticleItem:
        canonical = self.real_url(extraction.url)
        if not (self._on_site(canonical) and self.is_article_url(canonical_url(canonical))):
            if canonical_url(canonical) != canonical_url(url):
                self._count("articles/canonical_ignored")
            canonical = url  # a canonical link off the site or to a non-article is not trusted
        if response.meta.get("playwright"):
            self._count("browser/rendered")
        return article_item(
            extraction,
            url=canonical_url(canonical),
            urls=list(dict.fromkeys([url, seen_as, canonical])),  # the URL fetched first (crawler.storage.claims)
            site=self.site.name,
            edition=self.site.edition_for(url).language,
            fetched_at=fetched_at,
            http_status=response.status,
            etag=etag(response),
            last_modified=last_modified(response),
            # The inert page is text or, from an extraction worker, its UTF-8; else the store sanitizes the page's.
            raw_html=extraction.html if isinstance(extraction.html, str | InertUtf8) else text,
        )


def exchanged(response: Response, text: str) -> str | bytes:
    """What the extractor is handed for ``text``: the response's body when ``text`` is its text as Scrapy decoded
    it from UTF-8 without a byte-order mark (the extraction worker decodes it the same way, and a page's text
    is not encoded again to cross to it: about 0.2 ms of CPU a page), else ``text`` itself."""
    # Scrapy decodes a body with any byte-order mark by the mark, even against an encoding the response was given
    if not isinstance(response, TextResponse) or text is not response.text or read_bom(response.body)[0] is not None:
        return text
    try:
        utf8 = codecs.lookup(response.encoding).name == "utf-8"
    except LookupError:
        return text
    return response.body if utf8 else text


def page_problem(response: Response) -> str | None:
    """``empty``, ``not_html``, ``binary`` (:func:`~crawler.extract.body_kind.looks_binary`, on the decoded text:
    a UTF-16/32 page's NUL bytes are its charset's; or a binary file's signature in the bytes, which a UTF-16/32
    charset decodes into letters) or ``partial`` for a response that is no (whole) HTML page,
    else None."""
    if response.status == 206 and not is_whole_range(response):  # no Range is ever asked for: a fragment
        return "partial"
    if not response.body.strip():
        return "empty"
    if not isinstance(response, TextResponse):
        return "not_html"
    if starts_binary(response.body) or looks_binary(response.text):
        return "binary"
    return None


_CONTENT_RANGE = re.compile(rb"\s*bytes\s+0-(\d{1,15})/(\d{1,15})\s*", re.IGNORECASE)


def is_whole_range(response: Response) -> bool:
    """Whether a 206's ``Content-Range`` covers the whole page (``bytes 0-(n-1)/n``) and all of it came: some
    servers and CDNs answer 206 with the whole page to a request that asked for no range."""
    match = _CONTENT_RANGE.fullmatch(response.headers.get(b"Content-Range") or b"")
    if match is None:
        return False
    total = int(match[2])
    return total > 0 and int(match[1]) == total - 1 and len(response.body) >= total
