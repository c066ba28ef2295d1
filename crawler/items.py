"""The article item that spiders yield and pipelines clean, validate and store.

The stored record is documented field by field in the README ("The article
record"); bump ``SCHEMA_VERSION`` when its shape changes. ``article_item`` builds the item of
an extracted page; ``shape_problem`` tells whether an item is a well-formed article that every
store can encode.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import repeat
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from crawler.extract.result import Extraction
from crawler.sanitize import InertUtf8

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
    # Kept in the ``pages`` collection, not on the record (made inert; it may be already: ``InertHtml`` or, from an
    # extraction worker, ``InertUtf8``, the only bytes taken here).
    raw_html: str | InertUtf8 | None = None
    schema_version: int = SCHEMA_VERSION


def article_item(extraction: Extraction, *, url: str, urls: list[str], site: str, edition: str | None,
                 fetched_at: datetime, http_status: int | None = None, etag: str | None = None,
                 last_modified: str | None = None, raw_html: str | InertUtf8 | None = None) -> ArticleItem:
    """The item of an extracted page: its extracted fields, and where, when and how it was fetched
    (``url`` is the record's identity, decided by the caller: the extracted canonical URL is a claim)."""
    return ArticleItem(
        url=url, urls=urls, site=site, edition=edition, fetched_at=fetched_at, http_status=http_status,
        etag=etag, last_modified=last_modified, raw_html=raw_html,
        title=extraction.title, lead=extraction.lead, paragraphs=list(extraction.paragraphs),
        published=extraction.published, published_raw=extraction.published_raw,
        modified=extraction.modified, modified_raw=extraction.modified_raw,
        authors=list(extraction.authors), section=extraction.section, tags=list(extraction.tags),
        # Cleaning gives images their credits: the extraction stays as it was found.
        images=[dict(image) for image in extraction.images],
        sources=dict(extraction.sources), translations=list(extraction.translations), language=extraction.language,
        script=extraction.script, language_declared=extraction.language_declared,
    )


@dataclass
class ArticleChecked:
    """A revisit answered 304 Not Modified (only the check time changes); 404/410 or a redirect to no article of
    the site (the article is marked ``gone_at`` with the reason, never deleted); or a redirect to another article
    URL of the site (``location`` without ``gone``: the article moved there)."""

    url: str  # the article's URL as linked
    fetched_at: datetime
    gone: bool = False
    reason: str | None = None  # why it is gone: http_404, http_410, redirected, redirected_offsite
    location: str | None = None  # the real URL a redirect sent the revisit to


# Fields an article cannot be stored without (``content_hash`` is set by the cleaning pipeline).
_REQUIRED = {ArticleItem: ("url", "site", "content_hash"), ArticleChecked: ("url",)}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
Check = Callable[[Any], bool]


def shape_problem(item: Any, need_hash: bool = True) -> str | None:
    """Why ``item`` is not a well-formed article (an ``ArticleItem`` or ``ArticleChecked`` whose fields
    hold their declared types and plain, storable values), or None when it is."""
    kind = next((k for k in _REQUIRED if isinstance(item, k)), None)
    if kind is None:
        return f"not an article item: {type(item).__name__}"
    for name, hint, conforms in _fields(kind):
        value = getattr(item, name)
        if not conforms(value):
            return f"{name} is not {_hint_name(hint)}: {reprlib.repr(value)}"
    for name in _REQUIRED[kind]:
        if not getattr(item, name) and (need_hash or name != "content_hash"):
            return f"{name} is empty"
    return None


@cache
def _fields(kind: Any) -> list[tuple[str, Any, Check]]:
    """Each field of ``kind`` with its type hint and a check built once from the hint."""
    return [(name, hint, _check(hint)) for name, hint in get_type_hints(kind).items()]


def _check(hint: Any) -> Check:
    """A predicate for values of the type hint; ``Any`` means a plain value every store can encode."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return _plain
    if origin in (Union, UnionType):
        if all(_plain_class(arg) for arg in args):  # ``str | None``: one isinstance, in C
            return lambda value: isinstance(value, args)
        checks = [_check(arg) for arg in args]
        return lambda value: any(check(value) for check in checks)
    if origin is list:
        return _list_check(args[0])
    if origin is dict:
        entry = _check(args[1])
        return lambda value: isinstance(value, dict) and all(isinstance(k, str) and entry(v) for k, v in value.items())
    if hint is int:
        return _int
    return lambda value: isinstance(value, hint)


def _list_check(hint: Any) -> Check:
    """A predicate for lists of ``hint``: of ints and of a plain class the elements are tested in C (an item is
    checked by each pipeline, and its MinHash alone holds 64 ints)."""
    if hint is int:
        return lambda value: isinstance(value, list) and (not value or (
            set(map(type, value)) == {int} and min(value) >= _INT64_MIN and max(value) <= _INT64_MAX))
    if _plain_class(hint):
        return lambda value: isinstance(value, list) and all(map(isinstance, value, repeat(hint)))
    item = _check(hint)
    return lambda value: isinstance(value, list) and all(map(item, value))


def _plain_class(hint: Any) -> bool:
    """Whether values of ``hint`` are checked by ``isinstance`` alone (not ints: a bool is no int here, nor a
    number past 64 bits)."""
    return isinstance(hint, type) and get_origin(hint) is None and hint not in (int, Any)


def _int(value: Any) -> bool:
    return type(value) is int and _INT64_MIN <= value <= _INT64_MAX  # not bool; BSON has no bigger integers


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, float, datetime)):
        return True
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, list):
        return all(map(_plain, value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _hint_name(hint: Any) -> str:
    return hint.__name__ if get_origin(hint) is None and hasattr(hint, "__name__") else str(hint).replace("typing.", "")
