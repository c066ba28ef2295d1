"""How far one run's sitemap discovery may go: caps against endless or huge sitemaps.

Settings (environment variables of the same name): ``DISCOVERY_MAX_SITEMAPS`` (sitemap
documents requested per run of a site, configured and robots.txt ones included),
``DISCOVERY_MAX_SITEMAP_DEPTH`` (index levels followed below a configured or robots.txt
sitemap), ``DISCOVERY_MAX_SITEMAP_ENTRIES`` (entries read from one sitemap; the newest
are kept), ``DISCOVERY_MAX_FEED_ENTRIES`` (items read from one feed or WordPress API page; the first, which
feeds list newest first), ``DISCOVERY_MAX_PAGE_LINKS`` (links read from one listing or home page, in page order),
``DISCOVERY_MAX_QUEUED_ARTICLES`` (requests a newly discovered article may find queued: past it, discovery ends as
at ``-a limit``; each costs some 2.5 KB of memory, and 500 sitemaps of 50,000 fresh links each would make 25 million).
Paged feeds, API pages and listings are capped per site by ``feed_pages``
and ``listing_pages`` in the site config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Here, not in the sitemap parser: settings read these caps without loading the parsers (and Scrapy).
MAX_ENTRIES = 50_000  # the sitemap protocol's limit per file
# Feeds hold 10-200 items (WordPress: 10); an 8 MB feed could hold 65,000, each a request.
MAX_FEED_ENTRIES = 1_000
# Listing and home pages link to 50-500 pages; an 8 MB page can hold 300,000 links, each resolved and canonicalised
# in the crawl process (200,000 took two minutes of its event loop) and each a request.
MAX_PAGE_LINKS = 2_000
# The feeds a home page announces (<link rel="alternate">): a site's main feed, a few of its sections'; a page of 50,000
# made 50,000 feed requests (294 MB of queue, 53 minutes of fetching) before the site's first article. Not a setting.
MAX_ANNOUNCED_FEEDS = 20
# 20 sitemaps of 50,000 fresh links (2.6 MB gzipped) queued a million requests: 2.56 GB of memory.
MAX_QUEUED_ARTICLES = 100_000


@dataclass(frozen=True)
class DiscoveryLimits:
    # 20 years of monthly sitemaps is 240 documents; a site needing more is unusual enough to set it.
    max_sitemaps: int = 500
    # index -> year index -> month index -> month sitemap is the deepest layout seen on news sites
    max_sitemap_depth: int = 3
    max_sitemap_entries: int = MAX_ENTRIES
    max_feed_entries: int = MAX_FEED_ENTRIES
    max_page_links: int = MAX_PAGE_LINKS
    max_queued_articles: int = MAX_QUEUED_ARTICLES

    @classmethod
    def from_settings(cls, settings: Any) -> DiscoveryLimits:
        """The limits from Scrapy settings; raises ValueError on a value below its minimum."""
        limits = cls(
            max_sitemaps=settings.getint("DISCOVERY_MAX_SITEMAPS", cls.max_sitemaps),
            max_sitemap_depth=settings.getint("DISCOVERY_MAX_SITEMAP_DEPTH", cls.max_sitemap_depth),
            max_sitemap_entries=settings.getint("DISCOVERY_MAX_SITEMAP_ENTRIES", cls.max_sitemap_entries),
            max_feed_entries=settings.getint("DISCOVERY_MAX_FEED_ENTRIES", cls.max_feed_entries),
            max_page_links=settings.getint("DISCOVERY_MAX_PAGE_LINKS", cls.max_page_links),
            max_queued_articles=settings.getint("DISCOVERY_MAX_QUEUED_ARTICLES", cls.max_queued_articles),
        )
        for name, minimum in (("max_sitemaps", 1), ("max_sitemap_depth", 0), ("max_sitemap_entries", 1),
                              ("max_feed_entries", 1), ("max_page_links", 1), ("max_queued_articles", 1)):
            if getattr(limits, name) < minimum:
                raise ValueError(f"DISCOVERY_{name.upper()} must be >= {minimum}, got {getattr(limits, name)}")
        return limits
