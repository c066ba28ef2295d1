"""The article item that spiders yield and pipelines clean, validate and store.

The stored record is documented field by field in the README ("The article
record"); bump ``SCHEMA_VERSION`` when its shape changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class ArticleItem:
    url: str  # canonical URL
    site: str
    fetched_at: datetime
    urls: list[str] = field(default_factory=list)  # every URL that led to this article
    edition: str | None = None
    language: str | None = None  # ISO 639-1, detected from the text
    script: str | None = None  # ISO 15924 (Cyrl, Latn), always set for uz and kk
    language_declared: str | None = None  # what the page or edition claims
    title: str | None = None
    lead: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    body: str = ""
    published: datetime | None = None
    published_raw: str | None = None
    modified: datetime | None = None
    modified_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # field -> method that produced it
    content_hash: str | None = None
    minhash: list[int] = field(default_factory=list)  # near-duplicate signature (crawler.minhash)
    lsh_bands: list[str] = field(default_factory=list)  # its indexed LSH bands
    attribution: str | None = None  # "Source: ..." line naming where a copy comes from
    translations: list[str] = field(default_factory=list)  # canonical URLs of the other language editions
    http_status: int | None = None
    etag: str | None = None  # validators for conditional revisits
    last_modified: str | None = None
    raw_html: str | None = None  # kept in the ``pages`` collection, not on the record
    schema_version: int = SCHEMA_VERSION


@dataclass
class ArticleChecked:
    """A revisit answered 304 Not Modified (only the check time changes) or 404/410 (the
    article is marked ``gone_at``, never deleted)."""

    url: str  # the article's URL as linked
    fetched_at: datetime
    gone: bool = False
