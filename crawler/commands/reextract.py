"""``scrapy reextract [--site S] [--limit N] [--config F] [--processes N]``: run extraction again over stored HTML.

After a parser or site-rule fix: every stored page is extracted with today's code and
site config and its record replaced where a field changed (see ``crawler.reextract``).
Pages are parsed by ``--processes N`` worker processes (default: the cores this process may use, but
one for under ``SMALL_JOB`` pages, which workers would not finish sooner), a batch at a time, a few
batches ahead; this process reads the store and writes the revised records in order. A page whose
extraction fails or takes longer than ``EXTRACTION_TIME_BUDGET_SECONDS`` is counted (``failed``) and
named on one line of stderr; its record stays as stored. A worker process that dies (killed, out of
memory, a crash in C code), or is stuck far over the budget and killed, is replaced and the batches it
held run again, the page that failed so twice counted as failed. Ctrl-C stops after the batches being
parsed, keeping what was written (exit 130); SIGTERM too, to the command or its whole process group
(systemd stopping the unit: the workers ignore it), exit 143. Prints what changed and the cost per article; exit code 1
when the store is unreachable or fails (one line on stderr; the batches written stay written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from scrapy.exceptions import UsageError

from crawler.cli import at_least
from crawler.export.query import no_names
from crawler.rules import RecordRules
from crawler.sites import SiteConfigError, load_site_file
from crawler.storage.store import ArticleStore, store_errors
from crawler.store_command import StoreCommand, check_sites

if TYPE_CHECKING:
    from crawler.reextract import Batch

SMALL_JOB = 100  # pages (about a second of parsing): fewer are re-extracted in this process alone


class Command(StoreCommand):
    def short_desc(self) -> str:
        return "Re-extract stored articles from their stored HTML, recording what changed"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="only this site")
        parser.add_argument("--limit", type=at_least(0), default=0,
                            help="at most this many articles (default 0: all)")
        parser.add_argument("--batch-size", type=at_least(1), default=200, help="articles read and written at a time")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--config", action="append", default=[],
                            help="a site config file, for sites crawled with -a config= (repeatable)")
        from crawler.parallel import add_processes_option  # not at the top: a crawl imports every command's module

        add_processes_option(parser, "parse the stored pages", f"under {SMALL_JOB} pages")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        super().check(args, opts)
        if opts.site is not None and not opts.site.strip():  # an unset shell variable: every site was re-extracted
            raise UsageError(no_names("--site", opts.site, "site"), print_help=False)
        try:
            self.configs = tuple(load_site_file(path) for path in opts.config)
        except SiteConfigError as exc:
            raise UsageError(str(exc), print_help=False) from None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.parallel import stop_signals

        # A dry run writes nothing: a mistyped DATA_DIR is no store (it made an empty one and said "0 articles")
        store = self.open_store(read_only=opts.dry_run)
        if store is None:
            return
        try:
            check_sites(store, (opts.site,) if opts.site else (), tuple(config.name for config in self.configs))
            with stop_signals():
                self._reextract(store, opts)
        except store_errors() as exc:  # before the first batch: the check of --site, the count of pages
            self.stopped("re-extraction", exc)
        finally:
            store.close()

    def _reextract(self, store: ArticleStore, opts: argparse.Namespace) -> None:
        # Here, not at the top: Scrapy imports every command's module for any command, and the
        # extractor (trafilatura, htmldate, numpy models) has no place in a crawl process.
        from crawler.extract.article import warm_up
        from crawler.parallel import Isolation, WorkerDied, ordered_map, processes_for, stop_reason, whole
        from crawler.reextract import batch_seconds, each_page, joined, reextract_batch, start_worker, worker_died

        assert self.settings is not None
        outcome: Counter[str] = Counter()
        fields: Counter[str] = Counter()
        started, cpu = time.perf_counter(), _cpu()
        opts.processes = processes_for(opts.processes, lambda: _pages(store, opts, SMALL_JOB), SMALL_JOB)
        warm_up()  # once here: forked workers start with the model loaded
        budget = self.settings.getfloat("EXTRACTION_TIME_BUDGET_SECONDS")
        done = ordered_map(reextract_batch, _batches(store, opts), opts.processes, start_worker,
                           (RecordRules.from_settings(self.settings), self.configs, budget),
                           isolation=Isolation(each_page, joined, worker_died, partial(batch_seconds, budget)))
        stopped = ""
        try:
            with closing(done):
                for (olds, _, _), outcomes in done:
                    revisions = []
                    for old, result in zip(olds, outcomes, strict=True):
                        outcome[result.kind] += 1
                        fields.update(result.changed)
                        if result.error:
                            sys.stderr.write(f"Re-extraction failed: {result.error}\n")
                        if result.revised is not None:
                            revisions.append((result.revised, old))
                    if not opts.dry_run:
                        with whole():  # a stop waits for the batch's writes
                            store.replace_revised(revisions)
        except KeyboardInterrupt as exc:  # the batches written stay written: running it again goes on from scratch
            reason, self.exitcode = stop_reason(exc)
            stopped = f"stopped ({reason})"
        except WorkerDied as exc:
            stopped, self.exitcode = f"stopped: {exc}", 1
        except store_errors() as exc:  # the batches written stay written
            self.stopped("re-extraction", exc)
            stopped = "stopped: the store failed"
        _report(outcome, fields, _cpu() - cpu, time.perf_counter() - started, opts, stopped)


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the workers, once stopped)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _pages(store: ArticleStore, opts: argparse.Namespace, at_most: int) -> int:
    """How many records the run reads (those of ``--site``, at most ``--limit``), counted up to ``at_most``."""
    return store.count_articles(opts.site, at_most=min(opts.limit, at_most) if opts.limit else at_most)


def _batches(store: ArticleStore, opts: argparse.Namespace) -> Iterator[Batch]:
    """The stored records in ``_id`` order, ``--batch-size`` at a time, with their pages, up to ``--limit``."""
    after, read = "", 0
    while not opts.limit or read < opts.limit:
        size = min(opts.batch_size, opts.limit - read) if opts.limit else opts.batch_size
        batch = store.articles_after(after, size, opts.site)
        if not batch:
            return
        after, read = batch[-1]["_id"], read + len(batch)
        yield batch, store.stored_pages([doc["_id"] for doc in batch]), datetime.now(UTC)


def _report(outcome: Counter[str], fields: Counter[str], cpu: float, wall: float, opts: argparse.Namespace,
            stopped: str) -> None:
    total = outcome.total()
    notes = [note for note in (stopped, "dry run: nothing written" if opts.dry_run else "") if note]
    sys.stdout.write(
        f"{total} articles in {wall:.1f} s ({total / max(wall, 1e-9):.1f} articles/s, "
        f"{cpu * 1000 / max(total, 1):.1f} CPU ms/article, {opts.processes} process(es))"
        f"{''.join(f' ({note})' for note in notes)}\n"
        + "".join(f"  {name}: {n}\n" for name, n in outcome.most_common())
        + ("  fields changed: " + ", ".join(f"{name} {n}" for name, n in fields.most_common()) + "\n"
           if fields else ""))
