"""The configured sites as a table: ``scrapy list --details`` (aligned text) and the README's "Sites"
table (``scrapy list --markdown``, ``scripts/coverage_table.py``), both read from the configs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crawler.sites import SiteConfig, bundled_sites
from crawler.urls import host_key

COUNTRIES = {"KZ": "Kazakhstan", "KG": "Kyrgyzstan", "TJ": "Tajikistan", "TM": "Turkmenistan", "UZ": "Uzbekistan",
             "AF": "Afghanistan", "RU": "Russia", "CZ": "Czechia"}
README_BEGIN = "<!-- sites-table: begin (generated from crawler/sites/*.toml by scripts/coverage_table.py) -->"
README_END = "<!-- sites-table: end -->"
NONE = "-"


@dataclass(frozen=True)
class SiteRow:
    """What the tables say about one spider."""

    name: str
    title: str
    country: str = ""
    languages: tuple[str, ...] = ()
    platform: str = ""
    hosts: tuple[str, ...] = ()
    discovery: tuple[str, ...] = ()
    browser: bool = False

    @property
    def country_name(self) -> str:
        return COUNTRIES.get(self.country, self.country) or NONE

    @property
    def outlet(self) -> str:
        """The title and the hosts of its editions that the title does not already spell."""
        return ", ".join([self.title, *(h for h in self.hosts if h.lower() != self.title.lower())])


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def discovery(site: SiteConfig) -> tuple[str, ...]:
    """How the site's articles are found, over all its editions, in a fixed order."""
    editions = site.editions
    kinds = [
        ("RSS (paged)" if any(e.feed_pages > 1 for e in editions) else "RSS") if any(e.feeds for e in editions) else "",
        "sitemaps" if any(e.sitemaps for e in editions) else "",
        ("listings (paged)" if any(e.listing_pages > 1 for e in editions) else "listings")
        if any(e.listings for e in editions) else "",
        "WordPress API" if any(e.wp_api for e in editions) else "",
        "date archive" if any(e.archive for e in editions) else "",
    ]
    return tuple(kind for kind in kinds if kind)


def site_row(site: SiteConfig) -> SiteRow:
    """The row of a configured site."""
    return SiteRow(
        name=site.name, title=site.title, country=site.country,
        languages=_unique(e.language for e in site.editions), platform=site.platform,
        hosts=_unique(host_key(e.home) for e in site.editions), discovery=discovery(site),
        browser=site.needs_browser,
    )


def text_table(rows: Sequence[SiteRow]) -> str:
    """``scrapy list --details``: one aligned line per spider under a header, sorted by name."""
    lines = [("name", "country", "languages", "platform", "title")]
    lines += [(r.name, r.country or NONE, ",".join(r.languages) or NONE, r.platform or NONE, r.title)
              for r in sorted(rows, key=lambda r: r.name)]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[4]])
                     for line in lines) + "\n"


def markdown_table(rows: Sequence[SiteRow]) -> str:
    """The README's "Sites" table, by country then site, between its marker comments."""
    lines = [README_BEGIN, "| site | outlet | country | languages | platform | discovery | browser |",
             "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r.country_name, r.name)):
        cells = [f"`{r.name}`", r.outlet, r.country_name, ", ".join(r.languages), r.platform or NONE,
                 ", ".join(r.discovery) or NONE, "yes" if r.browser else "no"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join([*lines, README_END]) + "\n"


def sites_table() -> str:
    """The README's "Sites" table of every bundled site, markers included."""
    return markdown_table([site_row(site) for site in bundled_sites()])


def _block_span(text: str) -> tuple[int, int]:
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise ValueError(f"the README has no {README_BEGIN!r} ... {README_END!r} block")
    end += len(README_END)
    return begin, end + 1 if text.startswith("\n", end) else end


def readme_block(text: str) -> str:
    """The marked table of ``text`` (the README), markers included; ValueError without both markers."""
    begin, end = _block_span(text)
    return text[begin:end]


def replace_block(text: str, block: str) -> str:
    """``text`` (the README) with its marked table replaced by ``block``; ValueError without both markers."""
    begin, end = _block_span(text)
    return text[:begin] + block + text[end:]
