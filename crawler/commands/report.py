"""``scrapy report [--json]``: per site, what the last day brought and how healthy it is;
``scrapy report --html FILE [--days N]``: one self-contained page of the last N days (default 30). ``--days``
without ``--html`` is a usage error: the text and JSON report have no span to set (it was ignored in silence).

One row per bundled site and per other site (a config file's) with a run in the last 30 days.
Columns: articles first stored in the last 24 h, when the last healthy run
finished, the last run's state (``running``, or ``abandoned`` when its process died without closing it:
:func:`crawler.run_record.run_state`; ``skipped`` when another run held the site; else its health),
the generic-fallback share, logged errors and articles it could not store (left
unsaved, or quarantined because the store rejected them: see ``DATA_DIR/quarantine/``)
of the last run that crawled (a skipped run has none), freshness (hours since
the newest article was published) and the site's status (:mod:`crawler.report_status`: ok, degraded, stale,
failing; ``-`` for a site with no run in 30 days).

Exit status: 1 when a site is failing or stale (or the store cannot be read, or the page written), else 3 when one
is degraded, else 0; ``--exit-zero``: 0 whatever the sites' state.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.exceptions import UsageError

from crawler.cli import silence_stdout
from crawler.output_file import output_problem, part_of, written_in_place
from crawler.report_status import OK, exit_code, site_status, stale_hours
from crawler.run_record import RUNNING, run_state
from crawler.sites import site_names
from crawler.storage.store import ArticleStore, store_errors
from crawler.store_command import StoreCommand

DAYS = 30  # the --html page's span unless --days says


def site_report(store: ArticleStore, site: str, now: datetime, judged: bool = True) -> dict[str, Any]:
    """The report's row of ``site``; ``judged``: with its status (the site has a run in the report's window)."""
    runs = store.latest_runs(20, site=site)
    last = runs[0] if runs else {}
    # The last run that crawled and ended (a run still going has only part of its stats).
    crawled = next((r for r in store.latest_runs(20, site=site, crawled=True) if r.get("outcome") != RUNNING), {})
    healthy = next((r for r in runs if r.get("health", {}).get("status") == "healthy"), None)
    newest = store.newest_published(site)
    row = {
        "site": site,
        "articles_24h": store.count_articles(site, since=now - timedelta(days=1)),
        "last_healthy_run": healthy["finished_at"].isoformat() if healthy else None,
        # Runs recorded before skipped runs had their own status say "failed": the close reason tells.
        "last_health": run_state(last, now) if last else None,  # running, abandoned, skipped or the health
        "fallback_share": crawled.get("health", {}).get("metrics", {}).get("fallback_share"),
        "errors": crawled.get("stats", {}).get("log_count/ERROR", 0) if crawled else None,
        "unsaved": crawled.get("stats", {}).get("storage/unsaved", 0) if crawled else None,
        "quarantined": crawled.get("stats", {}).get("storage/quarantined", 0) if crawled else None,
        "freshness_hours": round((now - newest).total_seconds() / 3600, 1) if newest else None,
    }
    crawled_health = crawled.get("health", {}).get("status")
    row["status"], row["problem"] = (site_status(row, crawled_health, stale_hours(site, runs)) if judged
                                     else (None, None))
    return row


class Command(StoreCommand):
    reads_only = True

    def short_desc(self) -> str:
        return "Per-site report: articles in the last day, last healthy run, fallback share, errors, freshness"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="one JSON object per site")
        parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML page to FILE")
        parser.add_argument("--days", type=_days, help=f"days the --html page covers (default {DAYS})")
        parser.add_argument("--exit-zero", action="store_true",
                            help="exit 0 whatever the sites' state (default: 1 a site failing or stale, 3 degraded)")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        super().check(args, opts)
        problem = None if opts.html is None else output_problem("--html", opts.html)
        if problem:
            raise UsageError(problem, print_help=False)
        if opts.days is not None and opts.html is None:
            raise UsageError("--days sets the days the --html page covers; the text and JSON report show the "
                             "last 24 hours and each site's latest runs: add --html FILE", print_help=False)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        store = self.open_store()
        if store is None:
            return
        try:
            now = datetime.now(UTC)
            recent = store.sites_run_since(now - timedelta(days=30))
            rows = [site_report(store, site, now, site in recent) for site in sorted({*site_names(), *recent})]
            if opts.html:
                # Here, not at the top: Scrapy imports every command's module for any command, a crawl too.
                from crawler.report_page import render
                from crawler.reporting import build_report

                page = render(build_report(store, site_names(), now, opts.days or DAYS))
        except store_errors() as exc:
            self.stopped("report", exc)
            return
        finally:
            store.close()
        if opts.html:
            self._write(opts.html, page)
        else:
            try:
                if opts.json:
                    sys.stdout.writelines(json.dumps(row) + "\n" for row in rows)
                else:
                    _print_table(rows)
                sys.stdout.flush()
            except BrokenPipeError:
                raise  # the reader (``| head``) has all it wanted: quiet (crawler.cli)
            except OSError as exc:  # a full disk, /dev/full: one line, not a traceback
                silence_stdout()  # what is left in the buffer goes nowhere, not to a traceback at exit
                self.stopped("report", exc)
                return
        self._judge(rows, opts.exit_zero)

    def _judge(self, rows: list[dict[str, Any]], exit_zero: bool) -> None:
        """The exit status of the sites' state (unless ``--exit-zero``), and one line on stderr naming the sites
        that need attention, for the scheduler's mail or journal."""
        alerts = [f"{row['site']} ({row['status']}: {row['problem']})" for row in rows
                  if row["status"] not in (None, OK)]
        if alerts:
            sys.stderr.write(f"{len(alerts)} site(s) need attention: {', '.join(alerts)}\n")
        if not exit_zero and not self.exitcode:
            self.exitcode = exit_code([row["status"] for row in rows])


    def _write(self, path: str, page: str) -> None:
        """Write the page whole (a reader never sees half of it), or one line on stderr and exit code 1."""
        try:
            if written_in_place(path):  # /dev/stdout, a pipe: renamed over, the part replaced it
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(page)
                return
            target, partial = part_of(path, prefix=".")
            partial.write_text(page, encoding="utf-8")
            partial.replace(target)
        except OSError as exc:
            sys.stderr.write(f"cannot write the report to {path}: {exc.strerror or exc}\n")
            self.exitcode = 1


def _print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("site", "articles_24h", "last_healthy_run", "last_health", "fallback_share", "errors",
               "unsaved", "quarantined", "freshness_hours", "status")
    table = [list(columns), *([_cell(row[c], percent=c == "fallback_share") for c in columns] for row in rows)]
    # Each column as wide as its widest cell (a site name such as "turkmenportal" pushed its row out of line).
    widths = [max(len(line[n]) for line in table) for n in range(len(columns))]
    for line in table:
        sys.stdout.write(" ".join(f"{v:{w}}" for v, w in zip(line, widths, strict=True)).rstrip() + "\n")


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= 3660:
        raise argparse.ArgumentTypeError(f"--days must be a whole number of days from 1 to 3660, got {value!r}")
    return days


def _cell(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else str(value)
