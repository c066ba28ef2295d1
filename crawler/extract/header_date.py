"""The date printed in an article's header: the byline or dateline next to its headline.

A page with no date rules for it (no JSON-LD, no meta, no site selector) still prints its date beside
the headline: ``<h1>`` then "14 марта 2025, 10:15 | Политика", or a category and "2025-nji ýylyň
14-nji marty" above it. This reads that neighbourhood only, never the whole page, so a teaser's or a
sidebar's date cannot stand in for the article's: the short texts just above the headline in its
header block, then the short texts after it until the body begins (a long paragraph, or a second
long text after a lead), then the dateline that opens the body ("BISHKEK, 14 March 2025 — ...").
Text in navigation, forms, photo captions, blocks classed as teasers, related or latest news or
sidebars, and teaser cards (a link holding a heading) is not read; a ``<time datetime>`` is read by its attribute first.

:func:`drop_chrome` takes the same blocks (and asides and footers outside the article) out of a
tree before a whole-page date search (htmldate), which then cannot take another page's date.

Pure: lxml trees in, a datetime out; no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cached_property
from itertools import islice
from typing import Any, TypeVar

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.date_noise import marks_modification
from crawler.extract.page_regions import (
    MarkedAncestry,
    is_chrome_mark,
    is_comment_mark,
    is_outside_article_tag,
    is_teaser_card,
)

__all__ = ["HeaderZone", "drop_chrome", "header_date"]

# The article's headline, not a logo's <h1>: the first <h1> in an <article>, else in a <main>, else the
# first element marked as the headline, else the first <h1>.
_H1 = etree.XPath("//h1")
_MARKED_HEADLINE = etree.XPath("(/descendant::*[@itemprop='headline'][not(self::meta)])[1]")
HEADER_BLOCK_CHARS = 300  # a block before the headline this long is a teaser list or a lead, not its byline
HEADER_BLOCK_LEVELS = 3
BLOCKS_BEFORE = 4  # a header has a few lines above its headline (breadcrumbs, category, date); more is a list
SHORT_TEXT_CHARS = 100  # longer texts are the lead or the body, whose dates are about the news, not the article
PARAGRAPH_CHARS = 80  # a <p> longer than a byline is the body's
LONG_TEXTS_AFTER = 2  # a lead, then the body: what follows is its captions, subheads and teasers
DATELINE_CHARS = 80  # the body's opening dateline ends with a dash this early
DATELINE_WORDS = 8  # place, date, time, agency: no sentence
# ... or with the agency after the date, between slashes or in brackets ("БИШКЕК, 5 декабря 2025. /Кабар/.",
# "Toshkent, 5 dekabr (UzA).", "ДУШАНБЕ, 5 декабри. /АМИТ «Ховар»/.")
_DATELINE = re.compile(rf"^(.{{4,{DATELINE_CHARS}}}?)(?:\s*[—–]|\s+-|\.?\s*/[^/\s][^/]{{0,40}}/|"
                       r"\.?\s*\([^()\s][^()]{0,30}\))(?:\s|[.,:]|$)")
LEAD_CLASS = re.compile(r"lead|intro|excerpt|subtitle|description|summary|anons", re.IGNORECASE)

_D = TypeVar("_D", bound=tuple[Any, ...])
Parse = Callable[[str], _D | None]  # a text -> (UTC datetime, the date's raw string, ...)
MAX_ELEMENTS_AFTER = 400  # elements looked at past the headline (a mega-menu can follow it)


def header_date(root: HtmlElement, parse: Parse[_D], zone: HeaderZone | None = None) -> _D | None:
    """What ``parse`` reads in the first text beside the headline that has a date (its UTC datetime, raw
    string, ...), or None.

    ``parse`` reads one text: a ``<time datetime>`` value, or a run of short texts with a date in it. ``zone``:
    the page's header, its headline already found (a page's readers share one).
    """
    headline = zone.headline if zone is not None else _headline(root)
    if not isinstance(headline, HtmlElement):
        return None
    chrome = _Chrome(headline)
    for text in (*_before(headline, chrome), *_after(headline, chrome)):
        found = parse(text)
        if found is not None:
            return found
    return None


class HeaderZone:
    """Where the article's byline stands on one page: outside page chrome and comments, in the headline's header
    block above it, or after it before the body's first paragraph (``element in zone``). A "By ..." line in a
    teaser list, a comment or an author box below the article is another's. Worked out once per page, so
    asking about every byline candidate costs a walk up from each, not a walk of the page."""

    def __init__(self, root: HtmlElement) -> None:
        headline = _headline(root)
        self.headline = headline if isinstance(headline, HtmlElement) else None
        self.above = set(self.headline.iterancestors()) if self.headline is not None else set()
        self._answers: dict[str, dict[HtmlElement, bool]] = {}

    @cached_property
    def _after(self) -> set[HtmlElement]:
        """The elements after the headline, up to and with the body's first paragraph."""
        found: set[HtmlElement] = set()
        for node in islice(_elements_after(self.headline), MAX_ELEMENTS_AFTER) if self.headline is not None else ():
            found.add(node)  # the first paragraph too: a long byline ends the header as a paragraph would
            if _is_paragraph(node):
                break
        return found

    @cached_property
    def _blocks(self) -> dict[HtmlElement, tuple[int, dict[HtmlElement, int]]]:
        """Each parent of the headline's header blocks (it, then up to HEADER_BLOCK_LEVELS - 1 ancestors): the
        block's position among its siblings and every sibling's."""
        blocks: dict[HtmlElement, tuple[int, dict[HtmlElement, int]]] = {}
        block = self.headline
        for _ in range(HEADER_BLOCK_LEVELS):
            parent = block.getparent() if block is not None else None
            if parent is None:
                break
            positions = {child: n for n, child in enumerate(parent)}
            blocks[parent] = (positions[block], positions)
            if parent.tag in ("body", "html"):
                break
            block = parent
        return blocks

    def __contains__(self, element: HtmlElement) -> bool:
        if element is self.headline:
            return False
        if self._known(element, self._outside):
            return False
        if self.headline is None:  # no headline to place it by: outside chrome is all there is
            return True
        if element in self._after:
            return True
        return self._known(element, self._before)  # in a block before the headline's, in its header block

    def _outside(self, node: HtmlElement) -> bool | None:
        """True when ``node`` (not an ancestor of the headline) is chrome, a comment or other articles; None: ask
        its parent."""
        return True if node not in self.above and _outside_article(node) else None

    def _before(self, node: HtmlElement) -> bool | None:
        """Whether ``node``, a child of a header block's parent, comes before the headline's block; None: not one."""
        parent = node.getparent()
        if parent in self._blocks:
            block_at, positions = self._blocks[parent]
            return positions[node] < block_at
        return None

    def _known(self, element: HtmlElement, ask: Callable[[HtmlElement], bool | None]) -> bool:
        """The first answer ``ask`` gives for ``element`` or its ancestors (False when none does), remembered for
        each node walked: candidates deep in one page share their ancestors, walked once (not once each)."""
        known = self._answers.setdefault(ask.__name__, {})
        walked: list[HtmlElement] = []
        answer: bool | None = None
        node: HtmlElement | None = element
        while node is not None:
            answer = known.get(node)
            if answer is None:
                answer = ask(node)
                walked.append(node)
            if answer is not None:
                break
            node = node.getparent()
        for node in walked:
            known[node] = bool(answer)
        return bool(answer)


def _outside_article(node: HtmlElement) -> bool:
    """Whether ``node`` is page chrome, a comment or a block of other articles (a teaser list, an aside)."""
    if not isinstance(node.tag, str):
        return True
    return is_chrome_mark(node) or is_outside_article_tag(node) or is_comment_mark(node)


def _headline(root: HtmlElement) -> HtmlElement | None:
    """The article's headline element (see :data:`_H1`)."""
    h1s = _H1(root)
    for container in ("article", "main"):
        found = next((h1 for h1 in h1s if any(a.tag == container for a in h1.iterancestors())), None)
        if found is not None:
            return found
    marked = _MARKED_HEADLINE(root)
    return marked[0] if marked else (h1s[0] if h1s else None)


class _Chrome(MarkedAncestry):
    """Which elements lie in page chrome or a teaser card: it or an ancestor below the headline's blocks is
    marked so."""

    def __init__(self, headline: HtmlElement) -> None:
        # Blocks that hold the headline (a page-wide <form>, a has-sidebar wrapper) are not chrome.
        super().__init__(_chrome_or_card, stop=set(headline.iterancestors()))


def _chrome_or_card(node: HtmlElement) -> bool:
    return is_chrome_mark(node) or is_teaser_card(node)


def _texts(node: HtmlElement) -> Iterator[str]:
    """A ``<time datetime>``'s value, then the element's own text, stripped; nothing of an element marked as
    the modification date."""
    if marks_modification(node):
        return
    if isinstance(node.tag, str) and node.tag.lower() == "time" and node.get("datetime"):
        yield node.get("datetime", "").strip()
    if node.text and node.text.strip():
        yield node.text.strip()


def _before(headline: HtmlElement, skipped: _Chrome) -> list[str]:
    """The short texts just before the headline, as one text: its preceding siblings, then its parent's,
    a few levels up but never out of its ``<article>``/``<main>``, stopping at a long text."""
    texts: list[str] = []  # nearest first
    node = headline
    budget = HEADER_BLOCK_CHARS
    for _ in range(HEADER_BLOCK_LEVELS):
        for sibling in node.itersiblings(preceding=True):
            if not isinstance(sibling.tag, str) or skipped(sibling):
                continue
            text = _bounded(_subtree_texts(sibling, skipped), budget)
            if text is None:  # a teaser list or a lead: the header is after it
                return [" ".join(texts[::-1])] if texts else []
            if text:
                texts.append(text)
                budget -= len(text)
            if len(texts) > BLOCKS_BEFORE:  # a list of teasers, not a header: none of them is the article's
                return []
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html", "article", "main"):
            break
        if parent.text and parent.text.strip():
            texts.append(parent.text.strip())
        node = parent
    return [" ".join(texts[::-1])] if texts else []


def _bounded(texts: Iterator[str], budget: int) -> str | None:
    """The texts joined, or None as soon as they pass ``budget`` characters (read no further)."""
    kept: list[str] = []
    for text in texts:
        budget -= len(text) + 1
        if budget < 0:
            return None
        kept.append(text)
    return " ".join(kept)


def _subtree_texts(node: HtmlElement, skipped: _Chrome) -> Iterator[str]:
    """The texts of ``node`` and its descendants outside chrome, then its tail, in document order."""
    for element in node.iter():
        if not isinstance(element.tag, str) or skipped(element):
            continue
        yield from _texts(element)
        if element is not node and element.tail and element.tail.strip():
            yield element.tail.strip()
    if node.tail and node.tail.strip():
        yield node.tail.strip()


def _after(headline: HtmlElement, skipped: _Chrome) -> Iterator[str]:
    """Runs of short texts after the headline, in document order, until the body has begun: a long
    paragraph (``<p>``), or a second long text of any kind (a lead, then the body; a repeated lead counts once)."""
    long_texts = 0
    window: list[str] = []
    seen_long: set[str] = set()
    standfirst: HtmlElement | None = None
    first = True
    for text, element in _following(headline, skipped):
        if standfirst is not None and (element is standfirst or standfirst in element.iterancestors()):
            continue  # the standfirst's own words (a link, an emphasis in it), not a byline
        if _is_paragraph(element):
            if window:
                yield " ".join(window)
                window = []
            if standfirst is None:
                yield from _dateline(element)
            if not first:
                break
            # The first text under the headline is a long paragraph: the standfirst, with the byline and its date
            # after it ("<h1>, <p>lead</p>, By X · 23.07.2025"), or the body's opening paragraph. The next
            # paragraph ends the header either way.
            standfirst, first = element, False
            long_texts += 1
            continue
        first = False
        if len(text) <= SHORT_TEXT_CHARS:
            window.append(text)
            continue
        if text in seen_long:  # the same lead again (a template's mobile copy) is no second long text
            continue
        seen_long.add(text)
        long_texts += 1
        if window:
            yield " ".join(window)
            window = []
        if long_texts >= LONG_TEXTS_AFTER:
            return
    if window:
        yield " ".join(window)


def _dateline(paragraph: HtmlElement) -> Iterator[str]:
    """The dateline that opens the body's first paragraph, if it has one: a few words with a number in
    them, then a dash ("BISHKEK, 14 March 2025 — ...", "Астана. 14 марта 2025 г. –")."""
    opening = " ".join(paragraph.text_content()[:DATELINE_CHARS * 2].split())
    match = _DATELINE.match(opening)
    if match and any(c.isdigit() for c in match[1]) and len(match[1].split()) <= DATELINE_WORDS:
        yield match[1]


def _is_paragraph(element: HtmlElement) -> bool:
    """Whether ``element`` is a body paragraph: a ``<p>`` that is no lead, longer than a byline."""
    # Its words only: a template indents a short byline <p> with more whitespace than it has text.
    return (element.tag == "p" and _words_longer(element.text_content(), PARAGRAPH_CHARS)
            and not LEAD_CLASS.search(element.get("class") or ""))


def _words_longer(text: str, chars: int) -> bool:
    """Whether ``text`` with its whitespace runs as single spaces is longer than ``chars``."""
    if len(text) <= chars:  # the common case, decided without splitting
        return False
    return len(" ".join(text.split())) > chars


def _following(headline: HtmlElement, skipped: _Chrome) -> Iterator[tuple[str, HtmlElement]]:
    """(text, the element it is in) after the headline ends, in document order, outside page chrome."""
    parent = headline.getparent()
    if headline.tail and headline.tail.strip() and parent is not None:
        yield headline.tail.strip(), parent
    for node in islice(_elements_after(headline), MAX_ELEMENTS_AFTER):
        if not isinstance(node.tag, str):
            continue
        if not skipped(node):
            yield from ((text, node) for text in _texts(node))
        parent = node.getparent()
        if node.tail and node.tail.strip() and parent is not None and not skipped(parent):
            yield node.tail.strip(), parent


def _elements_after(headline: HtmlElement) -> Iterator[HtmlElement]:
    """The elements after the headline ends, in document order, lazily (XPath's ``following::*``)."""
    node: HtmlElement | None = headline
    while node is not None:
        for sibling in node.itersiblings():
            yield from sibling.iter()
        node = node.getparent()


_IN_ARTICLE = etree.XPath("boolean(ancestor::article | ancestor::main)")
_HOLDS_ARTICLE = etree.XPath("boolean(descendant::h1 | descendant::article | descendant::main)")


def drop_chrome(root: HtmlElement) -> HtmlElement:
    """``root`` without its navigation, asides, footers and teaser blocks (in place): what a date
    search may read when the header has no date. A block that holds the headline, an ``<article>``
    or ``<main>`` is the page's own, whatever its class says (a ``has-sidebar`` wrapper)."""
    nodes = list(root.iter())
    at = 0
    while at < len(nodes):
        node = nodes[at]
        at += 1
        if not isinstance(node.tag, str):
            continue
        chrome = _chrome_or_card(node) or (is_outside_article_tag(node) and not _IN_ARTICLE(node))
        # Most elements are no chrome: the page's frame (its root, <head>, <body>) is told apart only from those.
        if (chrome and node.tag not in ("script", "style", "html", "head", "body") and node.getparent() is not None
                and not _HOLDS_ARTICLE(node)):
            # What the block holds goes with it: its nodes, next in document order, are not looked at.
            at += sum(1 for _ in node.iter()) - 1
            node.drop_tree()  # keeps the tail: text after the block is not the block's
    return root
