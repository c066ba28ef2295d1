"""``scrapy crawl`` whose exit code tells cron whether the run worked.

Scrapy's own command exits 0 whenever the spider could be created, even when
the crawl was stopped because storage was unreachable. This one exits 1 when
the run's close reason is not a normal end (``finished`` or a ``closespider_*``
limit) and 2 when it finished but items could not be stored.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.spiders import Spider

from crawler.spiders.args import SpiderArgs, SpiderArgumentError
from pipelines.run_record import outcome


class Command(ScrapyCrawlCommand):
    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self._crawler = super()._create_crawler(spidercls)
        return self._crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:  # a bad -a value is a usage error, not a traceback
            SpiderArgs.parse(*(opts.spargs.get(name) for name in ("base_url", "since", "limit")))
            if args and self.crawler_process is not None:
                spider_class = self.crawler_process.spider_loader.load(args[0])
                getattr(spider_class, "validate_args", lambda _: None)(opts.spargs)
        except SpiderArgumentError as exc:
            raise UsageError(str(exc), print_help=False) from None
        except KeyError:
            pass  # unknown spider: Scrapy's own message follows
        super().run(args, opts)
        crawler = getattr(self, "_crawler", None)
        if self.exitcode or crawler is None or crawler.stats is None:
            return
        stats = crawler.stats.get_stats()
        result = outcome(stats.get("finish_reason", "unknown"), stats)
        if result == "failed":
            self.exitcode = 1
        elif stats.get("storage/unsaved"):
            self.exitcode = 2
