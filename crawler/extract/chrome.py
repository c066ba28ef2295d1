"""Page chrome (share bars, related-post teasers, ad slots, forms…) found in one pass.

Selectors that are a bare tag, ``#id`` or ``.class`` — nearly all of them — are matched
together in a single walk of the tree instead of one XPath scan each; anything more
complex is compiled to XPath once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

from cssselect import HTMLTranslator
from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.boilerplate import NODE_SELECTORS

_TAG = re.compile(r"^[a-z][a-z0-9-]*$")
_ID = re.compile(r"^#([\w-]+)$")
_CLASS = re.compile(r"^\.([\w-]+)$")


class Chrome:
    def __init__(self, selectors: Iterable[str]) -> None:
        self.tags: set[str] = set()
        self.ids: set[str] = set()
        self.classes: set[str] = set()
        complex_ = []
        for css in selectors:
            css = css.strip()
            if _TAG.match(css):
                self.tags.add(css)
            elif match := _ID.match(css):
                self.ids.add(match[1])
            elif match := _CLASS.match(css):
                self.classes.add(match[1])
            else:
                complex_.append(HTMLTranslator().css_to_xpath(css))
        self._complex = etree.XPath(" | ".join(complex_)) if complex_ else None

    def matches(self, element: HtmlElement) -> bool:
        tag = element.tag
        if not isinstance(tag, str):
            return False
        if tag in self.tags or element.get("id") in self.ids:
            return True
        classes = element.get("class")
        return bool(classes and self.classes.intersection(classes.split()))

    def inside(self, element: HtmlElement) -> bool:
        """Whether ``element`` sits in chrome (an ancestor matches; complex selectors aside)."""
        return any(self.matches(ancestor) for ancestor in element.iterancestors())

    def strip(self, container: HtmlElement, undo: list[Callable[[], None]] | None = None) -> None:
        """Remove the chrome inside ``container`` (never the container itself), keeping tail text; ``undo``
        gets, per element removed, what puts it back as it was (run in reverse order)."""
        found = [el for el in container.iterdescendants() if self.matches(el)]
        if self._complex is not None:
            found += [el for el in self._complex(container) if el is not container]
        for element in found:
            if element.getparent() is not None:
                if undo is not None:
                    undo.append(_put_back(element))
                element.drop_tree()


def _put_back(element: HtmlElement) -> Callable[[], None]:
    """What undoes ``element.drop_tree()``: the tail it gave its previous sibling or parent taken back, the
    element (its tail with it) put back beside that sibling, or first in its parent. Undone in reverse order,
    the tree is as it was when the element was dropped; no position is counted (lxml counts siblings one by
    one, which made a page of 80,000 removed elements among as many kept ones take 30 s)."""
    parent, previous = element.getparent(), element.getprevious()
    if previous is None:
        text = parent.text

        def back() -> None:
            parent.text = text
            parent.insert(0, element)
    else:
        tail = previous.tail

        def back() -> None:
            previous.tail = tail
            previous.addnext(element)
    return back


@cache
def chrome_for(site_selectors: tuple[str, ...]) -> Chrome:
    """The shared chrome rules plus a site's own ``remove`` selectors."""
    return Chrome((*NODE_SELECTORS, *site_selectors))
