"""Stored HTML is inert: scripts, frames, embedded objects, event-handler attributes
and ``javascript:`` links are removed before any page is kept for re-extraction.
lxml_html_clean is lxml's own maintained cleaner (split out of lxml 5)."""

from __future__ import annotations

from lxml.etree import ParserError
from lxml.html import document_fromstring, tostring
from lxml_html_clean import Cleaner

_CLEANER = Cleaner(
    scripts=True, javascript=True, comments=False, style=False, inline_style=False, links=False, meta=False,
    page_structure=False, processing_instructions=True, embedded=True, frames=True, forms=False,
    annoying_tags=False, remove_unknown_tags=False, safe_attrs_only=False,
)


def inert_html(html: str) -> str:
    """``html`` without anything that runs: the text, markup and metadata extraction reads stay
    (JSON-LD is data, not code, and is put back)."""
    try:
        document = document_fromstring(html)
    except (ParserError, ValueError):
        return ""
    json_ld = [s.text for s in document.iter("script") if (s.get("type") or "").lower() == "application/ld+json"]
    _CLEANER(document)
    head = document.find("head")
    if head is None:
        head = document.makeelement("head", {})
        document.insert(0, head)
    for text in filter(None, json_ld):
        head.append(head.makeelement("script", {"type": "application/ld+json"}))
        head[-1].text = text
    return tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")
