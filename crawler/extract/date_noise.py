"""What the whole-page date search must not read as a publication date: the page's modification dates
(meta and ``itemprop`` fields, JSON-LD ``dateModified``, hAtom's ``updated`` elements) and namespace URLs
(``http://www.w3.org/1999/02/22-rdf-syntax-ns#`` reads as 22 February 1999), taken out of its copy of the tree.
"""

from __future__ import annotations

import re

import htmldate.core
from lxml import etree
from lxml.html import HtmlElement

# Fields naming when a page was last changed: htmldate falls back on them (its "reserve") when a page
# declares no publication date, which is no publication date at all.
MODIFIED_FIELDS = frozenset(htmldate.core.NAME_MODIFIED | htmldate.core.PROPERTY_MODIFIED
                            | htmldate.core.ITEMPROP_ATTRS_MODIFIED | {"last-modified"})

_DATE_FIELDS = etree.XPath("/descendant::meta[@name or @property or @itemprop or @http-equiv]"
                          " | /descendant::*[@itemprop][not(self::meta)]")
_MARKED_UPDATED = etree.XPath("/descendant::*[@class][contains(@class, 'pdat') or contains(@class, 'odif')]")
_WITH_URLS = etree.XPath("/descendant::*[@*[starts-with(., 'http') or starts-with(., '//')]]")
_JSON_LD = etree.XPath("/descendant::script[contains(@type, 'ld+json')]")
_UNSEEN = etree.XPath("//comment() | //style | /descendant::script[not(contains(@type, 'ld+json'))] | //noscript"
                     " | //template")
LINK_ATTRIBUTES = ("href", "src", "srcset", "style", "action", "poster")
# The attributes themselves, each naming its element and itself: one deletion per attribute the page has, not six
# look-ups per linking element.
_LINKING = etree.XPath(" | ".join(f"//@{name}" for name in LINK_ATTRIBUTES))

# Hosts of XML namespaces, profiles and vocabularies: their URLs hold dates of specifications, not of pages.
NAMESPACE_HOSTS = re.compile(r"^(?:https?:)?//(?:[\w-]+\.)*(?:w3\.org|purl\.org|ogp\.me|xmlns\.com|schema\.org|"
                             r"gmpg\.org|rdfs\.org|ns\.adobe\.com|microformats\.org)(?:[/:#?]|$)", re.IGNORECASE)
_JSON_MODIFIED = re.compile(r'"date(?:Modified|Updated)"\s*:\s*"[^"]*"', re.IGNORECASE)

MAX_MARKED_CHARS = 100  # an element marked "updated" with more text than a date is a container, kept


def drop_date_noise(tree: HtmlElement) -> None:
    """Take modification dates, namespace URLs and what no reader sees out of ``tree`` (in place)."""
    _drop_modified_fields(tree)
    _drop_namespace_urls(tree)
    _drop_unseen(tree)
    for script in _JSON_LD(tree):
        if script.text and _JSON_MODIFIED.search(script.text):
            script.text = _JSON_MODIFIED.sub('"dateModified": ""', script.text)


def marks_modification(element: HtmlElement) -> bool:
    """Whether ``element`` is marked as the page's modification date: a modification field (meta or
    ``itemprop``), or classed ``updated``/``modified`` (hAtom, themes' ``last-updated``) and not also as the
    publication's (WordPress writes ``class="entry-date published updated"`` when the two are the same)."""
    names = {(element.get(key) or "").strip().lower() for key in ("name", "property", "itemprop", "http-equiv")}
    if names & MODIFIED_FIELDS:
        return True
    tokens = (element.get("class") or "").lower().split()
    return any("updat" in t or "modif" in t for t in tokens) and not any(
        "publish" in t or "posted" in t or "creat" in t or t == "entry-date" for t in tokens)


def _drop_modified_fields(tree: HtmlElement) -> None:
    for element in (*_DATE_FIELDS(tree), *_MARKED_UPDATED(tree)):
        if element.getparent() is not None and marks_modification(element):
            _drop_date_element(element)


def _drop_date_element(element: HtmlElement) -> None:
    """A date element out of the tree; a container that only carries the marker loses the marker."""
    if element.tag == "meta" or len(element.text_content()) <= MAX_MARKED_CHARS:
        element.drop_tree()
        return
    for key in ("itemprop", "class"):
        element.attrib.pop(key, None)


def _drop_namespace_urls(tree: HtmlElement) -> None:
    root = tree.getroottree().getroot()
    for element in (root, *_WITH_URLS(tree)):
        for name, value in list(element.attrib.items()):
            if name.startswith("xmlns") or NAMESPACE_HOSTS.match(value.strip()):
                del element.attrib[name]


def _drop_unseen(tree: HtmlElement) -> None:
    """Comments, scripts (not JSON-LD), styles and the URLs of links and assets: the whole-page search reads the
    page as a string, where an asset's ``?v=2021-03-04``, a teaser link's ``/2019/05/06/`` or a script's build
    date would pass for the article's."""
    for element in _UNSEEN(tree):
        if element.getparent() is not None:
            element.drop_tree()  # its tail, the page's text, stays
    for value in _LINKING(tree):
        del value.getparent().attrib[value.attrname]
