"""Base of the project commands over the configured store (outside
``crawler.commands`` because Scrapy turns every command class found there into a command)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.exceptions import UsageError

from crawler.cli import CheckedCommand, close_matches
from crawler.storage.component import connect
from crawler.storage.store import ArticleStore, StoreUnavailable, describe_error


class StoreCommand(CheckedCommand):
    """A command over the configured store (embedded or ``MONGO_URI``); it takes options only."""

    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
    # A command that only reads opens the store read-only: a user who may only read the store can run it.
    reads_only: ClassVar[bool] = False

    def syntax(self) -> str:
        return "[options]"

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected argument {args[0]!r}: this command takes options only (see --help)",
                             print_help=False)

    def open_store(self, word_index: bool = False, read_only: bool = False) -> ArticleStore | None:
        """The store, or None (with one line on stderr and exit code 1) when it cannot be reached (or, read-only,
        lacks the word index a word search, ``word_index``, needs). ``read_only``: this run only reads, whatever
        the command does otherwise (a dry run)."""
        assert self.settings is not None
        try:
            return connect(self.settings, read_only=self.reads_only or read_only, word_index=word_index)
        except StoreUnavailable as exc:
            sys.stderr.write(f"{exc}\n")
            self.exitcode = 1
            return None

    def stopped(self, what: str, exc: BaseException) -> None:
        """A failure of the store (or of the output) mid-command: one line on stderr, passwords masked, and exit
        code 1, not a traceback."""
        sys.stderr.write(f"The {what} stopped: {describe_error(exc)}\n")
        self.exitcode = 1


def check_sites(store: ArticleStore, sites: tuple[str, ...], configured: tuple[str, ...] = ()) -> None:
    """Refuse (usage error, exit 2) a ``--site`` name that is no bundled site, none of ``configured`` (the sites
    of the command's ``--config`` files) and names nothing stored: a typo (``--site asiaplsu``) read as "no
    articles" (exit 0) would let a script export nothing, every day."""
    from crawler.sites import site_names

    known = [*site_names(), *configured]
    for name in sites:
        if name not in known and not store.has_articles(name) and not store.latest_runs(limit=1, site=name):
            raise UsageError(f"--site {name}: no bundled site and nothing stored has that name"
                             f"{close_matches(name, known)}", print_help=False)
