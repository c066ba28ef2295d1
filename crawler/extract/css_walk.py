"""CSS selectors of one simple compound (``h1.entry-title``, ``.td-post-content``, ``p``) matched without the
XPath parsel translates them to.

libxml2 evaluates parsel's class test (``contains(concat(' ', normalize-space(@class), ' '), ' x ')``) by
converting every element's ``class`` to a string several times: about 1.1 ms on a page of 1,700 elements. The
same nodes are the parents of the ``class`` attributes that contain the name (one XPath over attributes,
40 % cheaper), or the elements of the named tag, which lxml walks in C. Anything else (ids, combinators,
attributes, pseudo-elements, escapes, non-ASCII names) goes to parsel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from parsel import Selector, SelectorList

_NAME = r"-?[A-Za-z_][A-Za-z0-9_-]*"
_COMPOUND = re.compile(rf"\s*(?P<tag>[A-Za-z][A-Za-z0-9]*|\*)?(?P<classes>(?:\.{_NAME})*)\s*\Z")
_CLASS_CONTAINS = etree.XPath("descendant-or-self::*/@class[contains(., $name)]")
_XML_SPACE = str.maketrans("\t\n\r", "   ")  # normalize-space() splits on these and " " only


def select(sel: Selector, css: str, limit: int) -> SelectorList[Selector] | None:
    """The first ``limit`` matches of ``css`` under ``sel`` (itself included, in document order), as parsel
    returns them; None when ``css`` is not a tag and/or classes, or ``sel`` is not an HTML element."""
    compound = _COMPOUND.match(css)
    root = sel.root
    if (compound is None or not (compound["tag"] or compound["classes"]) or sel.type != "html"
            or not isinstance(root, etree.ElementBase)):
        return None
    tag = (compound["tag"] or "*").lower()  # HTML names are case-insensitive: parsel lowercases them too
    classes = compound["classes"].split(".")[1:]
    candidates: Iterable[etree._Element]
    if tag != "*" or not classes:
        candidates = root.iter(etree.Element if tag == "*" else tag)
    else:
        candidates = [value.getparent() for value in _CLASS_CONTAINS(root, name=classes[0])]
    matches: list[Selector] = []
    for element in candidates:
        if classes and not _has_classes(element.get("class"), classes):
            continue
        if len(matches) >= limit:
            break
        matches.append(sel.__class__(root=element, _expr=css, namespaces=sel.namespaces, type="html"))
    return sel.selectorlist_cls(matches)


def _has_classes(value: str | None, classes: list[str]) -> bool:
    """Whether ``value`` (a class attribute) names every one of ``classes``, as parsel's XPath reads it."""
    if value is None or classes[0] not in value:
        return False
    tokens = value.translate(_XML_SPACE).split(" ")
    return all(name in tokens for name in classes)
