"""``scrapy crawl`` whose exit code tells cron whether the run worked.

Scrapy's own command exits 0 whenever the spider could be created, even when
the crawl was stopped because storage was unreachable. This one exits 1 when
the run failed (abnormal end, storage unreachable or ``DATA_DIR`` unwritable,
health "failed"), 2 on a bad ``-a`` value or ``MONITOR_WEBHOOK_URL``, or when
articles could not be stored (left in the spool, kept elsewhere or lost on a full
disk, or quarantined because the store rejected them), 3 when the run's health is
"degraded" (see ``crawler.health``), 75 when another run held the site, else 0.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import AsyncCrawlerRunner, Crawler, CrawlerRunner
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader
from scrapy.spiders import Spider

from crawler.cli import CheckedCommand, close_matches
from crawler.extensions.site_lock import LOCKED_REASON
from crawler.health import ARGS_CONFLICT_REASON
from crawler.notify import WebhookConfigError, webhook_url
from crawler.opening_stop import OpeningStop
from crawler.run_record import outcome
from crawler.secrets import redact, register_uri_passwords
from crawler.site_pool import stop_when_parent_dies
from crawler.spiders.args import SITE_ARGS, SpiderArgumentError, validate_spargs


class Command(CheckedCommand, ScrapyCrawlCommand):
    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self._crawler = super()._create_crawler(spidercls)
        assert isinstance(self.crawler_process, CrawlerRunner | AsyncCrawlerRunner)
        OpeningStop.install(self.crawler_process, self._crawler)  # a SIGTERM while it opens closes it once open
        return self._crawler

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the spider's name, its -a names and values and the webhook URL before anything starts."""
        register_uri_passwords(opts.spargs.values())  # a -a URI's password is masked wherever it is logged
        try:  # each mistake is a usage error (exit 2) in one line, not a traceback or a wrong crawl
            assert self.settings is not None
            webhook_url(self.settings)
            if len(args) == 1:
                spider_class = self._spider_class(args[0])
                validate_spargs(opts.spargs, getattr(spider_class, "arguments", SITE_ARGS))
                getattr(spider_class, "validate_args", lambda _: None)(opts.spargs)
        except (SpiderArgumentError, WebhookConfigError) as exc:
            raise UsageError(redact(str(exc)), print_help=False) from None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        stop_when_parent_dies()  # a child of `scrapy crawlall`
        super().run(args, opts)
        crawler = getattr(self, "_crawler", None)
        if self.exitcode or crawler is None or crawler.stats is None:
            return
        self.exitcode = exit_code(crawler.stats.get_stats())

    def _spider_class(self, name: str) -> type[Spider]:
        """The spider called ``name``; an unknown name is one line with the close ones."""
        assert self.settings is not None
        loader = get_spider_loader(self.settings)
        try:
            spider_class: type[Spider] = loader.load(name)
        except KeyError:
            raise UsageError(f"unknown spider {name!r}{close_matches(name, loader.list())}; "
                             "`scrapy list` names them all", print_help=False) from None
        return spider_class


def exit_code(stats: dict[str, Any]) -> int:
    """0 healthy; 1 failed (or did not start); 2 articles not stored (unsaved or quarantined); 3 degraded;
    75 another run held the site."""
    if stats.get("finish_reason") == LOCKED_REASON:
        return 75
    if stats.get("finish_reason") == ARGS_CONFLICT_REASON:  # recorded as skipped, but this worker never ran
        return 1
    if outcome(stats.get("finish_reason", "unknown"), stats) == "failed" or stats.get("health/status") == "failed":
        return 1
    if stats.get("storage/unsaved") or stats.get("storage/quarantined"):
        return 2
    return 3 if stats.get("health/status") == "degraded" else 0
