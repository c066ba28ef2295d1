"""Article discovery from feeds, sitemaps and listing pages (pure parsers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Link:
    """A candidate article URL with the date its source gave for it, if any."""

    url: str
    date: datetime | None = None
