"""lxml trees of HTML pages whose element classes are chosen in C (see :class:`HtmlParser`)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from parsel import Selector
from parsel.selector import create_root_node

# libxml2 compares each attribute of a tag with every one before it (40,000 attributes on one tag take
# 1.8 s to parse, the million that fit under DOWNLOAD_MAXSIZE about half an hour), and lxml's attribute
# access is as slow again; no real tag has more than a few dozen. The page is read as an HTML5 tokenizer
# (libxml2 2.14's) reads it, token after token, so that no tag is looked for where the parser sees none: a
# tag's attributes ("<" may be in a name, ">" in a quoted value), a comment, and the text of the elements
# whose text is not markup (a script's "a<b" opens no tag, nor does a "<script" in a comment or an attribute
# value open a script: passing over the page from there hid a crowded tag after it).
MAX_ATTRIBUTES = 256
_ATTRIBUTE = r"""(?:[\s/]*+(?:=[^\s/>=]*+|[^\s/>=]++)(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]*+))?+)"""
_RAW_TEXT_ELEMENTS = "script|style|xmp|iframe|noembed|noframes|textarea|title"
_TOKEN = re.compile(
    r"<(?:!--(?:-?>|.*?--!?>|.*)"  # a comment, to its end or the page's
    rf"|(?P<raw>{_RAW_TEXT_ELEMENTS})(?![^\s/>])(?P<raw_attributes>{_ATTRIBUTE}*+)[\s/]*+>"
    r"(?:[^<]++|<(?!/(?P=raw)(?![^\s/>])))*+"  # its text, to its end tag or the page's end
    rf"|plaintext(?![^\s/>])(?P<plain_attributes>{_ATTRIBUTE}*+)[\s/]*+>.*"  # the rest of the page is text
    rf"|/[a-z][^\s/>]*+{_ATTRIBUTE}*+"  # an end tag
    r"|[!?/][^>]*+"  # a doctype or another "<!", "<?": to the next ">"
    rf"|[a-z][^\s/>]*+(?P<attributes>{_ATTRIBUTE}*+))",  # a start tag
    re.IGNORECASE | re.DOTALL)
_KEPT_ATTRIBUTES = re.compile(rf"{_ATTRIBUTE}{{{MAX_ATTRIBUTES}}}+")
_ONE_ATTRIBUTE = re.compile(_ATTRIBUTE)
# Tags of so many attributes, looked for first anywhere (in a script's text too, which may be taken for one):
# most pages have none, and finding that out without reading every token costs half as much (1.4 ms, not
# 2.6 ms, for a 145 KB page).
_MAYBE_CROWDED = re.compile(rf"<[a-z][^\s/>]*+{_ATTRIBUTE}{{{MAX_ATTRIBUTES}}}", re.IGNORECASE)


def _first_attributes(token: re.Match[str]) -> str:
    """A token, a start tag's attributes past the first ``MAX_ATTRIBUTES`` left out."""
    group = next((name for name in ("attributes", "raw_attributes", "plain_attributes") if token[name]), None)
    if group is None or len(token[group]) < MAX_ATTRIBUTES:  # each attribute is a character at least
        return token[0]
    attributes = token[group]
    kept = _KEPT_ATTRIBUTES.match(attributes)
    if kept is None or _ONE_ATTRIBUTE.match(attributes, kept.end()) is None:
        return token[0]
    start, end = token.start(group) - token.start(), token.end(group) - token.start()
    return token[0][:start] + attributes[:kept.end()] + token[0][end:]


# Every reader of a page walks its tree (3-4 µs an element in all); 8 MB of "<br>" are two million
# elements (4.7 s). Real article pages have a few thousand tags; past this many, the rest of a page is not read.
MAX_TAGS = 400_000
_FIRST_TAGS = re.compile(f"(?:[^<]*+<){{{MAX_TAGS}}}")


def bounded_markup(html: str) -> str:
    """``html`` with each start tag cut to its first ``MAX_ATTRIBUTES`` attributes (the rest never reach lxml),
    and cut before its ``MAX_TAGS``-th "<"."""
    if len(html) >= MAX_TAGS and html.count("<") >= MAX_TAGS:  # counted only where it can be (a tenth of a ms)
        html = html[:_FIRST_TAGS.match(html).end() - 1]  # type: ignore[union-attr]  # it has that many
    return _TOKEN.sub(_first_attributes, html) if _MAYBE_CROWDED.search(html) else html


# libxml2 stops reading at the first "</html>" end tag, and puts what follows the first "</body>" beside the body
# instead of in it; a browser reads both into the body. A page can close its document early (a template's
# "</html>" or "</body>" before its article, or one document pasted after another).
_HTML_END = re.compile(r"</html(?![^\s/>])", re.IGNORECASE)
_BODY_END = re.compile(r"</body(?![^\s/>])", re.IGNORECASE)
_NOTHING_MORE = re.compile(r"[^>]*+>(?:\s++|<!--.*?-->)*+\Z", re.DOTALL)  # the tag's end, blanks and comments
_DOCUMENT_END_TAG = re.compile(r"</(?:html|body)(?![^\s/>])", re.IGNORECASE)
_BLANKS = " \t\n\r\f"


def _nothing_read_after(html: str, at: int) -> bool:
    """Whether ``html`` from ``at`` holds only blanks, comments, end tags and scripts (token by token): nothing a
    reader of the body looks for. Scripts after "</body>" are common (analytics, a chat widget) and stay where
    libxml2 puts them, so such a page is parsed as it always was."""
    for token in _TOKEN.finditer(html, at):
        if token.start() < at:  # within the ">" that ends the end tag before it
            continue
        if html[at:token.start()].strip(_BLANKS):
            return False
        if token[0].startswith("</"):  # an end tag's token stops before its ">"
            closing = html.find(">", token.end())
            at = len(html) if closing < 0 else closing + 1
        elif token[0].startswith("<!--") or (token["raw"] or "").lower() == "script":
            at = token.end()
        else:
            return False
    return not html[at:].strip(_BLANKS)


def _ends_early(html: str, ends: list[re.Match[str]]) -> bool:
    """Whether markup follows the first ``</html>`` of the end tags ``ends``, or more than scripts follow the first
    ``</body>``."""
    first_html_end = next((token for token in ends if _HTML_END.match(token[0])), None)
    if first_html_end is not None and not _NOTHING_MORE.match(html, first_html_end.end()):
        return True
    first_body_end = next((token for token in ends if _BODY_END.match(token[0])), None)
    return first_body_end is not None and not _nothing_read_after(html, first_body_end.start())


def _may_end_early(html: str) -> bool:
    """:func:`_ends_early` for the first texts "</html" and "</body" taken for tags: one scan of the page, and of
    what follows its first "</body" (the common page ends "</body></html>", maybe scripts between them)."""
    first = _DOCUMENT_END_TAG.search(html)
    if first is None:
        return False
    if _HTML_END.match(html, first.start()):
        return not _NOTHING_MORE.match(html, first.end())
    if not _nothing_read_after(html, first.start()):
        return True
    html_end = _HTML_END.search(html, first.end())
    return html_end is not None and not _NOTHING_MORE.match(html, html_end.end())


def read_on_past_document_end(html: str) -> str:
    """``html`` without its ``</body>`` and ``</html>`` end tags when markup follows its first ``</html>``, or
    text or elements other than scripts its first ``</body>``, so the parser reads what follows into the body as
    a browser does instead of dropping it or leaving it beside the body. Tags are found as the parser finds them
    (not in a script's text, a comment or an attribute value), and only on a page where the texts "</html" or
    "</body" are followed by more (the common page stops there)."""
    if not _may_end_early(html):
        return html
    ends = [token for token in _TOKEN.finditer(html) if _DOCUMENT_END_TAG.match(token[0])]
    if not _ends_early(html, ends):
        return html
    pieces, at = [], 0
    for token in ends:
        pieces.append(html[at:token.start()])
        closing = html.find(">", token.end())
        at = len(html) if closing < 0 else closing + 1
    return "".join(pieces) + html[at:]


def is_cut(body: bytes) -> bool:
    """Whether :func:`bounded_markup` reads less than the page ``body``: it holds ``MAX_TAGS`` "<" or more.

    A page merely lacking ``</body>`` and ``</html>`` is not cut here: minifiers drop those optional tags, and
    such a script shell ("<div id=root>Загрузка") must still be rendered.
    """
    return body.count(b"<") >= MAX_TAGS


def is_truncated(body: bytes) -> bool:
    """Whether the page ``body`` ends before its closing ``</body>`` or ``</html>``."""
    tail = body[-4096:].lower()
    return b"</html" not in tail and b"</body" not in tail


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


def html_selector(html: str, utf8: bytes | None = None) -> Selector:
    """``Selector(text=html, type="html")``, parsed the same way with :class:`HtmlParser`: a tree of HTML whatever
    the text is (parsel, asked for no type, makes a JSON or XML selector of such a text, and an HTML reader's
    XPath raises on a JSON one). Whether a text is a page at all is :func:`crawler.extract.body_kind.not_html`'s
    to say. ``utf8``: the bytes ``html`` was decoded from (with ``errors="replace"``), given to lxml as they are
    when they are what parsel would encode (see :func:`_as_parsel_encodes`)."""
    markup = parser_markup(html)
    body = _as_parsel_encodes(html, utf8) if utf8 is not None and markup is html else None
    return Selector(root=create_root_node(markup, HtmlParser) if body is None else _parsed_utf8(body), type="html")


def _as_parsel_encodes(text: str, utf8: bytes) -> bytes | None:
    """What parsel's ``create_root_node`` gives lxml for ``text``, decoded from ``utf8``, when that is ``utf8``
    without the ASCII whitespace at its ends (else None): ``text`` holds no U+FFFD (no byte was replaced in
    decoding: the bytes are its UTF-8) and no NUL, and what ``str.strip`` takes from its ends is ASCII whitespace
    alone (each end's run of ASCII whitespace is where ``str.strip`` starts, so the same count means the same
    characters)."""
    if "\x00" in text or "\ufffd" in text:
        return None
    body = utf8.strip()
    return body if body and len(utf8) - len(body) == len(text) - len(text.strip()) else None


def _parsed_utf8(body: bytes) -> Any:
    """``create_root_node(text, HtmlParser)`` for a text whose stripped UTF-8 is ``body`` (not empty), parsed as
    parsel parses it; without decoding, stripping and encoding the page again (0.2 ms for 125 KB)."""
    parser = HtmlParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(body, parser=parser)
    return root if root is not None else etree.fromstring(b"<html/>", parser=parser)


def parser_markup(html: str) -> str:
    """The markup of ``html`` lxml is given: bounded (:func:`bounded_markup`) and read on past an early
    ``</html>`` or ``</body>`` (:func:`read_on_past_document_end`)."""
    return read_on_past_document_end(bounded_markup(html))


def first_base_href(document: etree._Element) -> str | None:
    """The href of the page's first ``<base href>`` (what a browser reads): one walk over the ``<base>``
    elements (lxml's walk by tag, in C) instead of an XPath search of the whole tree."""
    return next((href for base in document.iter("base") if (href := base.get("href")) is not None), None)
