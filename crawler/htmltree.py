"""lxml trees of HTML pages whose element classes are chosen in C (see :class:`HtmlParser`)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from parsel import Selector
from parsel.selector import create_root_node

# Parsel reads a text starting so as XML (or, if it parses, JSON) when no type is given: such a page
# keeps parsel's own parse.
_NOT_HTML = re.compile(r"[\s\ufeff]*(?:<\?xml\s|[{\[])")


class HtmlParser(etree.HTMLParser):  # type: ignore[misc]  # lxml-stubs are not installed: etree is Any
    """lxml.html's parser, with every element an ``HtmlElement`` picked by lxml's C lookup.

    lxml.html's own lookup is a Python method called for each element a Python object is made for
    (3,000 times a page between extraction and the sanitizer); it only adds form-control classes
    (``FormElement``, ``InputElement``...), which nothing here uses. The tree itself, and so its
    text and serialisation, is the same.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def html_selector(html: str) -> Selector:
    """``Selector(text=html)``, parsed the same way with :class:`HtmlParser`."""
    if _NOT_HTML.match(html):
        return Selector(text=html)
    return Selector(root=create_root_node(html, HtmlParser), type="html")
