"""Stored HTML is inert: opened in a browser, nothing in it runs, navigates or loads a
stylesheet from elsewhere, and what extraction reads (text, markup, meta, JSON-LD) stays. Nor does it tell
another host it was opened or clicked: tracking pixels (:func:`tracking_pixel`) and the ``ping`` and
``attributionsrc`` attributes (a request to their URLs on a click, or on load) go.

:func:`_clean` removes scripts, frames, embedded objects, processing instructions, IE conditional
comments and the elements listed in ``_KILL``, as lxml_html_clean's Cleaner does with those options
(``tests/test_sanitize_clean.py`` compares them), finding them in C where the Cleaner looks at each
element in Python; the Cleaner's own ``javascript`` option rewrites every link of the page, so one
pass here removes the rest instead (a sixth of the cost): event handlers in any case, script URLs
(``javascript:``, ``vbscript:``, HTML/SVG/XML ``data:``) in any URL attribute, ``srcdoc``,
script-bearing CSS, ``<meta http-equiv=refresh>``
and external stylesheets and preloads. lxml has decoded entities (``&#106;avascript:``) by
then, and browsers drop whitespace and control characters inside a scheme, so the check does too.

Mutation XSS: lxml parses ``<noscript>`` as markup and ``<style>`` as raw text everywhere,
a browser parses the first as raw text and the second, inside ``<svg>``/``<math>``, as
markup, so a comment or text that is harmless to lxml can become an element in the browser:
``<noscript>`` goes (extraction skips it anyway) and so does a ``<style>`` holding ``<``.

``<base href>`` goes (a stored page must not retarget its links), but what it resolved to against the page's
URL (:func:`~crawler.urls.resolved_base`) is kept in an inert ``<meta name="central-asia-news-crawler-base">``,
so re-extracting the stored page resolves its images and canonical link as the first extraction did
(:func:`stored_base` reads it back).

Extraction sanitizes the tree it parsed once it has read it (:func:`inert_document`), with what its readers
changed put back, and hands the result over as :class:`InertHtml`, which :func:`inert_html` returns as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from lxml import etree
from lxml.etree import ParserError
from lxml.html import HtmlElement, document_fromstring, tostring

from crawler.htmltree import HtmlParser, first_base_href, parser_markup
from crawler.urls import absolute_http_url, joined, resolved_base

# Where a removed <base href> is kept, resolved: a name no page uses for anything else.
BASE_META = "central-asia-news-crawler-base"

# Dropped with their content: <base> retargets every relative link; SVG animation can set an
# <a>'s href to a script URL after sanitizing (<animate values="javascript:...">, <set to=...>).
_KILL = ("noscript", "base", "portal", "fencedframe", "animate", "animatemotion", "animatetransform",
         "animatecolor", "set")
# What lxml_html_clean's Cleaner(scripts=True, processing_instructions=True, embedded=True, frames=True,
# kill_tags=_KILL, every other option off) drops with its content, and what it unwraps, its content kept (a
# <param> in no <applet> or <object> is dropped first).
_DROPPED = ("script", *_KILL, "applet", "frame", "frameset", "noframes")
_UNWRAPPED = ("iframe", "embed", "layer", "object", "param")
_XHTML_ELEMENTS = "{http://www.w3.org/1999/xhtml}*"
_XHTML_PREFIX = len(_XHTML_ELEMENTS) - 1
# An IE conditional comment ("[if IE]>...") holds markup old browsers read: the Cleaner's test, two linear searches.
_CONDITIONAL_OPEN = re.compile(r"\[if\s", re.IGNORECASE)
_CONDITIONAL_CLOSE = re.compile(r"](?=\s*>)")

_URL_ATTRIBUTES = frozenset({
    "href", "src", "srcset", "action", "formaction", "data", "background", "poster", "codebase", "cite",
    "longdesc", "lowsrc", "dynsrc", "usemap", "profile", "manifest", "icon", "archive", "classid", "code",
})
_SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "livescript"})
_MARKUP_TYPES = ("html", "xml", "svg")  # data: URLs of these types are documents that can run script
_IGNORED = dict.fromkeys(range(0x21), None)  # whitespace and control characters a browser skips
_LOADING_RELS = frozenset({"stylesheet", "import", "preload", "modulepreload", "prefetch", "prerender",
                           "preconnect", "dns-prefetch", "manifest", "serviceworker"})
_META_ACTIONS = frozenset({"refresh", "set-cookie"})

_CSS_SUSPECT = re.compile(r"expression|script|binding|behaviou?r|import|\\|/\*", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)  # an unclosed comment runs to the end
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.DOTALL)
_CSS_SCRIPT = (b"expression(", b"javascript:", b"vbscript:", b"-moz-binding", b"behavior:", b"behaviour:", b"@import")
_IGNORED_BYTES = bytes(range(0x21))


def reference_cleaner() -> Callable[[HtmlElement], None]:
    """The lxml_html_clean Cleaner the sanitizer used before :func:`_clean`, options and all: what ``_clean`` is held
    to (tests/test_sanitize_clean.py) and timed against (scripts/bench_sanitize.py). Never used by a crawl."""
    from lxml_html_clean import Cleaner

    cleaner: Callable[[HtmlElement], None] = Cleaner(
        scripts=True, javascript=False, comments=False, style=False, inline_style=False, links=False, meta=False,
        page_structure=False, processing_instructions=True, embedded=True, frames=True, forms=False,
        annoying_tags=False, remove_unknown_tags=False, safe_attrs_only=False, kill_tags=_KILL,
    )
    return cleaner


def _runs(value: str) -> bool:
    """True for a URL that runs script: a script scheme or a data: URL of a markup document."""
    scheme, colon, rest = value.partition(":")
    if not colon:
        return False
    scheme = scheme.translate(_IGNORED).lower()
    if scheme in _SCRIPT_SCHEMES:
        return True
    mime = rest.partition(",")[0].translate(_IGNORED).lower()
    return scheme == "data" and any(kind in mime for kind in _MARKUP_TYPES)


def _css_unescape(match: re.Match[str]) -> str:
    if match[2] is not None:
        return match[2]
    code = int(match[1], 16)
    return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"


def _css_runs(css: str) -> bool:
    """True for CSS that runs script or loads more CSS (comments and escapes seen through)."""
    if not _CSS_SUSPECT.search(css):
        return False
    plain = _CSS_COMMENT.sub("", css)
    if "\\" in plain:
        plain = _CSS_ESCAPE.sub(_css_unescape, plain)
    # The words are ASCII, which UTF-8 keeps as single bytes (and no other character's bytes are ASCII): the
    # skipped characters go in one pass over bytes; str.translate looks each character up in a dict, 10 ms for
    # 100 KB of CSS with one non-ASCII character in it.
    seen = plain.lower().encode("utf-8", "surrogatepass").translate(None, _IGNORED_BYTES)
    return any(word in seen for word in _CSS_SCRIPT)


def _unsafe_element(element: HtmlElement) -> bool:
    """True for an element that acts on its own: meta refresh, an external stylesheet or preload,
    CSS that runs or that a browser may read as markup."""
    tag = element.tag
    if tag == "meta":
        return (element.get("http-equiv") or "").strip().lower() in _META_ACTIONS
    if tag == "link":
        return not _LOADING_RELS.isdisjoint((element.get("rel") or "").lower().split())
    if tag == "style":
        text = element.text or ""
        return "<" in text or _css_runs(text)
    return False


def _unsafe_attribute(name: str, value: str) -> bool:
    name = name.lower()
    if name.startswith("on") or name == "srcdoc" or name in _REPORTING_NAMES:
        return True
    if name == "style":
        return _css_runs(value)
    return (name in _URL_ATTRIBUTES or name.endswith("href")) and _runs(value)


_HARMLESS_SCHEMES = ("http:", "https:")
# Unsafe whatever their value: CSS, a document, and URLs a browser reports to (on a click, on load).
_ACTIVE_NAMES = ("style", "srcdoc", "ping", "attributionsrc")
_REPORTING_NAMES = ("ping", "attributionsrc")
# An image declared this wide or high shows nothing: it is there to be requested.
_PIXEL_SIZES = frozenset({"0", "1", "0px", "1px"})
_ON = ("on", "On", "oN", "ON")  # an event handler's name in any case
_ACTIVE_ELEMENTS = ("meta", "link", "style")
# Attribute name -> when its value is looked at: 0 never (class, id, alt, data-*: no value of theirs runs), 1 always
# (an event handler, CSS, srcdoc), 2 when it may name a scheme (a URL attribute: a ":" not of "http:" or "https:").
# A page repeats a few dozen names thousands of times. Bounded: a hostile page's names are all different.
_NAME_KIND: dict[str, int] = {}
_NAMES_KEPT = 4096


def _name_kind(name: str) -> int:
    lower = name.lower()
    if name.startswith(_ON) or lower in _ACTIVE_NAMES:
        kind = 1
    else:
        kind = 2 if lower in _URL_ATTRIBUTES or lower.endswith("href") else 0
    if len(_NAME_KIND) < _NAMES_KEPT:
        _NAME_KIND[name] = kind
    return kind


def _declared_pixel(img: HtmlElement) -> bool:
    """True for an image whose ``width``, ``height`` or inline style makes it at most one pixel wide or high."""
    sizes = ((img.get("width") or "").strip().lower(), (img.get("height") or "").strip().lower())
    if not _PIXEL_SIZES.isdisjoint(sizes):
        return True
    for declaration in (img.get("style") or "").lower().split(";"):
        prop, _, value = declaration.partition(":")
        if prop.strip() in ("width", "height") and value.replace("!important", "").strip() in _PIXEL_SIZES:
            return True
    return False


def tracking_pixel(img: HtmlElement, page_url: str | None) -> bool:
    """True for a tracking pixel: an image declared at most one pixel wide or high, loaded from another host than the
    page's (``page_url``; a relative ``src`` is the page's own). No picture of the article, and opening a stored page
    would tell that host (a pixel in a ``data:`` URL, a lazy-loading placeholder, is no request and stays)."""
    src = (img.get("src") or "").strip()
    if not src or not _declared_pixel(img):
        return False
    url = joined(page_url or "", src)
    host = urlsplit(url).hostname if url else None
    return host is not None and host != urlsplit(page_url or "").hostname


def _scrub(document: HtmlElement, url: str | None) -> None:
    doomed = [element for element in document.iter(*_ACTIVE_ELEMENTS) if _unsafe_element(element)]
    doomed += [img for img in document.iter("img") if tracking_pixel(img, url)]
    kind_of = _NAME_KIND.get
    for element in document.iter(etree.Element):
        # A page has thousands of attributes and a few suspects, so a cheap first look comes first: most names are
        # never unsafe, and a URL's value can name a script scheme or a data: URL only with a ":" of another scheme.
        for name, value in element.items():
            kind = kind_of(name)
            if kind is None:
                kind = _name_kind(name)
            if kind and (kind == 1 or (":" in value and not value.startswith(_HARMLESS_SCHEMES))) \
                    and _unsafe_attribute(name, value):
                del element.attrib[name]  # items() is a list: deleting while looping over it is safe
    for element in doomed:  # last: what a doomed element holds goes with it, its tail stays
        element.drop_tree()


def _conditional(comment: etree._Element) -> bool:
    text = comment.text or ""
    opening = _CONDITIONAL_OPEN.search(text)
    return opening is not None and _CONDITIONAL_CLOSE.search(text, opening.end()) is not None


def _clean(document: HtmlElement) -> None:
    """What the Cleaner of the options above does to ``document``, with the same serialised result, in two walks
    done by lxml in C (the Cleaner's own walk looks at every node in Python): the few nodes it renames, drops one
    by one or unwraps are picked out by tag, the rest is dropped by ``etree.strip_elements``."""
    doomed, unwrapped = [], []
    for node in document.iter(etree.Comment, _XHTML_ELEMENTS, "image", *_UNWRAPPED):
        tag = node.tag
        if tag is etree.Comment:
            if _conditional(node):
                doomed.append(node)
            continue
        if tag[0] == "{":  # XHTML elements are HTML ones (lxml's HTML parser gives none a namespace)
            tag = node.tag = tag[_XHTML_PREFIX:]
        if tag == "image":  # a browser reads <image> as <img>
            node.tag = "img"
        elif tag == "param" and not any(a.tag in ("applet", "object") for a in node.iterancestors()):
            doomed.append(node)
        elif tag in _UNWRAPPED:
            unwrapped.append(node)
    for node in doomed:
        if node is not document:
            node.drop_tree()
    if document.tag in _DROPPED:  # never a page's <html>: the Cleaner keeps a root, emptied
        document.clear()
        document.tag = "div"
        return
    if document.tag in _UNWRAPPED:
        document.attrib.clear()
        document.tag = "div"
    for node in reversed(unwrapped):  # the innermost first; before the drops, with the same result
        if node is not document:
            node.drop_tag()
    etree.strip_elements(document, *_DROPPED, etree.ProcessingInstruction, with_tail=False)


def _json_ld(text: str) -> str:
    """JSON-LD text that cannot close its <script> or open an escape ("<\\/" is "</" in JSON)."""
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


class InertHtml(str):
    """HTML already made inert (by :func:`inert_document`): stored as it is, never sanitized again."""

    __slots__ = ()


class InertUtf8(bytes):
    """The UTF-8 of HTML already made inert (by :func:`inert_document_utf8`, in an extraction worker): stored as
    it is, compressed without being decoded and encoded again, never sanitized again."""

    __slots__ = ()


def _base_metas(document: etree._Element) -> list[HtmlElement]:
    return [meta for meta in document.iter("meta") if (meta.get("name") or "").strip().lower() == BASE_META]


def stored_base(document: etree._Element) -> str | None:
    """The base a stored page kept from its removed ``<base href>``: the first :data:`BASE_META` meta's content
    when it is an absolute http(s) URL, else None (anything else is no base: a page may write one itself)."""
    metas = _base_metas(document)
    return absolute_http_url(metas[0].get("content")) if metas else None


def inert_html(html: str | InertUtf8, url: str | None = None) -> str:
    """``html`` without anything that runs: the text, markup and metadata extraction reads stay
    (JSON-LD is data, not code, and is put back). :class:`InertHtml` is returned as it is, :class:`InertUtf8`
    decoded. A ``<base href>`` is kept resolved against the page's ``url`` (without it, only an absolute one is)."""
    if isinstance(html, InertHtml):
        return html
    if isinstance(html, InertUtf8):
        return InertHtml(html.decode("utf-8"))
    try:
        # lxml.html's parser, its classes found in C; no tag with more attributes than libxml2 reads in linear time
        document = document_fromstring(parser_markup(html), parser=HtmlParser())
    except (ParserError, ValueError):
        return ""
    return inert_document(document, url)


def inert_utf8(html: str | InertUtf8, url: str | None = None) -> bytes:
    """The UTF-8 of :func:`inert_html` (what the store compresses): :class:`InertUtf8` as it is."""
    return html if isinstance(html, InertUtf8) else inert_html(html, url).encode("utf-8")


def inert_document(document: HtmlElement, url: str | None = None) -> InertHtml:
    """The page ``document`` fetched from ``url`` (parsed by :class:`~crawler.htmltree.HtmlParser`; changed in
    place) made inert and serialised, as :func:`inert_html` makes its text."""
    _make_inert(document, url)
    return InertHtml(tostring(document, encoding="unicode", doctype="<!DOCTYPE html>"))


def inert_document_utf8(document: HtmlElement, url: str | None = None) -> bytes:
    """:func:`inert_document`'s text in UTF-8, as lxml serialises it before decoding it: what an extraction
    worker sends (no text to decode there and encode again to pickle it; its pool decodes it)."""
    _make_inert(document, url)
    serialised: bytes = tostring(document, encoding="utf-8", doctype="<!DOCTYPE html>")
    return serialised


def _make_inert(document: HtmlElement, url: str | None) -> None:
    json_ld = [s.text for s in document.iter("script") if (s.get("type") or "").lower() == "application/ld+json"]
    href = first_base_href(document)
    _clean(document)
    _scrub(document, url)
    head = document.find("head")
    if head is None:
        head = document.makeelement("head", {})
        document.insert(0, head)
    if href is not None:
        _keep_base(document, head, resolved_base(url or "", href))
    for text in filter(None, json_ld):
        head.append(head.makeelement("script", {"type": "application/ld+json"}))
        head[-1].text = _json_ld(text)


def _keep_base(document: HtmlElement, head: HtmlElement, base: str | None) -> None:
    """The removed ``<base href>``'s resolved URL (``base``; None: a browser ignored it) as the only base meta:
    a meta the page wrote itself would otherwise stand for a base it did not have once its own was gone."""
    for meta in _base_metas(document):
        meta.drop_tree()
    if base is not None:
        head.insert(0, head.makeelement("meta", {"name": BASE_META, "content": base}))
