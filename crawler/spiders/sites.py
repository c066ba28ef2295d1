"""One spider class per bundled site config, so ``scrapy list`` shows every
site and ``scrapy crawl <site>`` runs it; a standard site needs no code. The
site's politeness overrides become its domains' download slots."""

from __future__ import annotations

from crawler.sites import load_site, site_names
from crawler.spiders.base import SiteSpider


def _spider_class(name: str) -> type[SiteSpider]:
    class_name = "".join(part.title() for part in name.replace("-", "_").split("_")) + "Spider"
    site = load_site(name)
    slots = {domain: {"concurrency": site.politeness.concurrency, "delay": site.politeness.delay}
             for domain in site.domains}
    return type(class_name, (SiteSpider,), {
        "name": name, "site_name": name, "__module__": __name__,
        "custom_settings": {"DOWNLOAD_SLOTS": slots},
    })


globals().update({cls.__name__: cls for cls in map(_spider_class, site_names())})
