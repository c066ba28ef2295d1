"""lxml trees of HTML pages whose element classes are chosen in C (see :class:`HtmlParser`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from parsel import Selector
from parsel.selector import create_root_node

if TYPE_CHECKING:
    from scrapy.http import TextResponse

# Parsel reads a text starting so as XML (or, if it parses, JSON) when no type is given: such a page
# keeps parsel's own parse.
_NOT_HTML = re.compile(r"[\s\ufeff]*(?:<\?xml\s|[{\[])")

# libxml2 compares each attribute of a tag with every one before it (40,000 attributes on one tag take
# 1.8 s to parse, the million that fit under DOWNLOAD_MAXSIZE about half an hour), and lxml's attribute
# access is as slow again; no real tag has more than a few dozen. Tags are read as an HTML5 tokenizer
# reads them ("<" may be in a name, ">" in a quoted value); the text of scripts and styles is not markup
# (a script's "a<b" opens no tag), so it is passed over, to its end tag or the end of the page.
MAX_ATTRIBUTES = 256
_ATTRIBUTE = r"""(?:[\s/]*+(?:=[^\s/>=]*+|[^\s/>=]++)(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]*+))?+)"""
_RAW_TEXT = r"(script|style)\b(?:[^<]++|<(?!/\1))*+"
_CROWDED_TAG = re.compile(rf"<(?:{_RAW_TEXT}|([a-z][^\s/>]*+{_ATTRIBUTE}{{{MAX_ATTRIBUTES}}}+){_ATTRIBUTE}++)",
                          re.IGNORECASE | re.DOTALL)
# The same tags, looked for first without passing over scripts (a script's text may be taken for one): most
# pages have none, and finding that out without a match for each script costs half as much (1.4 ms, not 2.6 ms,
# for a 145 KB page).
_MAYBE_CROWDED = re.compile(rf"<[a-z][^\s/>]*+{_ATTRIBUTE}{{{MAX_ATTRIBUTES}}}", re.IGNORECASE)


def _first_attributes(tag: re.Match[str]) -> str:
    return "<" + tag[2] if tag[2] is not None else tag[0]


# Every reader of a page walks its tree (3-4 µs an element in all); 8 MB of "<br>" are two million
# elements (4.7 s). Real article pages have a few thousand tags; past this many, the rest of a page is not read.
MAX_TAGS = 400_000
_FIRST_TAGS = re.compile(f"(?:[^<]*+<){{{MAX_TAGS}}}")


def bounded_markup(html: str) -> str:
    """``html`` with each start tag cut to its first ``MAX_ATTRIBUTES`` attributes (the rest never reach lxml),
    and cut before its ``MAX_TAGS``-th "<"."""
    if html.count("<") >= MAX_TAGS:
        html = html[:_FIRST_TAGS.match(html).end() - 1]  # type: ignore[union-attr]  # it has that many
    return _CROWDED_TAG.sub(_first_attributes, html) if _MAYBE_CROWDED.search(html) else html


def bounded_response(response: TextResponse) -> TextResponse:
    """``response`` (a page parsed in the crawl process) with its markup bounded by :func:`bounded_markup`."""
    text = response.text
    bounded = bounded_markup(text)
    if bounded == text:
        return response
    return response.replace(body=bounded.encode("utf-8"), encoding="utf-8")


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
    return Selector(root=create_root_node(bounded_markup(html), HtmlParser), type="html")
