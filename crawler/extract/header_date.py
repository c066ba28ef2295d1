"""The date printed in an article's header: the byline or dateline next to its headline.

A page with no date rules for it (no JSON-LD, no meta, no site selector) still prints its date beside
the headline: ``<h1>`` then "14 марта 2025, 10:15 | Политика", or a category and "2025-nji ýylyň
14-nji marty" above it. This reads that neighbourhood only, never the whole page, so a teaser's or a
sidebar's date cannot stand in for the article's: the short texts just above the headline inside its
own small header block, then the short texts after it until the lead or the body begins (the first
long text). Text in navigation, asides, footers, forms, photo captions and blocks classed as teasers,
related links or widgets is not read; a ``<time datetime>`` is read by its attribute first.

Pure: lxml trees in, a datetime out; no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

from lxml.html import HtmlElement

__all__ = ["header_date"]

HEADLINE_XPATH = "(//article//h1 | //main//h1 | //*[@itemprop='headline'] | //h1)[1]"
SKIPPED = frozenset({"script", "style", "noscript", "template", "nav", "aside", "footer", "form", "button",
                     "select", "option", "figcaption", "textarea"})
HEADER_BLOCK_CHARS = 1_000  # a headline's own header block is small: a bigger ancestor holds more than the header
HEADER_BLOCK_LEVELS = 3
SHORT_TEXT_CHARS = 200  # longer texts are the lead or the body, whose dates are about the news, not the article
LONG_TEXTS_AFTER = 1  # the lead or the body has begun: what follows is its captions, subheads and teasers
# Blocks of other articles' links that a template can put between a headline and its body.
TEASER_CLASS = re.compile(r"related|teaser|also|recommend|popular|latest|most-read|sidebar|widget|banner|share"
                          r"|comment|breadcrumb|menu|ticker", re.IGNORECASE)

Parse = Callable[[str], tuple[datetime, str] | None]  # a text -> (UTC datetime, the date's raw string)
MAX_ELEMENTS_AFTER = 400  # elements looked at past the headline (a mega-menu can follow it)


def header_date(root: HtmlElement, parse: Parse) -> tuple[datetime, str] | None:
    """(UTC datetime, raw string) of the date printed beside the headline, or None.

    ``parse`` reads one text: a ``<time datetime>`` value, or a run of short texts with a date in it.
    """
    headlines = root.xpath(HEADLINE_XPATH)
    if not headlines or not isinstance(headlines[0], HtmlElement):
        return None
    headline = headlines[0]
    for text in (*_before(headline), *_after(headline)):
        found = parse(text)
        if found is not None:
            return found
    return None


def _skipped(node: HtmlElement | None, above: set[HtmlElement]) -> bool:
    """Whether ``node`` lies in page chrome. Blocks that hold the headline (``above``: a page-wide
    ``<form>``, a ``has-sidebar`` wrapper) are not chrome, so the walk up stops at them."""
    while node is not None and node not in above:
        if isinstance(node.tag, str) and node.tag.lower() in SKIPPED:
            return True
        if TEASER_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
        node = node.getparent()
    return False


def _texts(node: HtmlElement) -> Iterator[str]:
    """A ``<time datetime>``'s value, then the element's own text, stripped."""
    if isinstance(node.tag, str) and node.tag.lower() == "time" and node.get("datetime"):
        yield node.get("datetime", "").strip()
    if node.text and node.text.strip():
        yield node.text.strip()


def _header_block(headline: HtmlElement) -> HtmlElement | None:
    """The headline's largest ancestor (a few levels up) that is still a small header block."""
    block = None
    for level, ancestor in enumerate(headline.iterancestors()):
        if level >= HEADER_BLOCK_LEVELS or ancestor.tag in ("body", "html", "article", "main"):
            break
        if len(ancestor.text_content()) > HEADER_BLOCK_CHARS:
            break
        block = ancestor
    return block


def _before(headline: HtmlElement) -> list[str]:
    """The short texts before the headline inside its header block, as one text."""
    block = _header_block(headline)
    if block is None:
        return []
    above = set(headline.iterancestors())
    texts: list[str] = []
    for node in block.iterdescendants():
        if node is headline:
            break
        if not isinstance(node.tag, str) or node in above or _skipped(node, above):
            continue
        texts.extend(text for text in _texts(node) if len(text) <= SHORT_TEXT_CHARS)
        if node.tail and node.tail.strip() and not _skipped(node.getparent(), above):
            texts.append(node.tail.strip())
    return [" ".join(texts)] if texts else []


def _after(headline: HtmlElement) -> Iterator[str]:
    """Runs of short texts after the headline, in document order, until the body has begun."""
    long_texts = 0
    window: list[str] = []
    for text in _following(headline):
        if len(text) <= SHORT_TEXT_CHARS:
            window.append(text)
            continue
        long_texts += 1
        if window:
            yield " ".join(window)
            window = []
        if long_texts >= LONG_TEXTS_AFTER:
            return
    if window:
        yield " ".join(window)


def _following(headline: HtmlElement) -> Iterator[str]:
    """Texts after the headline ends, in document order, outside page chrome."""
    if headline.tail and headline.tail.strip():
        yield headline.tail.strip()
    above = set(headline.iterancestors())
    for seen, node in enumerate(headline.xpath("following::*")):
        if seen >= MAX_ELEMENTS_AFTER:
            return
        if not isinstance(node.tag, str):
            continue
        if not _skipped(node, above):
            yield from _texts(node)
        if node.tail and node.tail.strip() and not _skipped(node.getparent(), above):
            yield node.tail.strip()


def drop_chrome(root: HtmlElement) -> HtmlElement:
    """``root`` without its navigation, asides, footers and teaser blocks (in place): what a date
    search may read when the header has no date. A block that holds the headline, an ``<article>``
    or ``<main>`` is the page's own, whatever its class says (a ``has-sidebar`` wrapper)."""
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or node.tag in ("html", "head", "body") or node.getparent() is None:
            continue
        chrome = node.tag in SKIPPED or TEASER_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}")
        if chrome and not node.xpath("boolean(descendant::h1 | descendant::article | descendant::main)"):
            node.drop_tree()  # keeps the tail: text after the block is not the block's
    return root
