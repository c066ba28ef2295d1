"""Spiders: one per configured site (``crawler/sites/*.toml``), built from ``SiteSpider``."""
