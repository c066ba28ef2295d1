"""What the field readers need of a parsed page (:class:`PageView`), and the names the site goes by."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from parsel import Selector, SelectorList

from crawler.extract.header_date import HeaderZone
from crawler.extract.structured import Structured, strings
from crawler.limits import MAX_MATCHES, RecordLimits
from crawler.sites import SiteConfig

ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "WebSite"})


class PageView(Protocol):
    """A parsed page with its site rules (``crawler.extract.article._Page``)."""

    url: str
    sel: Selector
    site: SiteConfig | None
    limits: RecordLimits
    data: Structured

    @property
    def header_zone(self) -> HeaderZone: ...

    def css(self, css: str, limit: int = MAX_MATCHES) -> SelectorList[Selector]: ...

    def site_values(self, field: str, skip: Callable[[Any], bool] | None = None) -> list[str]: ...


def declared_site_names(page: PageView, structured: bool = True) -> list[str]:
    """The names the site goes by: configured, and declared (``og:site_name``, and unless ``structured`` is
    false the JSON-LD publisher or website)."""
    declared = [page.data.first_meta("og:site_name") or "", page.data.first_meta("application-name") or ""]
    if not structured:
        return [*(page.site.site_names if page.site else ()), *declared]
    return [*(page.site.site_names if page.site else ()), *declared, *declared_organisations(page)]


def declared_organisations(page: PageView) -> list[str]:
    """The names of the organisations the page's JSON-LD declares (its publisher first)."""
    nodes = [page.data.resolve(page.data.article.get("publisher")), *page.data.nodes.values()]
    # A personal site's publisher is its author ("@type": ["Person", "Organization"]): not a site name.
    return [n["name"] for n in nodes if isinstance(n, dict) and isinstance(n.get("name"), str)
            and ORGANIZATION_TYPES & set(strings(n.get("@type"))) and "Person" not in strings(n.get("@type"))]
