"""Canonical links that claim another article's identity.

A page is stored under its canonical URL when that is an article URL of its site (a shortlink, a print page
and an AMP page name their article so). A template bug or a hostile site can make every page name one article:
each was then written over that record, and only the last text stayed. A claim is taken when the article it
names is not known yet, when the claiming page tells the same story (its text, or a near copy), or when the
record already holds the URL the page was fetched at (a revisit of a variant); otherwise the page keeps its own
URL as its identity.

The URL a page was fetched at is the first of its ``urls`` (:meth:`crawler.spiders.base.SiteSpider._item`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.urls import canonical_url, url_id, url_key

Doc = dict[str, Any]


def claims(doc: Doc) -> bool:
    """Whether ``doc`` is keyed by a URL other than the one it was fetched at (its canonical link's)."""
    urls = doc.get("urls") or []
    return bool(urls) and isinstance(urls[0], str) and url_id(urls[0]) != doc.get("_id")


def false_claims(docs: list[Doc], stored: dict[str, Doc], same_text: Callable[[Doc, Doc], bool]) -> list[Doc]:
    """The docs of ``docs`` whose claim is refused, in batch order. ``stored`` maps the claimed ids to the
    records stored under them (``urls``, ``site``, ``content_hash``, ``minhash``). A page fetched at the claimed
    URL itself holds it first, whatever the order of the batch; then the record stored there; then the first
    claim."""
    holders = {doc["_id"]: doc for doc in docs if not claims(doc)}
    for key, record in stored.items():
        holders.setdefault(key, record)
    refused = []
    for doc in docs:
        if not claims(doc):
            continue
        holder = holders.setdefault(doc["_id"], doc)
        if holder is doc or same_text(doc, holder):
            continue
        if url_key(doc["urls"][0]) in {url_key(u) for u in holder.get("urls") or [] if isinstance(u, str)}:
            continue
        refused.append(doc)
    return refused


def keep_own_identity(doc: Doc) -> str:
    """Key ``doc`` by the URL it was fetched at, without the claimed URL; returns the claimed URL."""
    claimed, fetched = doc["url"], doc["urls"][0]
    claimed_id = doc["_id"]
    doc["_id"], doc["url"] = url_id(fetched), canonical_url(fetched)
    doc["urls"] = [u for u in doc["urls"] if not isinstance(u, str) or url_id(u) != claimed_id]
    return str(claimed)
