"""Stored HTML is inert: scripts, frames, embedded objects, event-handler attributes
and ``javascript:`` links are removed before any page is kept for re-extraction.
lxml_html_clean is lxml's own maintained cleaner (split out of lxml 5); its own
``javascript`` option rewrites every link of the page, so handlers and script URLs
are removed here in one pass instead (a sixth of the cost). Browsers ignore whitespace
and control characters inside a scheme (a tab inside ``javascript:``), so the check does too."""

from __future__ import annotations

from lxml import etree
from lxml.etree import ParserError
from lxml.html import HtmlElement, document_fromstring, tostring
from lxml_html_clean import Cleaner

_CLEANER = Cleaner(
    scripts=True, javascript=False, comments=False, style=False, inline_style=False, links=False, meta=False,
    page_structure=False, processing_instructions=True, embedded=True, frames=True, forms=False,
    annoying_tags=False, remove_unknown_tags=False, safe_attrs_only=False,
)


_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "srcdoc")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


def _runs(value: str) -> bool:
    scheme = "".join(c for c in value[:64] if c > " ").lower()
    return scheme.startswith(_SCRIPT_SCHEMES)


def _drop_handlers_and_script_urls(document: HtmlElement) -> None:
    for element in document.iter(etree.Element):
        attributes = element.attrib
        for name in [n for n in attributes if n.lower().startswith("on")
                     or (n.lower() in _URL_ATTRIBUTES and _runs(attributes[n]))]:
            del attributes[name]


def inert_html(html: str) -> str:
    """``html`` without anything that runs: the text, markup and metadata extraction reads stay
    (JSON-LD is data, not code, and is put back)."""
    try:
        document = document_fromstring(html)
    except (ParserError, ValueError):
        return ""
    json_ld = [s.text for s in document.iter("script") if (s.get("type") or "").lower() == "application/ld+json"]
    _CLEANER(document)
    _drop_handlers_and_script_urls(document)
    head = document.find("head")
    if head is None:
        head = document.makeelement("head", {})
        document.insert(0, head)
    for text in filter(None, json_ld):
        head.append(head.makeelement("script", {"type": "application/ld+json"}))
        head[-1].text = text
    return tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")
