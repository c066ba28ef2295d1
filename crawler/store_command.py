"""Base of the project commands over the configured store (outside
``crawler.commands`` because Scrapy turns every command class found there into a command)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.storage.component import connect
from crawler.storage.store import ArticleStore, StoreUnavailable


class StoreCommand(ScrapyCommand):
    """A command over the configured store (embedded or ``MONGO_URI``)."""

    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options]"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Scrapy passes the options no command declares on as arguments: these commands take none."""
        super().process_options(args, opts)
        if args:
            raise UsageError(f"unrecognized arguments: {' '.join(args)}", print_help=False)

    def open_store(self) -> ArticleStore | None:
        """The store, or None (with one line on stderr and exit code 1) when it cannot be reached."""
        assert self.settings is not None
        try:
            return connect(self.settings)
        except StoreUnavailable as exc:
            sys.stderr.write(f"{exc}\n")
            self.exitcode = 1
            return None
