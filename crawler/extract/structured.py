"""Structured data a page declares about itself: JSON-LD, OpenGraph, meta.

Only the first :data:`~crawler.limits.MAX_JSON_LD_BLOCKS` JSON-LD blocks (none longer than
:data:`~crawler.limits.MAX_JSON_LD_CHARS`, and the first :data:`~crawler.limits.MAX_JSON_LD_NODES` nodes of
each) and :data:`~crawler.limits.MAX_META_TAGS` meta tags
of a page are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from parsel import Selector

from crawler.limits import MAX_JSON_LD_BLOCKS, MAX_JSON_LD_CHARS, MAX_JSON_LD_NODES, MAX_META_TAGS
from crawler.urls import url_key

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "Report",
})
LISTING_TYPES = frozenset({"CollectionPage", "ProfilePage", "SearchResultsPage", "AboutPage", "ContactPage"})
# The page itself (Yoast and other SEO plugins put an article's dates on its WebPage node, not on an Article).
WEBPAGE_TYPES = frozenset({"WebPage", "ItemPage", "MedicalWebPage", "FAQPage", "QAPage"})


@dataclass
class Structured:
    """JSON-LD article node (if any), web page node (if any), page types, and meta/OpenGraph values."""

    article: dict[str, Any] = field(default_factory=dict)
    webpage: dict[str, Any] = field(default_factory=dict)
    types: set[str] = field(default_factory=set)
    meta: dict[str, list[str]] = field(default_factory=dict)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON-LD nodes by @id
    skipped: list[str] = field(default_factory=list)  # blocks left unread: ``json_ld/too_large``, ``json_ld/invalid``

    def first_meta(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, []):
                if value.strip():
                    return value.strip()
        return None

    def all_meta(self, name: str) -> list[str]:
        return [v.strip() for v in self.meta.get(name, []) if v.strip()]

    def resolve(self, value: Any) -> Any:
        """Follow a JSON-LD ``{"@id": ...}`` reference to its node in the graph. Only a string names a node: an
        ``"@id"`` list or object raised (unhashable) and lost the page's article."""
        if isinstance(value, dict) and set(value) == {"@id"} and isinstance(value["@id"], str):
            return self.nodes.get(value["@id"], value)
        return value


def _flatten(data: Any, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` objects of a JSON-LD value, each followed by those of its ``@graph``, in document
    order. A stack, not recursion: a list of lists or of ``@graph`` nests as deep as the JSON does."""
    nodes: list[dict[str, Any]] = []
    stack = [data]
    while stack and len(nodes) < limit:
        item = stack.pop()
        if isinstance(item, list):
            stack += reversed(item[:limit])  # no more than that many of its items can be wanted
        elif isinstance(item, dict):
            nodes.append(item)
            if "@graph" in item:
                stack.append(item["@graph"])
    return nodes


def _types(node: dict[str, Any]) -> set[str]:
    """A node's types: its ``@type`` string, or the strings of its list; none for another value (``null``, a number,
    an object), which raised and lost the page's article (a broken template writes ``"@type": null``)."""
    value = node.get("@type")
    if isinstance(value, str):
        return {value}
    return {t for t in value if isinstance(t, str)} if isinstance(value, list) else set()


# A "\\ud800" escape without its pair decodes to a lone surrogate, which no store can encode (the record would
# be quarantined and the run fail): it is read as the replacement character, as a decoder reads a broken byte.
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _json_ld_nodes(blocks: list[str], skipped: list[str]) -> list[dict[str, Any]]:
    """The nodes of the JSON-LD ``blocks``; each block left unread is named in ``skipped``."""
    nodes: list[dict[str, Any]] = []
    for raw in blocks:
        if len(raw) > MAX_JSON_LD_CHARS:  # no article's data is that long; loading it costs ~40 bytes a character
            skipped.append("json_ld/too_large")
            continue
        if "\\ud" in raw or "\\uD" in raw:  # surrogates only: a block of escaped Cyrillic is left alone
            raw = _LONE_SURROGATE.sub(r"\\ufffd", raw)
        try:
            nodes += _flatten(json.loads(raw.strip().removeprefix("<![CDATA[").removesuffix("]]>")),
                              MAX_JSON_LD_NODES)
        except (ValueError, RecursionError):  # nested past the interpreter's depth: as unreadable as bad JSON
            skipped.append("json_ld/invalid")
    return nodes


def _meta(elements: list[Any]) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for element in elements:
        name = element.attrib.get("property") or element.attrib.get("name") or element.attrib.get("itemprop")
        content = element.attrib.get("content")
        if name and content is not None:
            meta.setdefault(name.strip().lower(), []).append(content)
    return meta


def _scripts_and_meta(sel: Selector) -> tuple[list[str], list[Any]]:
    """The texts of the first JSON-LD blocks and the first ``<meta>`` elements, in document order.

    One walk over the tree's ``<script>`` and ``<meta>`` elements (lxml's ``iter`` by tag, in C) instead of
    two XPath searches of the whole tree."""
    root = sel.root
    texts: list[str] = []
    scripts = 0
    metas: list[Any] = []
    for element in root.getroottree().iter("script", "meta"):
        if element.tag == "meta":
            if len(metas) < MAX_META_TAGS:
                metas.append(element)
        elif scripts < MAX_JSON_LD_BLOCKS and element.get("type") == "application/ld+json":
            scripts += 1
            # Its text nodes, as XPath's text() gives them: the text, then each child's tail.
            texts += [text for text in (element.text, *(child.tail for child in element)) if text]
        if len(metas) >= MAX_META_TAGS and scripts >= MAX_JSON_LD_BLOCKS:
            break
    return texts, metas


def read_structured(sel: Selector, url: str | None = None) -> Structured:
    """Collect JSON-LD nodes and meta tags of a parsed page (at ``url``: see :func:`_the_pages_article`)."""
    blocks, metas = _scripts_and_meta(sel)
    data = Structured(meta=_meta(metas))
    nodes = _json_ld_nodes(blocks, data.skipped)
    articles: list[dict[str, Any]] = []
    for node in nodes:
        types = _types(node)
        data.types |= types
        if isinstance(node.get("@id"), str):
            data.nodes[node["@id"]] = node
        if types & ARTICLE_TYPES and len(articles) < MAX_ARTICLE_NODES:
            articles.append(node)
        if types & WEBPAGE_TYPES and not types & LISTING_TYPES and not data.webpage:
            data.webpage = node
    data.article = _the_pages_article(articles, url)
    return data


MAX_ARTICLE_NODES = 20  # article nodes of a page weighed for the one that is the page's


def _the_pages_article(articles: list[dict[str, Any]], url: str | None) -> dict[str, Any]:
    """The article node that describes the page: the first naming the page's URL as its own (``mainEntityOfPage``,
    ``url``, ``@id``), else the first naming no other page, else the first. A related story's block before the
    page's own (kun.uz) gave the page that story's author and date."""
    if not articles:
        return {}
    if url is None or len(articles) == 1:
        return articles[0]
    own = url_key(url)  # the page's identity, as the crawl compares URLs
    named = [(node, _named_pages(node)) for node in articles]
    for node, pages in named:
        if own in pages:
            return node
    return next((node for node, pages in named if not pages), articles[0])


def _named_pages(node: dict[str, Any]) -> set[str]:
    """The identities of the pages an article node names as its own (fragments dropped: "…/#article")."""
    values = [node.get("mainEntityOfPage"), node.get("url"), node.get("@id")]
    urls = [v.get("@id") or v.get("url") if isinstance(v, dict) else v for v in values]
    pages = set()
    for value in urls:
        if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= 2_000:
            try:
                pages.add(url_key(value.split("#", 1)[0]))
            except ValueError:
                continue
    return pages


def names(value: Any, data: Structured) -> Iterator[str]:
    """Names from a JSON-LD author value: a string, a Person, or a list of them (lazily: a page may list a million)."""
    for item in value if isinstance(value, list) else [value]:
        item = data.resolve(item)
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            yield item["name"]


def strings(value: Any, limit: int | None = None) -> list[str]:
    """A JSON-LD value that may be a string, a comma-separated string or a list; at most ``limit`` of them."""
    if isinstance(value, str):
        found: Iterator[str] = (part for part in (p.strip() for p in value.split(",")) if part)
    elif isinstance(value, list):
        found = (v.strip() for v in value if isinstance(v, str) and v.strip())
    else:
        return []
    return list(islice(found, limit))
