"""The one date a page labels as its publication's: "Published: 14 March 2025", "Posted on",
"Опубликовано", "Жарияланды", or an HTML5 ``<time pubdate>``.

A page states its publication date with a label wherever its template puts the date (beside the
headline, under the body, in a side column); teaser lists label their dates the same way, so the label
counts only when every labelled date on the page names the same day. The date must follow its label
closely (in the label's own text, or the next few texts in document order), never "Published by ...".

Pure: an lxml tree in, a datetime out; no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from itertools import islice

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["labelled_date"]

# A label at the start of an element's text, looked for in the HTML before the tree is read: most pages
# have none, and a regular expression over the HTML costs a tenth of an XPath over every text node.
_IN_HTML = re.compile(r">\s*(?:[Oo]riginally\s+|[Ff]irst\s+)?(?:[Pp]ublished|PUBLISHED|[Pp]osted|POSTED|[Оо]публикован|"
                      r"ОПУБЛИКОВАН|[Дд]ата публикации|[Жж]ариялан|ЖАРИЯЛАН|[Жж]арыялан|ЖАРЫЯЛАН|[Cc]hop etil)")
# Then the text nodes that may hold one (outside scripts), found in C before any Python regex runs.
_CANDIDATES = etree.XPath(
    "//text()[(contains(., 'ublished') or contains(., 'UBLISHED') or contains(., 'osted') or contains(., 'OSTED')"
    " or contains(., 'публиков') or contains(., 'ПУБЛИКОВ') or contains(., 'ариялан') or contains(., 'АРИЯЛАН')"
    " or contains(., 'арыялан') or contains(., 'АРЫЯЛАН') or contains(., 'hop etil'))"
    " and not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]")
_PUBDATE = etree.XPath("//time[@pubdate]/@datetime")
_LABEL = re.compile(
    r"^\s*(?:originally\s+|first\s+)?(?:published|posted|опубликовано|опубликован|дата\s+публикации|"
    r"жарияланды|жарияланған\s+уақыты|жарыяланды|chop\s+etildi|chop\s+etilgan\s+sana)"
    r"(?:\s+(?:on|at|в))?\s*:?\s*", re.IGNORECASE)
_FOLLOWING = "(descendant::text() | following::text())[normalize-space()][position() <= 5]"
_FOLLOWING_TAIL = "following::text()[normalize-space()][position() <= 5]"
MAX_LABELS = 20  # labelled dates read on one page (a teaser list labels each of its items)
DATE_OFFSET_CHARS = 30  # the date starts at most this far after its label ("Published | Publish date 15 May")
FOLLOWING_CHARS = 120  # text read after a label for its date

Parse = Callable[[str], tuple[datetime, str] | None]  # a text -> (UTC datetime, the raw date string)


def labelled_date(html: str, root: HtmlElement, parse: Parse) -> tuple[datetime, str] | None:
    """(UTC datetime, raw string) of the date the page (``html``, parsed as ``root``) labels as its
    publication's, or None when it labels none, or dates of different days (a list of teasers)."""
    if "pubdate" not in html and _IN_HTML.search(html) is None:
        return None
    found: list[tuple[datetime, str]] = []
    for attribute in islice(_PUBDATE(root), MAX_LABELS):
        dated = parse(str(attribute))
        if dated is not None:
            found.append(dated)
    for text in islice(_CANDIDATES(root), MAX_LABELS):
        dated = _after_label(text, parse)
        if dated is not None:
            found.append(dated)
    days = {value.date() for value, _ in found}
    return found[0] if len(days) == 1 else None


def _after_label(text: str, parse: Parse) -> tuple[datetime, str] | None:
    """The date right after the label that starts ``text`` (an lxml text node), if it is one: in the
    label's own text, else in the next texts ("<h4>Published</h4><time>...", "Published <time>...")."""
    label = _LABEL.match(text)
    if label is None:
        return None
    rest = text[label.end():].strip()
    owner = getattr(text, "getparent", lambda: None)()
    if not rest and owner is not None:
        # The label's text node is among those read: everything after it is what follows the label.
        following = owner.xpath(_FOLLOWING if getattr(text, "is_text", False) else _FOLLOWING_TAIL)
        joined = " ".join(t.strip() for t in following if t.strip())
        rest = joined[joined.find(text.strip()) + len(text.strip()):].strip()
    dated = parse(rest[:FOLLOWING_CHARS])
    if dated is None or rest.find(dated[1]) > DATE_OFFSET_CHARS:
        return None
    return dated
