"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds -> article links with dates."""

from __future__ import annotations

from datetime import UTC, tzinfo

from lxml import etree

from crawler.dates import parse_datetime
from crawler.discovery import Link
from crawler.discovery.xml import child_text, local, parse_xml


def _atom_link(entry: etree._Element) -> str | None:
    for child in entry:
        if local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
            href = child.get("href")
            if href:
                return str(href.strip())
    return None


def parse_feed(body: bytes, tz: tzinfo = UTC) -> list[Link]:
    """Links of every item or entry in a feed, in feed order."""
    root = parse_xml(body)
    if root is None:
        return []
    links: list[Link] = []
    for element in root.iter():
        name = local(element.tag)
        if name == "item":
            url = child_text(element, "link") or _permalink_guid(element)
            raw = child_text(element, "pubdate", "date", "published", "updated")
        elif name == "entry":
            url = _atom_link(element)
            raw = child_text(element, "published", "updated")
        else:
            continue
        if url:
            links.append(Link(url, parse_datetime(raw, tz)))
    return links


def _permalink_guid(item: etree._Element) -> str | None:
    for child in item:
        if local(child.tag) == "guid" and child.get("isPermaLink", "true") == "true" and child.text:
            return str(child.text.strip())
    return None


def is_feed(body: bytes) -> bool:
    """True when ``body`` is an RSS, RDF or Atom document."""
    root = parse_xml(body[:2_000_000])
    return root is not None and local(root.tag) in ("rss", "rdf", "feed")
