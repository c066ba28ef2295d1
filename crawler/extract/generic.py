"""Generic body fallback for pages the site rules do not cover.

trafilatura is the strongest maintained open-source main-text extractor. It is
run twice, in precision mode and in its balanced mode, and the precise text is
kept unless it lost more than 30 % of the balanced one (then precision mode cut
real paragraphs). On the article-extraction benchmark this beats either mode
alone (see ``python -m crawler.bench.extraction``). It only runs when the
site's selectors find no body.
"""

from __future__ import annotations

import logging

import trafilatura

from crawler.text import normalize_text

KEEP_PRECISE_RATIO = 0.7

# Scrapy leaves the root logger at NOTSET, so these libraries' debug records (thousands
# per page) were built and then thrown away: a few per cent of a crawl's CPU.
for _name in ("trafilatura", "readability_lxml", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.INFO)


def _trafilatura(html: str, url: str, favor_precision: bool) -> list[str]:
    text = trafilatura.extract(
        html, url=url, output_format="txt", include_comments=False, include_tables=True,
        include_images=False, favor_precision=favor_precision, deduplicate=False,
    )
    # trafilatura marks list items with "- "; the site rules keep items without it.
    return [p for p in (normalize_text(line).removeprefix("- ") for line in (text or "").splitlines()) if p]


def generic_paragraphs(html: str, url: str) -> list[str]:
    """Main-text paragraphs of ``html``, or an empty list."""
    precise = _trafilatura(html, url, favor_precision=True)
    balanced = _trafilatura(html, url, favor_precision=False)
    if sum(map(len, precise)) >= KEEP_PRECISE_RATIO * sum(map(len, balanced)):
        return precise
    return balanced
