"""The one date a page labels as its publication's: "Published: 14 March 2025", "Posted on",
"Опубликовано", "Жарияланды", "Нашр шуд" (every label of :data:`crawler.extract.date_labels.PUBLISHED`),
or an HTML5 ``<time pubdate>``; never a date labelled an update's.

A page states its publication date with a label wherever its template puts the date (beside the
headline, under the body, in a side column); teaser lists label their dates the same way, so the label
counts only when every labelled date on the page names the same day. A label in a teaser card (a link
holding a heading) is another article's and not counted. The date must follow its label
closely (in the label's own text, or the next few texts in document order), never "Published by ...".

Pure: an lxml tree in, a datetime out; no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.date_labels import label_after_tag, published_label_start
from crawler.extract.page_regions import is_teaser_card

__all__ = ["FIRST_PUBLISHED", "first_published_date", "labelled_date"]

# The labels the page starts a text with (see :data:`~crawler.extract.date_labels.label_after_tag`), then
# the text nodes that start with one of them (outside scripts), found in C before any Python regex runs.
_EXCLUDED = "not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)"
_PUBDATE = etree.XPath("/descendant::time[@pubdate]/@datetime")
MAX_LABEL_FORMS = 8  # distinct label spellings looked for on one page
_FOLLOWING = "(descendant::text() | following::text())[normalize-space()][position() <= 5]"
_FOLLOWING_TAIL = "following::text()[normalize-space()][position() <= 5]"
MAX_LABELS = 20  # labelled dates read on one page (a teaser list labels each of its items)
DATE_OFFSET_CHARS = 30  # the date starts at most this far after its label ("Published | Publish date 15 May")
FOLLOWING_CHARS = 120  # text read after a label for its date

Parse = Callable[[str], tuple[datetime, str] | None]  # a text -> (UTC datetime, the raw date string)

# A sentence stating the first publication of a page that is kept up to date ("This article was originally
# published on 26 Sep 2019 at 4:12pm but has been regularly updated"): its date is the publication's, whatever
# date the header shows (the update's). Looked for as plain strings (C speed), capitalised or not.
FIRST_PUBLISHED = ("originally published", "first published", "впервые опубликовано", "впервые опубликован",
                   "первоначально опубликовано", "алғаш рет жарияланған", "алғаш жарияланған",
                   "биринчи жолу жарыяланган", "dastlab chop etilgan", "dastlab e'lon qilingan")
MAX_FIRST_PUBLISHED = 5  # statements read on one page
_TAG = re.compile(r"<[^<>]{0,2000}>")
# The rest of the phrase's last word ("опубликован|а"), then what joins it to its date ("on", "в", ":").
_JOINER = re.compile(r"^[^\W\d]*\s*(?:(?:on|in|at|в)(?!\w)|:|-)?\s*", re.IGNORECASE)


def labelled_date(html: str, root: HtmlElement, parse: Parse) -> tuple[datetime, str] | None:
    """(UTC datetime, raw string) of the date the page (``html``, parsed as ``root``) labels as its
    publication's, or None when it labels none, or dates of different days (a list of teasers)."""
    forms = _label_forms(html)
    if "pubdate" not in html and not forms:
        return None
    found: list[tuple[datetime, str]] = []
    for attribute in islice(_PUBDATE(root), MAX_LABELS):
        dated = parse(str(attribute))
        if dated is not None:
            found.append(dated)
    found.extend(_labelled(root, forms, parse))
    days = {value.date() for value, _ in found}
    return found[0] if len(days) == 1 else None


def _labelled(root: HtmlElement, forms: tuple[str, ...], parse: Parse) -> Iterator[tuple[datetime, str]]:
    """The dates right after the texts of ``root`` that start with one of ``forms``."""
    if not forms:
        return
    for text in islice(_candidates(forms)(root, **_variables(forms)), MAX_LABELS):
        dated = None if _in_teaser_card(text) else _after_label(text, parse)
        if dated is not None:
            yield dated


def _in_teaser_card(text: Any) -> bool:
    """Whether a label's text (an lxml text node) lies in a teaser card: another article's label, not counted
    against the page's own."""
    owner = getattr(text, "getparent", lambda: None)()
    if owner is not None and getattr(text, "is_tail", False):  # the text after an element lies in its parent
        owner = owner.getparent()
    if owner is None:
        return False
    return is_teaser_card(owner) or any(is_teaser_card(link) for link in owner.iterancestors("a"))


def _label_forms(html: str) -> tuple[str, ...]:
    """The labels, as spelt on the page, that start a text in ``html`` (its whitespace as one space)."""
    forms: dict[str, None] = {}
    for match in label_after_tag.finditer(html):
        forms.setdefault(" ".join(match["label"].split()), None)
        if len(forms) >= MAX_LABEL_FORMS:
            break
    return tuple(forms)


@lru_cache(maxsize=256)  # a page spells its labels as its template does: few spellings a site
def _candidates(forms: tuple[str, ...]) -> etree.XPath:
    """The text nodes that start with one of ``forms`` (passed as variables ``$l0``... to the XPath)."""
    starts = " or ".join(f"starts-with(normalize-space(.), $l{i})" for i in range(len(forms))) or "false()"
    return etree.XPath(f"/descendant::text()[({starts}) and {_EXCLUDED}]")


def _variables(forms: tuple[str, ...]) -> dict[str, str]:
    return {f"l{i}": form for i, form in enumerate(forms)}


def _after_label(text: str, parse: Parse) -> tuple[datetime, str] | None:
    """The date right after the label that starts ``text`` (an lxml text node), if it is one: in the
    label's own text, else in the next texts ("<h4>Published</h4><time>...", "Published <time>...")."""
    label = published_label_start.match(text)
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


def first_published_date(html: str, parse: Parse) -> tuple[datetime, str] | None:
    """(UTC datetime, raw string) of the date a sentence names as the page's first publication ("originally
    published on ..."), or None when the page states none, or states different days."""
    found: list[tuple[datetime, str]] = []
    read = 0  # statements read, dated or not: a hostile page repeats the phrase 100,000 times
    for phrase in FIRST_PUBLISHED:
        # Found without its first letter, then that letter checked in either case: one scan of the page a phrase.
        needle, first = phrase[1:], (phrase[0], phrase[0].upper())
        at = html.find(needle, 1)
        while at >= 0 and read < MAX_FIRST_PUBLISHED:
            end = at + len(needle)
            if html[at - 1] in first and not html[at - 2:at - 1].isalpha():
                read += 1
                # The text after the phrase, tags taken out: "on <time>26 Sep 2019</time>" reads as one text.
                after = " ".join(_TAG.sub(" ", html[end:end + FOLLOWING_CHARS * 3]).split())
                rest = _JOINER.sub("", after, count=1)
                dated = parse(rest[:FOLLOWING_CHARS])
                if dated is not None and rest.find(dated[1]) == 0:
                    found.append(dated)
            at = html.find(needle, end)
    return found[0] if len({value.date() for value, _ in found}) == 1 else None
