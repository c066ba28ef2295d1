"""``scrapy articles``: show what the store holds (embedded or ``MONGO_URI``)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.cli import at_least
from crawler.storage.store import store_errors
from crawler.store_command import StoreCommand, check_sites

if TYPE_CHECKING:
    from crawler.storage.store import ArticleStore


def _summary(doc: dict[str, Any]) -> str:
    """Two lines of a stored article for a terminal: its text's control characters escaped (records stored before
    cleaning removed them may hold a page's escape sequences)."""
    from crawler.export.records import iso
    from crawler.text import shown

    published = iso(doc["published"]) if doc.get("published") else "-"
    words = len((doc.get("body") or "").split())
    where = f"{doc.get('site')}/{doc.get('language')}"
    return shown(f"{published}  [{where}]  {doc.get('title')}  ({words} words)") + f"\n    {shown(str(doc['url']))}"


def run_line(run: dict[str, Any], now: datetime) -> str:
    """One line of a crawl run: a ``running`` record its process stopped updating reads ``abandoned``, as in
    ``scrapy report`` (it read ``running (None)`` for ever), and a run still going shows no finish reason."""
    from crawler.export.records import iso
    from crawler.run_record import RUNNING, run_state

    state = run_state(run, now) if run.get("outcome") == RUNNING else run.get("outcome")
    reason = f" ({run['finish_reason']})" if run.get("finish_reason") else ""
    return (f"run {run['_id'][:8]} {run['spider']}: {state}{reason}, {run.get('articles_stored', 0)} stored, "
            f"started {iso(run['started_at'])}")


class Command(StoreCommand):
    reads_only = True

    def short_desc(self) -> str:
        return "List stored articles and recent crawl runs"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        # Here, not at the top: Scrapy imports every command's module for any command, a crawl too.
        from crawler.export.options import add_query_options

        add_query_options(parser)
        parser.add_argument("--limit", type=at_least(1), default=20, help="how many articles (default 20)")
        parser.add_argument("--json", action="store_true",
                            help="print the records as JSON lines (as scrapy export --format jsonl writes them)")

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        super().check(args, opts)
        from crawler.export.options import query_from

        self.query = query_from(opts)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        store = self.open_store(word_index=self.query.search is not None)
        if store is None:
            return
        try:
            check_sites(store, self.query.sites)
            self._print(store, opts, self.query.filter())
        except BrokenPipeError:
            raise  # the reader (``| head``) has all it wanted: quiet (crawler.cli)
        except store_errors() as exc:
            self.stopped("listing", exc)
        finally:
            store.close()

    @staticmethod
    def _print(store: ArticleStore, opts: argparse.Namespace, query: dict[str, Any]) -> None:
        from crawler.export.records import json_line

        articles = store.latest_articles(limit=opts.limit, query=query)
        if opts.json:
            sys.stdout.writelines(json_line(doc) + "\n" for doc in articles)
            return
        out = sys.stdout
        out.write(f"{store.count_articles(query=query)} articles in {store.target.describe()}\n")
        for doc in articles:
            out.write(_summary(doc) + "\n")
        now = datetime.now(UTC)
        out.writelines(run_line(run, now) + "\n" for run in store.latest_runs())
