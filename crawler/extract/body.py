"""Body extraction from a located container: paragraphs in reading order
(headings, quotes and list items kept) and the images inside it. The walk stops
just past the record's caps (paragraph count, body characters, images), so that
the cleaning pipeline sees what was cut; containers nested deeper than
:data:`~crawler.limits.MAX_BODY_DEPTH` are read as one block of text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import html as lxml_html

from crawler.extract.boilerplate import split_credit
from crawler.limits import MAX_BODY_DEPTH, RecordLimits
from crawler.sanitize import tracking_pixel
from crawler.text import normalize_text

_TEXT_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "dt", "dd"})
_CONTAINERS = frozenset({"div", "section", "article", "main", "blockquote", "ul", "ol", "dl", "center"})
# Inline markup: part of the running text around it (loose text of old CMSes included).
_INLINE = frozenset({"a", "b", "strong", "i", "em", "u", "s", "span", "font", "sup", "sub", "small", "mark",
                     "abbr", "q", "cite", "time", "code", "nobr"})
_SKIP = frozenset({"figcaption", "aside", "header", "footer", "video", "audio", "object", "script", "style",
                   "noscript", "template", "iframe", "form", "button", "svg"})


@dataclass
class Body:
    """What a body container holds."""

    paragraphs: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    limits: RecordLimits = field(default_factory=RecordLimits, repr=False, compare=False)
    chars: int = field(default=0, repr=False, compare=False)

    @classmethod
    def of(cls, paragraphs: list[str], limits: RecordLimits) -> Body:
        """A body of ``paragraphs`` found elsewhere (the generic extractor), read as far as the caps allow."""
        body = cls(limits=limits)
        for paragraph in paragraphs:
            body.add_paragraph(paragraph)
        return body

    @property
    def full(self) -> bool:
        """Past the record's caps: reading on would only make work the cleaning pipeline throws away."""
        return len(self.paragraphs) > self.limits.paragraphs or self.chars > self.limits.body_chars

    def add_paragraph(self, text: str) -> None:
        if text and not self.full:
            self.paragraphs.append(text[: self.limits.paragraph_chars + 1])
            self.chars += len(self.paragraphs[-1])

    def add_image(self, image: dict[str, Any] | None) -> None:
        """Keep ``image``, noting how many paragraphs precede it (``_position``, for credit lines)."""
        if image and len(self.images) <= self.limits.list_items:
            self.images.append({**image, "_position": len(self.paragraphs)})

    def add_images_in(self, element: lxml_html.HtmlElement, base_url: str) -> None:
        for img in element.iter("img"):
            if len(self.images) > self.limits.list_items:
                return
            self.add_image(image_record(img, base_url))


def image_record(element: lxml_html.HtmlElement, base_url: str) -> dict[str, Any] | None:
    """An image record from a ``<figure>`` or ``<img>``: URL, caption and credit split apart."""
    img = element if element.tag == "img" else next(element.iter("img"), None)
    if img is None or tracking_pixel(img, base_url):
        return None
    src = img.get("src") or ""
    if not src or src.startswith("data:"):
        src = img.get("data-src") or img.get("data-lazy-src") or ""
    if not src:
        return None
    caption_el = next(element.iter("figcaption"), None) if element.tag != "img" else None
    caption_text = normalize_text(caption_el.text_content()) if caption_el is not None else ""
    caption, credit = split_credit(caption_text) if caption_text else (None, None)
    if caption_el is None and element.tag != "img":
        credit = _classed_credit(element)
    try:
        url = urljoin(base_url, src.strip())
    except ValueError:  # an unclosed or non-IP bracketed host ("http://[::1"): no image, and not a lost page
        return None
    return {"url": url, "caption": caption, "credit": credit}


_CREDIT_CLASS = re.compile(r"copyright|credit", re.IGNORECASE)


def _classed_credit(container: lxml_html.HtmlElement) -> str | None:
    """The credit of an image block with no ``<figcaption>`` (Sputnik's ``.media__copyright``: "© Sputnik /
    Name"), from the first element whose class names a copyright or credit."""
    for element in container.iterdescendants():
        if isinstance(element.tag, str) and _CREDIT_CLASS.search(element.get("class") or ""):
            text = normalize_text(element.text_content())
            if text:
                return split_credit(text)[1] or text
    return None


def _is_gallery(figure: lxml_html.HtmlElement) -> bool:
    """A Gutenberg gallery: a figure holding figures, or several images."""
    return any(child.tag == "figure" for child in figure.iterdescendants()) or sum(1 for _ in figure.iter("img")) > 1


def _has_block_child(element: lxml_html.HtmlElement) -> bool:
    return any(
        isinstance(child.tag, str) and (child.tag in _TEXT_BLOCKS or child.tag in _CONTAINERS or child.tag == "figure")
        for child in element
    )


def _text(element: lxml_html.HtmlElement) -> str:
    for br in element.iter("br"):
        br.tail = " " + (br.tail or "")
    return normalize_text(element.text_content())


class _LooseText:
    """Text that sits directly in a container, between its block children."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.parts: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def flush(self) -> None:
        self.body.add_paragraph(normalize_text("".join(self.parts)))
        self.parts.clear()


def _walk(element: lxml_html.HtmlElement, base_url: str, body: Body, depth: int = 0) -> None:
    loose = _LooseText(body)
    loose.add(element.text)
    for child in element:
        if body.full:
            return
        tag = child.tag
        if isinstance(tag, str) and tag in _INLINE and not _has_block_child(child):
            body.add_images_in(child, base_url)
            loose.add(child.text_content())
        elif tag == "br":
            loose.flush()  # old CMSes separate loose paragraphs with <br>
        elif isinstance(tag, str) and tag not in _SKIP:
            loose.flush()
            _block(child, base_url, body, depth + 1)
        loose.add(child.tail)
    loose.flush()


def _rows(table: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The rows of ``table`` itself (in its head, body and foot), not those of tables nested in its cells."""
    return [row for child in table
            for row in ((child,) if child.tag == "tr" else child if child.tag in ("thead", "tbody", "tfoot") else ())
            if row.tag == "tr"]


def _table(table: lxml_html.HtmlElement, base_url: str, body: Body, depth: int) -> None:
    """A data table's rows, one paragraph each, cells joined by " | " as the generic path reads them (results,
    prices); a layout table's cells (paragraphs, blocks or tables in them: an old CMS's page grid) as containers."""
    rows = _rows(table)
    cells = [cell for row in rows for cell in row if cell.tag in ("td", "th")]
    if any(_has_block_child(cell) or next(cell.iter("table"), None) is not None for cell in cells) \
            or depth >= MAX_BODY_DEPTH:
        for cell in cells:
            _walk(cell, base_url, body, depth)
        return
    body.add_images_in(table, base_url)
    for row in rows:
        body.add_paragraph(" | ".join(text for cell in row if cell.tag in ("td", "th") and (text := _text(cell))))


def _block(child: lxml_html.HtmlElement, base_url: str, body: Body, depth: int) -> None:
    tag = child.tag
    if tag == "table":
        _table(child, base_url, body, depth)
    elif tag == "figure" and _is_gallery(child) and depth < MAX_BODY_DEPTH:
        _walk(child, base_url, body, depth)
    elif tag in ("figure", "img"):
        body.add_image(image_record(child, base_url))
    elif tag in _TEXT_BLOCKS or (tag in _CONTAINERS and not _has_block_child(child)) or depth >= MAX_BODY_DEPTH:
        body.add_images_in(child, base_url)
        body.add_paragraph(_text(child))
    else:
        _walk(child, base_url, body, depth)


def extract_body(container: lxml_html.HtmlElement, base_url: str, limits: RecordLimits | None = None) -> Body:
    """Paragraphs and images of a body container, in document order, a little past ``limits``."""
    body = Body(limits=limits or RecordLimits())
    _walk(container, base_url, body)
    return body
