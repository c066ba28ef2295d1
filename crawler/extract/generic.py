"""Generic body fallback for pages the site rules do not cover.

trafilatura is the strongest maintained open-source main-text extractor. It is
run twice, in precision mode and in its balanced mode, and the precise text is
kept unless it lost more than 30 % of the balanced one (then precision mode cut
real paragraphs). On the article-extraction benchmark this beats either mode
alone (see ``python -m crawler.bench.extraction``). It only runs when the
site's selectors find no body.

trafilatura's work grows faster than the page on some shapes (a minute for
100,000 links or 50,000 paragraphs), so a page larger than any real article
page is cut to its first :data:`~crawler.limits.GENERIC_MAX_ELEMENTS` elements
and :data:`~crawler.limits.GENERIC_MAX_CHARS` characters of text first, and
read by one pass without fallbacks.
"""

from __future__ import annotations

import logging
from copy import deepcopy

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from crawler.limits import GENERIC_MAX_CHARS, GENERIC_MAX_ELEMENTS, GENERIC_MAX_HTML_CHARS
from crawler.text import normalize_text

KEEP_PRECISE_RATIO = 0.7
_NOT_TEXT = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "head")

# Scrapy leaves the root logger at NOTSET, so these libraries' debug records (thousands
# per page) were built and then thrown away: a few per cent of a crawl's CPU.
for _name in ("trafilatura", "readability_lxml", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.INFO)


def _trafilatura(html: str, url: str, favor_precision: bool, fast: bool = False) -> list[str]:
    text = trafilatura.extract(
        html, url=url, output_format="txt", include_comments=False, include_tables=True,
        include_images=False, favor_precision=favor_precision, deduplicate=False, fast=fast,
    )
    # trafilatura marks list items with "- "; the site rules keep items without it.
    return [p for p in (normalize_text(line).removeprefix("- ") for line in (text or "").splitlines()) if p]


def generic_paragraphs(html: str, url: str) -> list[str]:
    """Main-text paragraphs of ``html``, or an empty list."""
    balanced = _trafilatura(html, url, favor_precision=False)
    precise = _trafilatura(html, url, favor_precision=True)
    if sum(map(len, precise)) >= KEEP_PRECISE_RATIO * sum(map(len, balanced)):
        return precise
    return balanced


def oversized_page_paragraphs(root: HtmlElement, url: str) -> list[str]:
    """Main-text paragraphs of a page larger than any real article page (parsed as ``root``): from a
    bounded copy of it, in one pass without trafilatura's fallback extractors (a third of the work)."""
    return _trafilatura(bounded_html(root), url, favor_precision=False, fast=True)


def is_oversized(html: str, root: HtmlElement) -> bool:
    """Whether a page (``html`` parsed as ``root``) is larger than any real article page."""
    return len(html) > GENERIC_MAX_HTML_CHARS or int(root.xpath("count(//*)")) > GENERIC_MAX_ELEMENTS


def bounded_html(root: HtmlElement) -> str:
    """A copy of the page ``root`` without scripts and styles, cut to its first elements and
    characters of text in document order."""
    copy = deepcopy(root)
    # What the extractor throws away anyway must not use up the elements it is given.
    etree.strip_elements(copy, *_NOT_TEXT, with_tail=False)
    cut_after(copy, GENERIC_MAX_ELEMENTS, GENERIC_MAX_CHARS)
    return str(etree.tostring(copy, encoding="unicode", method="html"))


def cut_after(root: HtmlElement, max_elements: int, max_chars: int) -> None:
    """Remove from ``root`` everything past its first ``max_elements`` nodes or ``max_chars`` characters of text."""
    chars = 0
    for count, node in enumerate(root.iter()):
        text_room = max_chars - chars
        chars += len(node.text or "") + len(node.tail or "")
        if count >= max_elements or chars > max_chars:
            break
    else:
        return
    if count < max_elements and node.text and text_room > 0:  # the cut falls in this node's text: keep its start
        node.text, node.tail = node.text[:text_room], None
        for child in list(node):
            node.remove(child)
        node = _next_in_order(node)
    _remove_from(node)


def _next_in_order(node: HtmlElement) -> HtmlElement | None:
    """The node after ``node`` and its descendants in document order."""
    while node is not None:
        following = node.getnext()
        if following is not None:
            return following
        node = node.getparent()
    return None


def _remove_from(node: HtmlElement | None) -> None:
    """Remove ``node`` and every node after it in document order (the root stays)."""
    while node is not None:
        parent = node.getparent()
        if parent is None:
            return
        for later in [node, *node.itersiblings()]:
            parent.remove(later)
        node = _next_in_order(parent)
