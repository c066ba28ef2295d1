"""``scrapy crawlall [--processes N] [--sites a,b] [--config FILE.toml] [--base-url SITE=URL] [-a ...]``:
every bundled site (or the named ones, plus site config files), then one summary and one exit code.

With ``--processes N`` (default: the cores this process may use) the sites are crawled by up to N
``scrapy crawl`` child processes at once, a site at a time per child (``crawler.site_pool``: each
line a child logs is prefixed ``[site]``); with one process (or one site) they crawl concurrently
in this process, as they always did, each crawl's log lines starting their message with ``[site]``
(:mod:`crawler.sitelog`). Every site takes the same ``-a`` and ``-s``; ``--base-url``
gives one site a mirror of its own (replicas, benchmarks).

The summary (stdout) has one line per site (exit code, articles stored, requests, seconds) and a
total. A child killed before its end (SIGKILL, the OOM killer) never writes its final stats: its
counts are those of the last snapshot it wrote (``STATS_FILE_INTERVAL_SECONDS``), shown as lower bounds
("12+", the total too) and said in one warning line; its exit code is 1. The exit code is the worst of
the sites', worst first: 1 failed (or never started, when the run was stopped), 2 articles unsaved,
3 degraded, 75 skipped (another run held the site), 0 healthy.
A skipped site never masks a failure, nor a healthy run a skipped site.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from scrapy.commands import BaseRunSpiderCommand
from scrapy.crawler import AsyncCrawlerRunner, Crawler, CrawlerRunner
from scrapy.exceptions import UsageError

from crawler import sitelog
from crawler.cli import CheckedCommand, close_matches
from crawler.commands.crawl import exit_code
from crawler.extensions import stats_file
from crawler.notify import WebhookConfigError, webhook_url
from crawler.opening_stop import OpeningStop
from crawler.secrets import redact, register_uri_passwords
from crawler.site_pool import SiteJob, SitePool, cpu_count
from crawler.sites import SiteConfigError, load_site_file, site_names
from crawler.spiders.args import SpiderArgumentError, validate_spargs

logger = logging.getLogger(__name__)
SEVERITY = {0: 0, 75: 1, 3: 2, 2: 3, 1: 4}  # exit code -> how bad; any other code counts as failed
_CHILD_ONLY = ("LOG_FILE", "STATS_FILE")  # settings the parent decides for each child


def worst(codes: list[int]) -> int:
    """The exit code of a run of several sites: the worst of theirs (0 for none)."""
    return max(codes, key=lambda code: SEVERITY.get(code, SEVERITY[1]), default=0)


@dataclass(frozen=True)
class Site:
    """One site of the run: its name, the spider that crawls it and that spider's arguments."""

    name: str
    spider: str
    spargs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One summary line."""

    site: str
    code: int
    articles: int
    requests: int
    seconds: float
    exact: bool = True  # False: the counts are a killed child's last snapshot, lower bounds

    @classmethod
    def from_stats(cls, site: str, code: int, stats: dict[str, Any], seconds: float, exact: bool = True) -> Row:
        articles = int(stats.get("storage/inserted", 0)) + int(stats.get("storage/updated", 0))
        return cls(site, code, articles, int(stats.get("downloader/request_count", 0)), seconds, exact)


def summary(rows: list[Row], seconds: float) -> str:
    """One line per site and a total (the run's exit code and wall seconds); a lower bound ends with "+"."""
    width = max([len("total"), *(len(row.site) for row in rows)])
    exact = all(row.exact for row in rows)
    lines = [f"{'site':<{width}} {'exit':>4} {'articles':>8} {'requests':>8} {'seconds':>8}"]
    lines += [f"{r.site:<{width}} {r.code:>4} {_count(r.articles, r.exact):>8} {_count(r.requests, r.exact):>8} "
              f"{r.seconds:>8.1f}" for r in rows]
    lines.append(f"{'total':<{width}} {worst([r.code for r in rows]):>4} "
                 f"{_count(sum(r.articles for r in rows), exact):>8} "
                 f"{_count(sum(r.requests for r in rows), exact):>8} {seconds:>8.1f}")
    return "\n".join(lines) + "\n"


def _count(number: int, exact: bool) -> str:
    return str(number) if exact else f"{number}+"


class Command(CheckedCommand, BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Crawl every enabled site, in parallel processes (--processes N)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--sites", help="comma-separated subset of the bundled sites")
        parser.add_argument("--config", action="append", default=[], metavar="FILE.toml",
                            help="also crawl the site of this config file (repeatable; alone: only these)")
        parser.add_argument("--base-url", action="append", default=[], metavar="SITE=URL",
                            help="crawl SITE from this mirror (repeatable; -a base_url= is every site's)")
        parser.add_argument("--processes", type=int, default=None, metavar="N",
                            help=f"crawl processes at once (default: the cores, {cpu_count()} here)")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the sites, processes, mirrors, -a names and values and the webhook URL before anything starts."""
        register_uri_passwords(opts.spargs.values())  # a -a URI's password is masked wherever it is logged
        opts.sites = _site_list(opts.sites)
        unknown = sorted(set(opts.sites or []) - set(site_names()))
        if unknown:
            raise UsageError(f"unknown site(s): {', '.join(unknown)}{close_matches(unknown[0], site_names())}",
                             print_help=False)
        if args:
            raise UsageError(f"unexpected argument {args[0]!r}: name sites with --sites a,b", print_help=False)
        if opts.processes is not None and opts.processes < 1:
            raise UsageError(f"--processes must be 1 or more, got {opts.processes}", print_help=False)
        try:
            assert self.settings is not None
            webhook_url(self.settings)
            validate_spargs(opts.spargs)
            opts.planned = self._plan(opts)
        except (SpiderArgumentError, WebhookConfigError, SiteConfigError) as exc:
            raise UsageError(redact(str(exc)), print_help=False) from None
        if self._processes(opts) > 1 and (opts.output or opts.overwrite_output):
            raise UsageError("-o/-O write one feed from one process: add --processes 1", print_help=False)

    def _plan(self, opts: argparse.Namespace) -> list[Site]:
        """The sites to crawl with their spider and arguments; raises SiteConfigError/SpiderArgumentError."""
        names = opts.sites if opts.sites is not None else ([] if opts.config else site_names())
        sites = [Site(name, name, dict(opts.spargs)) for name in dict.fromkeys(names)]
        for path in opts.config:
            name = load_site_file(path).name
            sites.append(Site(name, "news", {**opts.spargs, "config": str(Path(path).resolve())}))
        seen = [site.name for site in sites]
        if len(set(seen)) < len(seen):
            raise SiteConfigError(f"site {next(n for n in seen if seen.count(n) > 1)!r} named twice")
        mirrors = dict(_pair(value) for value in opts.base_url)
        for name, url in mirrors.items():
            if name not in seen:
                raise SpiderArgumentError(f"--base-url {name}=...: {name!r} is not crawled in this run")
            validate_spargs({"base_url": url})
        return [Site(s.name, s.spider, {**s.spargs, **({"base_url": mirrors[s.name]} if s.name in mirrors else {})})
                for s in sites]

    @staticmethod
    def _processes(opts: argparse.Namespace) -> int:
        return min(opts.processes or cpu_count(), max(1, len(getattr(opts, "planned", []))))

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        sites: list[Site] = opts.planned
        processes = self._processes(opts)
        logger.info("crawlall: %(sites)d site(s) in %(processes)d process(es)",
                    {"sites": len(sites), "processes": processes})
        started = time.monotonic()
        rows = self._in_process(sites) if processes == 1 else self._in_children(sites, processes, opts)
        sys.stdout.write(summary(rows, time.monotonic() - started))
        sys.stdout.flush()
        self.exitcode = worst([row.code for row in rows])

    def _in_process(self, sites: list[Site]) -> list[Row]:
        """Every site concurrently in this process's reactor."""
        assert self.crawler_process is not None
        crawlers: list[Crawler] = []
        sitelog.install()  # every line a site's crawl logs names the site
        for site in sites:
            crawler = self.crawler_process.create_crawler(site.spider)
            crawlers.append(crawler)
            sitelog.named(site.name, partial(self.crawler_process.crawl, crawler, **site.spargs))
        assert isinstance(self.crawler_process, CrawlerRunner | AsyncCrawlerRunner)
        OpeningStop.install(self.crawler_process, *crawlers)  # a SIGTERM while they open closes them once open
        self.crawler_process.start()
        rows = []
        for site, crawler in zip(sites, crawlers, strict=True):
            stats = crawler.stats.get_stats() if crawler.stats else {}
            code = exit_code(stats) if crawler.stats else 1
            rows.append(Row.from_stats(site.name, code, stats, float(stats.get("elapsed_time_seconds", 0.0))))
        return rows

    def _in_children(self, sites: list[Site], processes: int, opts: argparse.Namespace) -> list[Row]:
        """Each site in a ``scrapy crawl`` child, ``processes`` at once."""
        assert self.settings is not None
        with tempfile.TemporaryDirectory(prefix="crawlall-") as tmp:
            jobs = [SiteJob(site.name, self._child_command(site, opts, Path(tmp) / f"{site.name}.json"))
                    for site in sites]
            results = SitePool(jobs, processes, log_path=self.settings.get("LOG_FILE") or None).run()
            rows = []
            for result in results:
                stats, exact = stats_file.read(Path(tmp) / f"{result.site}.json")
                if not exact:
                    logger.warning("%(site)s: its crawl ended before writing its final stats (%(how)s): its articles "
                                   "and requests are those counted at its last snapshot, at least",
                                   {"site": result.site, "how": f"killed by signal {result.signal}"
                                    if result.signal else f"exit code {result.code}"})
                rows.append(Row.from_stats(result.site, result.code, stats, result.seconds, exact))
            return rows

    @staticmethod
    def _child_command(site: Site, opts: argparse.Namespace, stats_file: Path) -> list[str]:
        command = [sys.executable, "-m", "scrapy", "crawl", site.spider]
        command += [part for name, value in site.spargs.items() for part in ("-a", f"{name}={value}")]
        kept = [value for value in opts.set if value.partition("=")[0] not in _CHILD_ONLY]
        command += [part for value in kept for part in ("-s", value)]
        command += ["-s", "LOG_FILE=", "-s", f"STATS_FILE={stats_file}"]  # the parent writes the log
        if opts.loglevel:
            command += ["-L", opts.loglevel]
        if opts.nolog:
            command.append("--nolog")
        return command


def _pair(value: str) -> tuple[str, str]:
    name, equals, url = value.partition("=")
    if not equals or not name or not url:
        raise SpiderArgumentError(f"--base-url takes SITE=URL, got {value!r}")
    return name, url


def _site_list(value: str | None) -> list[str] | None:
    """The names ``--sites`` gives (spaces around them dropped), None when it is not given; one that names none
    (``--sites ""``, an unset shell variable) is a usage error: it crawled every site."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(f"--sites {value!r} names no site: give a comma-separated subset of the bundled sites "
                         "(`scrapy list` names them), or leave --sites out to crawl them all", print_help=False)
    return names
