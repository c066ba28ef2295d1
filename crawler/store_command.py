"""Base of the project commands over the configured store (outside
``crawler.commands`` because Scrapy turns every command class found there into a command)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.exceptions import UsageError

from crawler.cli import CheckedCommand
from crawler.storage.component import connect
from crawler.storage.store import ArticleStore, StoreUnavailable


class StoreCommand(CheckedCommand):
    """A command over the configured store (embedded or ``MONGO_URI``); it takes options only."""

    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options]"

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected argument {args[0]!r}: this command takes options only (see --help)",
                             print_help=False)

    def open_store(self) -> ArticleStore | None:
        """The store, or None (with one line on stderr and exit code 1) when it cannot be reached."""
        assert self.settings is not None
        try:
            return connect(self.settings)
        except StoreUnavailable as exc:
            sys.stderr.write(f"{exc}\n")
            self.exitcode = 1
            return None
