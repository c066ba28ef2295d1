"""``scrapy list``: spider names, one a line (what Scrapyd reads); ``--details`` adds each site's country,
languages, platform and title as an aligned table, ``--markdown`` prints the README's "Sites" table."""

from __future__ import annotations

import argparse
import inspect
import sys
from typing import TYPE_CHECKING

from scrapy.commands.list import Command as ScrapyListCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader
from scrapy.spiders import Spider

from crawler.cli import CheckedCommand
from crawler.sites import load_site

if TYPE_CHECKING:
    from crawler.sites.coverage import SiteRow


def spider_row(name: str, spider_class: type[Spider]) -> SiteRow:
    """A configured site's row; a spider without a bundled config (``news``) is described by its docstring."""
    from crawler.sites.coverage import SiteRow, site_row

    site_name = getattr(spider_class, "site_name", None)
    if site_name:
        return site_row(load_site(site_name))
    summary = (inspect.getdoc(spider_class) or "").split("\n\n", 1)[0]
    return SiteRow(name=name, title=" ".join(summary.replace("``", "").split()), languages=("any",))


class Command(CheckedCommand, ScrapyListCommand):
    def syntax(self) -> str:
        return "[--details | --markdown]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        shown = parser.add_mutually_exclusive_group()
        shown.add_argument("-d", "--details", action="store_true",
                           help="a table: name, country, languages, platform, title")
        shown.add_argument("--markdown", action="store_true", help="the README's table of the bundled sites")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:  # "scrapy list asiaplus" listed every spider, exit 0
            raise UsageError(f"unexpected argument {args[0]!r}: this command takes options only (see --help)",
                             print_help=False)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not (opts.details or opts.markdown):
            super().run(args, opts)
            return
        # Here, not at the top: Scrapy imports every command's module for any command, a crawl too.
        from crawler.sites.coverage import sites_table, text_table

        if opts.markdown:
            sys.stdout.write(sites_table())
            return
        assert self.settings is not None
        loader = get_spider_loader(self.settings)
        sys.stdout.write(text_table([spider_row(name, loader.load(name)) for name in loader.list()]))
