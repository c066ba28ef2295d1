"""CPU of the sanitizer's element removal, lxml_html_clean's Cleaner against :func:`crawler.sanitize._clean`.

    .venv/bin/python scripts/bench_sanitize.py [--step 1] [--rounds 3]

Over the extraction benchmark's pages (../shared/benchmarks/article-extraction, every ``--step``-th), timed in
turn page after page (so load on the machine weighs on both alike): the removal alone on each freshly parsed
page, and the whole inert-HTML stage (:func:`~crawler.sanitize.inert_html`: parse, removal, attribute pass,
serialisation) with each. Prints CPU ms per page, the best round of each, and checks both store the same bytes.
A development tool: the reference Cleaner (:func:`crawler.sanitize.reference_cleaner`) is the one
``tests/test_sanitize_clean.py`` compares with.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml.html import HtmlElement, document_fromstring  # noqa: E402

from crawler import sanitize  # noqa: E402
from crawler.htmltree import HtmlParser, parser_markup  # noqa: E402

BENCHMARK = ROOT.parent / "shared" / "benchmarks" / "article-extraction"
CLEANS: dict[str, Callable[[HtmlElement], None]] = {"Cleaner": sanitize.reference_cleaner(), "_clean": sanitize._clean}


def _removal_ms(html: str, clean: Callable[[HtmlElement], None]) -> float:
    document = document_fromstring(parser_markup(html), parser=HtmlParser())
    started = time.process_time()
    clean(document)
    return (time.process_time() - started) * 1000


def _inert_ms(html: str, clean: Callable[[HtmlElement], None]) -> tuple[float, str]:
    sanitize._clean = clean  # type: ignore[assignment]  # the stage as it was, or as it is
    try:
        started = time.process_time()
        stored = sanitize.inert_html(html)
        return (time.process_time() - started) * 1000, stored
    finally:
        sanitize._clean = CLEANS["_clean"]


def _round(pages: list[str], removal: dict[str, list[float]], inert: dict[str, list[float]]) -> None:
    """One round: each page by both, in turn (which goes first alternates), summed in ms per page."""
    spent = dict.fromkeys([*(("removal", name) for name in CLEANS), *(("inert", name) for name in CLEANS)], 0.0)
    for number, html in enumerate(pages):
        names = list(CLEANS) if number % 2 else list(reversed(CLEANS))
        stored = {}
        for name in names:
            spent["removal", name] += _removal_ms(html, CLEANS[name])
            ms, stored[name] = _inert_ms(html, CLEANS[name])
            spent["inert", name] += ms
        if len(set(stored.values())) != 1:
            sys.exit(f"page {number}: the two store different pages")
    for name in CLEANS:
        removal[name].append(spent["removal", name] / len(pages))
        inert[name].append(spent["inert", name] / len(pages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", type=int, default=1, help="every N-th benchmark page")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(BENCHMARK.rglob("*.html.gz"))[::args.step]
    if not paths:
        sys.exit(f"no pages under {BENCHMARK}")
    pages = [gzip.decompress(path.read_bytes()).decode("utf-8", "replace") for path in paths]
    removal: dict[str, list[float]] = {name: [] for name in CLEANS}
    inert: dict[str, list[float]] = {name: [] for name in CLEANS}
    for _ in range(args.rounds):
        _round(pages, removal, inert)
    print(f"{len(pages)} pages, {args.rounds} rounds; CPU ms per page (best round; every round)")
    for stage, spent in (("removal", removal), ("inert_html", inert)):
        for name, rounds in spent.items():
            print(f"  {stage:10s} {name:8s} {min(rounds):6.3f}  ({', '.join(f'{ms:.3f}' for ms in rounds)})")
    print("same stored pages: yes")


if __name__ == "__main__":
    main()
