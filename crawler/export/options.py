"""The article filters ``scrapy export`` and ``scrapy articles`` share, as command-line options."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from crawler.export.query import ArticleQuery, QueryError


def add_query_options(parser: argparse.ArgumentParser) -> None:
    """``--site``, ``--language``, ``--since`` and ``--search``."""
    parser.add_argument("--site", help="only these sites (comma-separated)")
    parser.add_argument("--language", help="only articles in these languages (ISO 639-1, comma-separated)")
    parser.add_argument("--since", help="published on or after this day (YYYY-MM-DD) or ISO 8601 time")
    parser.add_argument("--search", metavar="TEXT",
                        help="only articles with any of these words in their title or body (whole words)")


def query_from(opts: argparse.Namespace) -> ArticleQuery:
    """The article query of the options; a value that is not a date is a usage error (exit 2)."""
    try:
        return ArticleQuery.from_options(site=opts.site, language=opts.language, since=opts.since,
                                         until=getattr(opts, "until", None), search=opts.search,
                                         originals_only=getattr(opts, "story_originals_only", False))
    except QueryError as exc:
        raise UsageError(str(exc), print_help=False) from None
