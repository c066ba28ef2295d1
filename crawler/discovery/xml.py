"""Safe XML parsing for feeds and sitemaps: no entities, no network, recover
from the broken markup real sites serve, gunzip ``.xml.gz`` bodies."""

from __future__ import annotations

import gzip
import io
import logging

from lxml import etree

logger = logging.getLogger(__name__)

_PARSER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)
MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


def gunzip_if_needed(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress a gzip body (sitemap.xml.gz), refusing more than ``limit`` bytes."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"decompressed XML exceeds {limit} bytes")
    return data


def parse_xml(body: bytes) -> etree._Element | None:
    """Parse an XML document, or return None when nothing usable is there."""
    try:
        body = gunzip_if_needed(body).lstrip()
    except (OSError, EOFError, ValueError) as exc:  # corrupt or oversized gzip
        logger.warning("Unreadable compressed XML: %(error)s", {"error": exc})
        return None
    if not body:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None
    return root


def local(tag: object) -> str:
    """The tag name without its namespace: ``{http://...}loc`` -> ``loc``."""
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def child_text(element: etree._Element, *names: str) -> str | None:
    """Text of the first direct child whose local name is one of ``names``."""
    for child in element:
        if local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None
