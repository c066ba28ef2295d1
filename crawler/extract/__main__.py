"""``python -m crawler.extract PATH_OR_URL [--url URL] [--site NAME | --generic]``: print an
article's extracted fields as JSON, its paragraphs cleaned as the crawl cleans them.

PATH_OR_URL is a saved HTML file (``-`` for standard input) or an http(s) URL
to fetch. ``--url`` gives the page's address when reading a file (it decides
the site, its edition, and resolves relative links): the bundled site whose
domains hold it supplies selectors and time zone, as in the crawl. ``--site``
applies a bundled site config, or a config file path, instead; ``--generic``
the generic rules alone. A source that is no HTML page (JSON, a feed, plain
text, a PDF, an empty file) is said so in one line, with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from crawler.charsets import read_page
from crawler.extract.article import extract_article
from crawler.extract.cleanup import clean_paragraphs
from crawler.identity import USER_AGENT
from crawler.sites import GENERIC, Generic, SiteConfig, SiteConfigError, load_site, load_site_file


def _site(name: str | None, generic: bool) -> SiteConfig | Generic | None:
    if generic:
        return GENERIC
    if not name:
        return None  # the bundled site of the page's URL, if any
    return load_site_file(name) if name.endswith(".toml") else load_site(name)


def _read(source: str) -> tuple[str, str | None]:
    """(decoded HTML, fetched URL or None) of a file, ``-`` or a URL, decoded as the crawl decodes a page."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=30) as response:
            content_type = response.headers.get("Content-Type")
            return read_page(response.read(), content_type, response.geturl()), response.geturl()
    raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    return read_page(raw), None


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.extract", description=__doc__.splitlines()[0])
    parser.add_argument("source", help="HTML file, - for stdin, or an http(s) URL")
    parser.add_argument("--url", help="the page's URL when reading a file")
    rules = parser.add_mutually_exclusive_group()
    rules.add_argument("--site", help="bundled site name or a site config .toml (default: the site of the URL)")
    rules.add_argument("--generic", action="store_true", help="the generic rules alone, whatever the URL")
    args = parser.parse_args(argv)
    try:
        site = _site(args.site, args.generic)
        html, fetched_url = _read(args.source)
    except (OSError, SiteConfigError) as exc:
        parser.error(str(exc))
    url = args.url or fetched_url or (site.editions[0].home if isinstance(site, SiteConfig) else "http://localhost/")
    extraction = extract_article(html, url, site)
    if extraction.not_html:
        parser.exit(1, f"{parser.prog}: {args.source} is no HTML page ({extraction.not_html}): no article\n")
    record = extraction.as_dict()
    record["paragraphs"], _ = clean_paragraphs(record["paragraphs"], record["images"], authors=record["authors"])
    sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2, default=_jsonable) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
