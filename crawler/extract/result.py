"""What extraction hands over: :class:`Extraction`, the typed fields of one page, uncleaned.

Extraction reads a page and says what is in it; cleaning (:mod:`crawler.cleaning`) takes the
boilerplate out, moves photo credits into images and cuts every field to its cap, and counts what it
did. So ``paragraphs`` are the body's paragraphs as found (share bars and "Read also" lines
included) and each body image carries ``_position`` (how many paragraphs precede it) until cleaning
gives it the credit line printed below it. ``crawler.items.article_item`` turns it into the item.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Extraction:
    """The fields of one page. Lists and texts stop a little past the record's caps; ``sources`` names
    the method that produced each field found (``jsonld``, ``meta``, ``site``, ``generic``, ``url``, ...)."""

    url: str  # the page's canonical URL (its ``<link rel=canonical>``), else the fetched one
    page_type: str  # ``article``, ``listing`` or ``unknown``, as the page declares itself
    translations: list[str] = field(default_factory=list)
    title: str | None = None
    lead: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    published: datetime | None = None
    published_raw: str | None = None
    modified: datetime | None = None
    modified_raw: str | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    script_shell: bool = False  # next to no text and mostly scripts: worth rendering in a browser
    language: str | None = None
    script: str | None = None
    language_declared: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    # Parts of the page left unread, one entry each (``json_ld/too_large``, ``json_ld/invalid``): the spider counts
    # them (``extract/skipped/<part>``), as the page's one log line names them.
    skipped: list[str] = field(default_factory=list)
    # The page made inert for storage (``crawler.sanitize.InertHtml``), when asked for; from an extraction worker
    # its UTF-8 bytes (``crawler.sanitize.InertUtf8`` once its pool, ``crawler.extract.pool``, has them), stored as
    # they are.
    html: str | bytes | None = None
    # What the fetched text is when it is no HTML page (``json``, ``xml``, ``text``, ``binary``, ``empty``: see
    # :func:`crawler.extract.body_kind.not_html`); then no field was read, and the page is no article.
    not_html: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (``python -m crawler.extract`` prints it as JSON)."""
        return asdict(self)
