"""Cleaning of an article item, the one place its fields are cleaned: :func:`clean`.

Every text field is NFC-normalised with invisible characters and odd spaces
removed. Body paragraphs that are UI strings (share prompts, block titles,
comment-form labels, ad placeholders and markings) or "Read also:" pointers are removed, as are a
paragraph repeating the one before and a byline line at the body's start or end that gives the
``authors`` (cleaned first); photo-credit lines move into the image record
(extraction hands the body over as found, :mod:`crawler.extract.result`). Then each field is cut to its cap
(:class:`crawler.limits.RecordLimits`: title, texts, paragraphs, body, lists and
their items, the kept HTML), so that no record nears MongoDB's 16 MB limit. Sets
``body``, ``content_hash``, the near-duplicate ``minhash``/``lsh_bands`` and the
``attribution`` a syndicated copy names. What it removed and cut comes back as a
:class:`CleaningReport`, whose stats the cleaning pipeline adds.

Settings (read by ``RecordRules.from_settings``): ``CLEANING_MAX_<NAME>`` (``CLEANING_MAX_TITLE_CHARS``,
``CLEANING_MAX_BODY_CHARS``, ... one per cap in ``crawler/limits.py``).
Stats: ``cleaning/removed/ui``, ``cleaning/removed/cross_link``,
``cleaning/removed/duplicate``, ``cleaning/removed/byline``,
``cleaning/removed/image_url`` (an image URL no reader's browser may load:
``javascript:``, ``data:``, ``file:``, a private address or network name, ``metadata.google.internal``),
``cleaning/removed/translation_url`` (an hreflang link no reader's browser may follow, the same test),
``cleaning/credit_moved``, ``cleaning/truncated/<field>`` (one per record and field cut).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter

from crawler.extract.cleanup import attribution, clean_paragraphs, content_hash
from crawler.hosts import is_public_web_url
from crawler.items import ArticleItem, shape_problem
from crawler.limits import RecordLimits
from crawler.minhash import bands, signature
from crawler.sanitize import InertHtml, InertUtf8
from crawler.text import normalize_optional, normalize_text

_TEXT_FIELDS = ("lead", "section", "published_raw", "modified_raw")
_NAME_LISTS = ("authors", "tags")
_URL_LISTS = ("urls", "translations")


@dataclass(frozen=True)
class CleaningReport:
    """What cleaning did to one item: paragraphs removed or moved, by reason (``removed/ui``,
    ``removed/cross_link``, ``removed/duplicate``, ``removed/byline``, ``credit_moved``), and the fields it cut."""

    removed: dict[str, int] = field(default_factory=dict)
    truncated: tuple[str, ...] = ()

    def stats(self) -> dict[str, int]:
        """The report as stats: ``cleaning/<reason>`` and ``cleaning/truncated/<field>``."""
        return {**{f"cleaning/{reason}": n for reason, n in self.removed.items()},
                **{f"cleaning/truncated/{name}": 1 for name in self.truncated}}


def clean(item: Any, limits: RecordLimits) -> tuple[Any, CleaningReport]:
    """``item`` cleaned in place (see the module), and what was removed and cut. Anything but a well-formed
    ``ArticleItem`` comes back as it is: an ``ArticleChecked`` has nothing to clean, and a malformed item is
    validation's to drop."""
    if not isinstance(item, ArticleItem) or shape_problem(item, need_hash=False):
        return item, CleaningReport()
    return _Cleaning(limits).clean(item)


class _Cleaning:
    """One item's cleaning, noting the fields it cuts."""

    def __init__(self, limits: RecordLimits) -> None:
        self.limits = limits
        self._cuts: set[str] = set()

    def clean(self, item: ArticleItem) -> tuple[ArticleItem, CleaningReport]:
        adapter = ItemAdapter(item)
        limits = self.limits
        adapter["title"] = self._title(normalize_optional(adapter.get("title")))
        for name in _TEXT_FIELDS:
            adapter[name] = self._cut(name, normalize_optional(adapter.get(name)), limits.text_chars)
        for name in _NAME_LISTS:
            names = dict.fromkeys(filter(None, map(normalize_text, adapter.get(name) or [])))
            adapter[name] = self._list(name, [self._cut(name, n, limits.item_chars) or "" for n in names])
        # A page's hreflang links are its own to name: a newsroom's tools show them as links.
        links = adapter.get("translations") or []
        adapter["translations"] = [url for url in links if is_public_web_url(url)]
        for name in _URL_LISTS:
            adapter[name] = self._list(name, self._short_urls(name, adapter.get(name) or []))
        images = [i for i in adapter.get("images") or [] if len(i.get("url") or "") <= limits.url_chars]
        if len(images) < len(adapter.get("images") or []):
            self._truncated("images")
        # Credits first: a credit line moved into an image is then cut to its cap like any other.
        paragraphs, removed = clean_paragraphs(adapter.get("paragraphs") or [], images,
                                               authors=adapter.get("authors") or [])
        web = [image for image in images if is_public_web_url(image.get("url") or "")]
        if len(web) < len(images):  # javascript:, data:, file: or a private address: no image of the article
            removed["removed/image_url"] = len(images) - len(web)
            images = web
        if len(adapter["translations"]) < len(links):
            removed["removed/translation_url"] = len(links) - len(adapter["translations"])
        adapter["paragraphs"] = self._body(paragraphs)
        adapter["images"] = self._list("images", [self._clean_image(i) for i in images])
        html = adapter.get("raw_html")
        # Inert HTML was made from a page within the cap (serialising can lengthen it): kept whole.
        inert = isinstance(html, InertHtml | InertUtf8)
        adapter["raw_html"] = html if inert else self._cut("raw_html", html, limits.html_chars)
        adapter["body"] = "\n\n".join(adapter["paragraphs"])
        adapter["content_hash"] = content_hash(adapter.get("title") or "", adapter["body"])
        adapter["minhash"] = signature(adapter["body"])
        adapter["lsh_bands"] = bands(adapter["minhash"])
        adapter["attribution"] = attribution(adapter["paragraphs"])
        return item, CleaningReport(removed, tuple(sorted(self._cuts)))

    def _truncated(self, name: str) -> None:
        self._cuts.add(name)

    def _title(self, title: str | None) -> str | None:
        if title is None or len(title) <= self.limits.title_chars:
            return title
        self._truncated("title")
        return title[: self.limits.title_chars].rstrip() + "…"

    def _cut(self, name: str, text: str | None, chars: int) -> str | None:
        if text is None or len(text) <= chars:
            return text
        self._truncated(name)
        return text[:chars]

    def _list(self, name: str, values: list[Any]) -> list[Any]:
        if len(values) <= self.limits.list_items:
            return values
        self._truncated(name)
        return values[: self.limits.list_items]

    def _short_urls(self, name: str, urls: list[str]) -> list[str]:
        """URLs up to the cap's length; a longer one names no page anyone links to, and is dropped."""
        kept = [url for url in urls if len(url) <= self.limits.url_chars]
        if len(kept) < len(urls):
            self._truncated(name)
        return kept

    def _body(self, paragraphs: list[str]) -> list[str]:
        """Paragraphs cut to the caps on each one (``paragraph``), on their number (``paragraphs``) and
        on their characters together (``body``)."""
        limits, room = self.limits, self.limits.body_chars
        kept: list[str] = []
        for paragraph in paragraphs:
            if len(kept) == limits.paragraphs or room == 0:
                self._truncated("paragraphs" if room else "body")
                break
            if len(paragraph) > limits.paragraph_chars:
                self._truncated("paragraph")
                paragraph = paragraph[: limits.paragraph_chars]
            if len(paragraph) > room:
                self._truncated("body")
                paragraph = paragraph[:room]
            kept.append(paragraph)
            room -= len(paragraph)
        return kept

    def _clean_image(self, image: dict[str, Any]) -> dict[str, Any]:
        cleaned = {k: normalize_optional(v) if isinstance(v, str) else v for k, v in image.items()}
        for key in ("caption", "credit"):
            cleaned[key] = self._cut(f"images/{key}", cleaned.get(key), self.limits.text_chars)
        return cleaned

