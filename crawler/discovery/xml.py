"""Safe XML parsing for feeds and sitemaps: no entities, no network, recover
from the broken markup real sites serve, gunzip ``.xml.gz`` bodies; long documents
(sitemaps) are streamed so memory does not grow with their length."""

from __future__ import annotations

import gzip
import io
import logging
import struct
from collections.abc import Generator
from functools import lru_cache

from lxml import etree
from scrapy.utils.gz import gunzip

logger = logging.getLogger(__name__)

_PARSER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)
MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


class XMLTooLarge(ValueError):
    """A gzip body that decompresses past the size limit (a bomb, or a sitemap over the protocol's 50 MB)."""


def gunzip_if_needed(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress a gzip body (a feed.xml.gz) with Scrapy's gunzip, refusing more than ``limit`` (> 0)
    bytes; a truncated body gives what could be read, as Scrapy's own sitemap spider gets."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        return gunzip(body, max_size=limit)  # stops within one 64 KiB chunk of the limit
    except ValueError:  # raised only by its size check (a private subclass): name the limit
        raise XMLTooLarge(f"decompressed XML exceeds {limit} bytes") from None


def parse_xml(body: bytes) -> etree._Element | None:
    """Parse an XML document, or return None when nothing usable is there."""
    try:
        body = gunzip_if_needed(body).lstrip()
    except (OSError, EOFError, struct.error, ValueError) as exc:  # corrupt or oversized gzip
        logger.warning("Unreadable compressed XML: %(error)s", {"error": exc})
        return None
    if not body:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None
    return root


# Not Scrapy's gunzip: it returns the whole document at once (50 MB of a sitemap of 250,000 URLs,
# copied once more by its BytesIO), and on reaching the limit it raises and keeps nothing. Streaming
# keeps memory flat however long the sitemap, and the links read before the limit are kept.
class _Capped(io.RawIOBase):
    """A decompressing stream that fails once it has given more than ``limit`` bytes."""

    def __init__(self, stream: gzip.GzipFile, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # io.RawIOBase takes any buffer; lxml passes these two
        data = self._stream.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise XMLTooLarge("decompressed XML exceeds the size limit")
        buffer[: len(data)] = data
        return len(data)


def iterparse(body: bytes, events: tuple[str, ...], limit: int = MAX_XML_BYTES,
              tag: tuple[str, ...] | None = None) -> etree.iterparse:
    """lxml's iterparse over ``body`` with the safe parser's options (only elements named ``tag``, when
    given), a gzip body decompressed on the fly up to ``limit`` bytes (past it, reading raises ValueError)."""
    source: io.IOBase = io.BytesIO(body)
    if body.startswith(b"\x1f\x8b"):
        source = _Capped(gzip.GzipFile(fileobj=source), limit)
    return etree.iterparse(source, events=events, tag=tag, recover=True, resolve_entities=False, no_network=True,
                           huge_tree=False, remove_comments=True)


def stream_xml(body: bytes, limit: int = MAX_XML_BYTES,
               stops: list[Exception] | None = None) -> Generator[etree._Element]:
    """The root element (before its children are read), then each complete child of the root, in
    order; a child is freed when the next is asked for. A gzip body is decompressed on the fly, up
    to ``limit`` bytes. Unreadable input ends the stream (a warning once elements were read), and the
    error that ended it is appended to ``stops`` (``XMLTooLarge`` past the limit)."""
    depth = elements = 0
    try:
        for event, element in iterparse(body, ("start", "end"), limit):
            depth += 1 if event == "start" else -1
            if depth != 1:
                continue
            elements += 1
            yield element  # the root on its start, a child of it on its end
            if event == "end":
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except (etree.XMLSyntaxError, OSError, EOFError, ValueError) as exc:  # broken, corrupt gzip, oversized
        if stops is not None:
            stops.append(exc)
        logger.log(logging.WARNING if elements else logging.DEBUG, "XML read stopped after %(n)d elements: %(error)s",
                   {"n": elements, "error": exc})


def local(tag: object) -> str:
    """The tag name without its namespace: ``{http://...}loc`` -> ``loc``."""
    return _local(tag) if isinstance(tag, str) else ""


@lru_cache(maxsize=1024)  # a sitemap repeats a handful of tags hundreds of thousands of times
def _local(tag: str) -> str:
    return tag.rpartition("}")[2].lower()


def child_text(element: etree._Element, *names: str) -> str | None:
    """Text of the first direct child whose local name is one of ``names``."""
    for child in element:
        if local(child.tag) in names and child.text and child.text.strip():
            return str(child.text.strip())
    return None
