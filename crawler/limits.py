"""Caps on what one stored article record may hold, so that no record nears MongoDB's 16 MB
document limit however hostile its page, and so that extraction work stays bounded.

Extraction gathers at most a little more than each cap (one item or one character over, so
that the cleaning pipeline sees the excess); the cleaning pipeline cuts every field to its cap
and counts it (``cleaning/truncated/<field>``). Each cap is the setting ``CLEANING_MAX_<NAME>``
(``CLEANING_MAX_TITLE_CHARS``, ``CLEANING_MAX_BODY_CHARS``, ...); the defaults are written here
once. At the defaults the largest possible record (four-byte characters everywhere) is 6.5 MB
of BSON: the body text twice (``paragraphs`` and ``body``) 2 x 2 MB, images 1.8 MB, the URL
and name lists 0.7 MB; the page kept beside it (gzipped HTML) stays under 5 MB.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RecordLimits:
    """The cap of each field of a record (characters or items)."""

    title_chars: int = 500
    text_chars: int = 2_000  # lead, section, published_raw, modified_raw, an image's caption and credit
    paragraph_chars: int = 50_000  # one paragraph
    paragraphs: int = 5_000
    body_chars: int = 500_000  # all paragraphs together
    list_items: int = 100  # authors, tags, images, translations, urls
    item_chars: int = 300  # one author or tag
    url_chars: int = 2_083  # one URL (Scrapy's URLLENGTH_LIMIT): longer ones are dropped, not cut
    html_chars: int = 4_000_000  # the page kept for re-extraction

    @classmethod
    def from_settings(cls, settings: Any) -> RecordLimits:
        """The caps from ``CLEANING_MAX_<NAME>`` settings (anything with ``getint``); each must be positive."""
        values = {f.name: settings.getint(setting_name(f.name), f.default) for f in fields(cls)}
        bad = [setting_name(name) for name, value in values.items() if value < 1]
        if bad:
            raise ValueError(f"{', '.join(bad)} must be positive")
        return cls(**values)


def setting_name(field_name: str) -> str:
    """``body_chars`` -> ``CLEANING_MAX_BODY_CHARS``."""
    return f"CLEANING_MAX_{field_name.upper()}"


# Work per page, whatever the caps above. Real news pages (the 800 of the article-extraction
# benchmark) have at most 5,105 elements, 1.8 MB of HTML and a handful of JSON-LD blocks and meta tags.
MAX_JSON_LD_BLOCKS = 100
MAX_JSON_LD_CHARS = 1_000_000  # a longer block is skipped unread (an 8 MB one took ~300 MB to load)
MAX_JSON_LD_NODES = 1_000  # nodes read from each (a 7 MB block of 2.4 million "{}" took 14 s)
MAX_JSON_LD_VALUES = 1_000  # items of one JSON-LD list a reader weighs (authors: 280,000 took 43 s)
MAX_META_TAGS = 1_000
MAX_MATCHES = 1_000  # nodes one site selector may match
# A larger page is cut before the generic extractor (trafilatura, superlinear on some shapes) reads it:
GENERIC_MAX_ELEMENTS = 6_000
GENERIC_MAX_HTML_CHARS = 2_500_000
GENERIC_MAX_CHARS = 300_000  # text characters the generic extractor is given from such a page
DATE_SEARCH_MAX_CHARS = 1_000_000  # HTML the generic date search (htmldate: a second per MB) reads, from the top
MAX_BODY_DEPTH = 100  # body containers nested deeper are read as one text block
