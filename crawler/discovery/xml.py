"""Safe XML parsing for feeds and sitemaps: no entities, no network, recover
from the broken markup real sites serve, gunzip ``.xml.gz`` bodies; long documents
(sitemaps) are streamed so memory does not grow with their length. A bare ``&`` (a link's
``?id=5&lang=ru`` left unescaped, as many CMSes write it) is read as the character it means, and
an HTML entity no feed defines (``&laquo;``, ``&nbsp;`` in a title) as written: libxml2's
recovery dropped either with the word after it, then every ``&amp;`` after it in the document,
so each link with a query after one named another URL.

A document is read by what its bytes are: a byte order mark first; then an ASCII-compatible start that
decodes as UTF-8 is UTF-8 whatever its declaration names when that is no ASCII-compatible encoding
(``encoding="UTF-16"``, ``"UTF-7"`` or a name no codec has, as real feeds write: libxml2 followed it and read nothing);
otherwise the declaration (``windows-1251``, ``KOI8-R``), unless the whole document is UTF-8 with enough characters
past ASCII to say so (:func:`utf8_declared_otherwise`, the rule :func:`crawler.charsets.utf8_misdeclared` applies to
pages: a migrated CMS kept its old declaration, and every Cyrillic title and link was read as mojibake). Only the
declaration's name is rewritten, before the parser (with its options unchanged) sees the bytes."""

from __future__ import annotations

import codecs
import gzip
import io
import logging
import re
import struct
import zlib
from collections.abc import Generator
from functools import lru_cache

from lxml import etree
from scrapy.utils.gz import gunzip

from crawler.charsets import MIN_UTF8_CHARS
from crawler.urls import joined

logger = logging.getLogger(__name__)

_PARSER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)
MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


class XMLTooLarge(ValueError):
    """A gzip body that decompresses past the size limit (a bomb, or a sitemap over the protocol's 50 MB)."""


def broken_gzip(stops: list[Exception]) -> bool:
    """Whether a read stopped at a fault of its gzip body (bad deflate data, CRC, cut short): what came before it was
    read."""
    return any(isinstance(stop, OSError | EOFError) for stop in stops)


def gunzip_if_needed(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress a gzip body (a feed.xml.gz) with Scrapy's gunzip, refusing more than ``limit`` (> 0)
    bytes; a truncated body gives what could be read, as Scrapy's own sitemap spider gets."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        return gunzip(body, max_size=limit)  # stops within one 64 KiB chunk of the limit
    except ValueError:  # raised only by its size check (a private subclass): name the limit
        raise XMLTooLarge(f"decompressed XML exceeds {limit} bytes") from None


_DECLARATION = re.compile(rb"\A(\xef\xbb\xbf)?(\s*<\?xml\s[^>]{0,200}?\bencoding\s*=\s*)([\"'])([^\"'<>]{0,64})\3")
_ASCII = "".join(map(chr, range(0x20, 0x7F))) + "\t\n\r"
_SNIFF = 1024  # bytes of a document's start its encoding is judged by


@lru_cache(maxsize=64)
def _ascii_compatible(name: str) -> bool:
    """True when ``name`` is a codec writing ASCII as ASCII (windows-1251, KOI8-R; not UTF-16/32, UTF-7)."""
    try:
        return _ASCII.encode(name) == _ASCII.encode() and _ASCII.encode().decode(name) == _ASCII
    except (LookupError, UnicodeError, ValueError):
        return False


def _true_encoding(head: bytes, transcoded: bool = False, utf8: bool = False) -> bytes:
    """``head`` (a document's start) with its declaration naming UTF-8 when its bytes are plainly UTF-8 (a UTF-8
    byte order mark, or an ASCII-compatible start that decodes as UTF-8) but it names no ASCII-compatible encoding;
    whatever it names when ``transcoded`` (to UTF-8, from UTF-16 or UTF-32) or the document is known to be ``utf8``."""
    match = _DECLARATION.match(head)
    if match is None or match[4].decode("latin-1").strip().lower() in ("utf-8", "utf8"):
        return head
    if match[1] is None and not transcoded and not utf8:
        if _ascii_compatible(match[4].decode("latin-1").strip()):
            return head  # windows-1251, KOI8-R: as declared
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head[:_SNIFF])  # not final: a character cut at the end
        except UnicodeDecodeError:
            return head
    return head[:match.start(4)] + b"UTF-8" + head[match.end(4):]


def utf8_declared_otherwise(body: bytes, limit: int = MAX_XML_BYTES) -> bool:
    """Whether the document ``body`` (gzipped or not) declares an ASCII-compatible encoding other than UTF-8
    (windows-1251, KOI8-R) but is UTF-8: it decodes as UTF-8 whole (up to ``limit`` bytes, or where its gzip breaks)
    with at least ``MIN_UTF8_CHARS`` characters past ASCII. Only such a declaration costs a pass over the document."""
    source: io.IOBase = io.BytesIO(body)
    if body.startswith(b"\x1f\x8b"):
        source = io.BufferedReader(_Capped(gzip.GzipFile(fileobj=source), limit))
    decoder = codecs.getincrementaldecoder("utf-8")()
    past_ascii = 0
    try:
        chunk = source.read(_SNIFF)
        match = _DECLARATION.match(chunk.lstrip())
        if match is None or match[1] is not None or not _other_than_utf8(match[4].decode("latin-1").strip()):
            return False
        while chunk:
            text = decoder.decode(chunk)
            past_ascii += len(text) - len(text.encode("ascii", "ignore"))
            chunk = source.read(_CHUNK)
        decoder.decode(b"", True)
    except UnicodeDecodeError:  # before ValueError: it is one
        return False
    except (OSError, EOFError, struct.error, ValueError, zlib.error):  # past the limit, a broken gzip: what was read
        pass
    return past_ascii >= MIN_UTF8_CHARS


def _other_than_utf8(name: str) -> bool:
    """An ASCII-compatible encoding (as :func:`_ascii_compatible`) that is not UTF-8."""
    return _ascii_compatible(name) and codecs.lookup(name).name != "utf-8"


def parse_xml(body: bytes) -> etree._Element | None:
    """Parse an XML document, or return None when nothing usable is there."""
    try:
        body = gunzip_if_needed(body).lstrip()
    except (OSError, EOFError, struct.error, ValueError, zlib.error) as exc:  # corrupt or oversized gzip
        logger.warning("Unreadable compressed XML: %(error)s", {"error": exc})
        return None
    if not body:
        return None
    try:
        root = etree.fromstring(_true_encoding(body), _PARSER)
    except etree.XMLSyntaxError:
        return None
    return root


# Not Scrapy's gunzip: it returns the whole document at once (50 MB of a sitemap of 250,000 URLs,
# copied once more by its BytesIO), and on reaching the limit it raises and keeps nothing. Streaming
# keeps memory flat however long the sitemap, and the links read before the limit are kept.
class _Capped(io.RawIOBase):
    """A decompressing stream that gives its first ``limit`` bytes, then fails (the read after them)."""

    def __init__(self, stream: gzip.GzipFile, limit: int) -> None:
        self._stream = stream
        self._left = limit
        self._over = False  # the last piece ran past the limit: the next read fails

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # io.RawIOBase takes any buffer; lxml passes these two
        # read1: what one piece of the stream holds, so a read that a cut stream fails loses no more than that piece
        if self._over:
            raise XMLTooLarge("decompressed XML exceeds the size limit")
        try:
            data = self._stream.read1(min(len(buffer), self._left + 1))
        except zlib.error as exc:  # corrupt deflate data: an OSError, as gzip's other failures are
            raise gzip.BadGzipFile(f"corrupt gzip data: {exc}") from None
        if len(data) > self._left:  # its last byte is past the limit: hand over the rest, fail the next read
            data, self._over = data[: self._left], True
            if not data:
                raise XMLTooLarge("decompressed XML exceeds the size limit")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


# Outside CDATA, comments and processing instructions, an "&" that starts no character reference to a character XML
# allows nor one of XML's five entities is escaped (an HTML entity, "&laquo;", reads as written: none is defined, and
# libxml2 never resolves one; "&#8;" or "&#xD800;" as written: libxml2 fails on it, and recovered the old way from then
# on). The sections are followed so that their "&" stays as it is, and "<![CDATA[" in a comment starts nothing.
_MARKUP = re.compile(rb"<!\[CDATA\[|\]\]>|<!--|-->|<\?|\?>|&#([0-9]{1,10});|&#[xX]([0-9a-fA-F]{1,8});"
                     rb"|&(?!(?:amp|lt|gt|quot|apos);)")
_ENDS = {b"<![CDATA[": b"]]>", b"<!--": b"-->", b"<?": b"?>"}  # a section's start: its end
_LOOKAHEAD = 80  # held back at a chunk's end: more than any match above with what it looks at after it
_CHUNK = 64 * 1024


class _Ampersands(io.RawIOBase):
    """An XML stream with each bare ``&`` written ``&amp;``, read ``_CHUNK`` bytes at a time. A UTF-16 or UTF-32
    document (no "&" byte of its own: 並 is U+4E26) is transcoded to UTF-8 as it streams, then escaped. When the source
    fails (past the size limit, corrupt gzip), what was read before it is handed over whole, then the failure."""

    def __init__(self, stream: io.IOBase, utf8: bool = False) -> None:
        self._stream = stream
        self._utf8 = utf8  # UTF-8 whatever the declaration names (:func:`utf8_declared_otherwise`)
        self._held = b""  # the end of what was read, not escaped yet: a match may run past it
        self._out = b""
        self._at = 0  # how much of _out was given
        self._section = b""  # the end of the CDATA section, comment or processing instruction being read
        self._ended = False
        self._stop: Exception | None = None  # what failed the source, raised once the bytes before it are given
        self._started = False  # the document's start (its declaration) was read
        self._decoder: codecs.IncrementalDecoder | None = None  # a UTF-16/32 document's, known from its start
        self._opaque = False  # EBCDIC, or wide in no shape known: handed over as it is

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # as _Capped.readinto
        while self._at == len(self._out) and not self._ended:
            self._out, self._at = self._next(), 0
        if self._at == len(self._out) and self._stop is not None:
            raise self._stop
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at:self._at + n]
        self._at += n
        return n

    def _next(self) -> bytes:
        """The next piece of the document, escaped (may be empty: all of it held)."""
        data = self._read()
        if not self._started:  # judge the encoding by at least _SNIFF bytes (a gzip piece may be shorter)
            while not self._ended and len(data) < _SNIFF:
                data += self._read()
            data = self._start(data)
        elif self._decoder is not None:
            data = self._decoder.decode(data, self._ended).encode()
        return data if self._opaque else self._escaped(self._held + data)

    def _read(self) -> bytes:
        """A chunk of the source; nothing at its end, or when it fails (the failure kept for after the rest)."""
        try:
            data: bytes = self._stream.read(_CHUNK)
        except (OSError, EOFError, ValueError) as exc:  # past the size limit (XMLTooLarge), corrupt gzip
            self._stop, data = exc, b""
        self._ended = not data
        return data

    def _start(self, head: bytes) -> bytes:
        """The document's first bytes, as UTF-8 when they are UTF-16 or UTF-32, with the declaration that says so."""
        self._started = True
        codec = _wide_codec(head)
        if codec is None:
            self._opaque = _wide(head)
            return head if self._opaque else _true_encoding(head, utf8=self._utf8)
        self._decoder = codecs.getincrementaldecoder(codec)("replace")
        return _true_encoding(self._decoder.decode(head, self._ended).encode(), transcoded=True)

    def _escaped(self, data: bytes) -> bytes:
        """``data`` escaped up to ``_LOOKAHEAD`` bytes before its end (all of it at the stream's end); the rest held."""
        limit = len(data) if self._ended else max(0, len(data) - _LOOKAHEAD)
        parts, start, cut = [], 0, limit
        for match in _MARKUP.finditer(data):
            if match.start() >= limit:
                break
            token = match[0]
            if self._section:
                if token == self._section:
                    self._section = b""
            elif token[0] == 0x26:  # "&"
                number = match[1] or match[2]
                if not number or not _legal(int(number, 10 if match[1] else 16)):
                    parts += [data[start:match.start()], b"&amp;"]
                    start = match.start() + 1
            else:
                self._section = _ENDS.get(token, b"")
            cut = max(cut, match.end())
        parts.append(data[start:cut])
        self._held = data[cut:]
        return b"".join(parts)


def _legal(code: int) -> bool:
    """Whether XML allows the character ``code`` (its production Char)."""
    return (0x20 <= code <= 0xD7FF or code in (0x9, 0xA, 0xD) or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


# The first four bytes of a UTF-32 or UTF-16 document with no byte order mark, as zero or not (its first characters
# are ASCII: "<", a space): XML 1.0's appendix F.
_WIDE_SHAPES: dict[tuple[bool, ...], str] = {
    (True, True, True, False): "utf-32-be", (False, True, True, True): "utf-32-le",
    (True, False, True, False): "utf-16-be", (False, True, False, True): "utf-16-le",
}


def _wide_codec(head: bytes) -> str | None:
    """The codec of a document starting with ``head`` when that is UTF-32 or UTF-16, by its byte order mark or the
    zeros of its first characters."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return _WIDE_SHAPES.get(tuple(byte == 0 for byte in head[:4])) if len(head) >= 4 else None


def _wide(head: bytes) -> bool:
    """Whether a document starting with ``head`` (no UTF-16 or UTF-32 :func:`_wide_codec` knows) is not
    ASCII-compatible, so that a 0x26 byte need not be "&": a NUL in its first 4 bytes (a declaration naming UTF-16
    over ASCII-compatible bytes is read by libxml2 as those bytes), or EBCDIC's "<?xm"."""
    return head.startswith(b"\x4c\x6f\xa7\x94") or b"\0" in head[:4]


def iterparse(body: bytes, events: tuple[str, ...], limit: int = MAX_XML_BYTES,
              tag: tuple[str, ...] | None = None, utf8: bool = False) -> etree.iterparse:
    """lxml's iterparse over ``body`` with the safe parser's options (only elements named ``tag``, when
    given), a gzip body decompressed on the fly up to ``limit`` bytes (past it, reading raises ValueError), its bare
    ``&`` escaped; read as UTF-8 whatever its declaration names with ``utf8``."""
    source: io.IOBase = io.BytesIO(body)
    if body.startswith(b"\x1f\x8b"):
        source = _Capped(gzip.GzipFile(fileobj=source), limit)
    return etree.iterparse(_Ampersands(source, utf8), events=events, tag=tag, recover=True, resolve_entities=False,
                           no_network=True, huge_tree=False, remove_comments=True)


def stream_xml(body: bytes, limit: int = MAX_XML_BYTES, stops: list[Exception] | None = None,
               utf8: bool = False) -> Generator[etree._Element]:
    """The root element (before its children are read), then each complete child of the root, in
    order; a child is freed when the next is asked for. A gzip body is decompressed on the fly, up
    to ``limit`` bytes. Unreadable input ends the stream (a warning once elements were read), and the
    error that ended it is appended to ``stops`` (``XMLTooLarge`` past the limit); ``utf8`` as :func:`iterparse`."""
    depth = elements = 0
    try:
        for event, element in iterparse(body, ("start", "end"), limit, utf8=utf8):
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


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def absolute(url: str, element: etree._Element | None, base_url: str | None) -> str:
    """``url`` resolved against ``element``'s ``xml:base`` (itself maybe relative) and the document's ``base_url``
    when it has no scheme; as written when it has one, or names no URL (it is then skipped as an invalid link)."""
    if base_url is None or _SCHEME.match(url):
        return url
    declared = None if element is None else element.base  # the xml:base in scope; None without one
    base = (joined(base_url, declared) or base_url) if declared else base_url
    return joined(base, url) or url
