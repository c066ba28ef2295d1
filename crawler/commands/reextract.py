"""``scrapy reextract [--site S] [--limit N] [--config F]``: run extraction again over stored HTML.

After a parser or site-rule fix: every stored page is extracted with today's code and
site config and its record replaced where a field changed (see ``crawler.reextract``).
Prints what changed and the cost per article; exit code 1 when the store is unreachable.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from crawler.reextract import Reextractor, changed_fields, revised
from crawler.rules import RecordRules
from crawler.sites import SiteConfig, SiteConfigError, load_site, load_site_file
from crawler.storage.store import ArticleStore
from crawler.store_command import StoreCommand


class Command(StoreCommand):
    def short_desc(self) -> str:
        return "Re-extract stored articles from their stored HTML, recording what changed"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="only this site")
        parser.add_argument("--limit", type=int, default=0, help="at most this many articles (default: all)")
        parser.add_argument("--batch-size", type=int, default=200, help="articles read and written at a time")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--config", action="append", default=[],
                            help="a site config file, for sites crawled with -a config= (repeatable)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        store = self.open_store()
        if store is None:
            return
        try:
            self._reextract(store, opts)
        finally:
            store.close()

    def _reextract(self, store: ArticleStore, opts: argparse.Namespace) -> None:
        assert self.settings is not None
        worker = Reextractor(RecordRules.from_settings(self.settings))
        sites = _Sites(load_site_file(path) for path in opts.config)
        outcome: Counter[str] = Counter()
        fields: Counter[str] = Counter()
        started, cpu = time.perf_counter(), time.process_time()
        after = ""
        while not opts.limit or outcome.total() < opts.limit:
            size = min(opts.batch_size, opts.limit - outcome.total()) if opts.limit else opts.batch_size
            batch = store.articles_after(after, size, opts.site)
            if not batch:
                break
            after = batch[-1]["_id"]
            htmls = store.page_htmls([doc["_id"] for doc in batch])
            now = datetime.now(UTC)
            revisions = []
            for old in batch:
                site, html = sites[old["site"]], htmls.get(old["_id"])
                if site is None or html is None:
                    outcome["skipped (no site config)" if site is None else "skipped (no stored HTML)"] += 1
                    continue
                new = worker.fresh_document(old, html, site)
                changed = changed_fields(new, old) if new else []
                outcome["dropped by validation, kept as stored" if new is None else
                        "changed" if changed else "unchanged"] += 1
                fields.update(changed)
                if new and changed:
                    revisions.append((revised(new, old, changed, now), old))
            if not opts.dry_run:
                store.replace_revised(revisions)
        _report(outcome, fields, time.perf_counter() - started, time.process_time() - cpu, opts.dry_run)


class _Sites(dict[str, SiteConfig | None]):
    """Site configs by name: the given ones, else the bundled one, else None."""

    def __init__(self, given: Iterable[SiteConfig]) -> None:
        super().__init__((site.name, site) for site in given)

    def __missing__(self, name: str) -> SiteConfig | None:
        try:
            self[name] = load_site(name)
        except SiteConfigError:
            self[name] = None
        return self[name]


def _report(outcome: Counter[str], fields: Counter[str], wall: float, cpu: float, dry_run: bool) -> None:
    total = outcome.total()
    sys.stdout.write(
        f"{total} articles in {wall:.1f} s ({total / max(wall, 1e-9):.1f} articles/s, "
        f"{cpu * 1000 / max(total, 1):.1f} CPU ms/article){' (dry run: nothing written)' if dry_run else ''}\n"
        + "".join(f"  {name}: {n}\n" for name, n in outcome.most_common())
        + ("  fields changed: " + ", ".join(f"{name} {n}" for name, n in fields.most_common()) + "\n"
           if fields else ""))
