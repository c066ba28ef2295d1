"""``scrapy crawlall [-a since=...] [--sites a,b]``: every bundled site in one process.

The sites crawl concurrently, each with its own politeness; the exit code is
the worst of theirs (1 failed, 2 unsaved, 3 degraded, 0 all healthy). Every log
line a site's crawl makes starts with ``[site]`` (:mod:`crawler.sitelog`).
"""

from __future__ import annotations

import argparse
from functools import partial

from scrapy.commands import BaseRunSpiderCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler import sitelog
from crawler.cli import CheckedCommand, close_matches
from crawler.commands.crawl import exit_code
from crawler.notify import WebhookConfigError, webhook_url
from crawler.secrets import redact, register_uri_passwords
from crawler.sites import site_names
from crawler.spiders.args import SpiderArgumentError, validate_spargs

_SEVERITY = {0: 0, 75: 1, 3: 2, 2: 3, 1: 4}  # exit code -> how bad


class Command(CheckedCommand, BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Crawl every enabled site in one process"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--sites", help="comma-separated subset of the bundled sites")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the sites, the -a names and values and the webhook URL before anything starts."""
        register_uri_passwords(opts.spargs.values())  # a -a URI's password is masked wherever it is logged
        unknown = sorted(set(opts.sites.split(",") if opts.sites else []) - set(site_names()))
        if unknown:
            raise UsageError(f"unknown site(s): {', '.join(unknown)}{close_matches(unknown[0], site_names())}",
                             print_help=False)
        if args:
            raise UsageError(f"unexpected argument {args[0]!r}: name sites with --sites a,b", print_help=False)
        try:
            assert self.settings is not None
            webhook_url(self.settings)
            validate_spargs(opts.spargs)
        except (SpiderArgumentError, WebhookConfigError) as exc:
            raise UsageError(redact(str(exc)), print_help=False) from None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        names = opts.sites.split(",") if opts.sites else site_names()
        assert self.crawler_process is not None
        crawlers: list[Crawler] = []
        sitelog.install()  # every line of this process names its site
        for name in names:
            crawler = self.crawler_process.create_crawler(name)
            crawlers.append(crawler)
            sitelog.named(name, partial(self.crawler_process.crawl, crawler, **opts.spargs))
        self.crawler_process.start()
        codes = [exit_code(c.stats.get_stats()) if c.stats else 1 for c in crawlers]
        self.exitcode = max(codes, key=_SEVERITY.__getitem__, default=0)
