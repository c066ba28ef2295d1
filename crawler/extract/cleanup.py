"""Paragraph-level cleanup, done once, by cleaning (:mod:`crawler.cleaning`): boilerplate lines dropped,
photo-credit lines moved into the image they belong to. Extraction only reads what it would keep."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from crawler.extract.boilerplate import (
    MAX_BYLINE_LINE_CHARS,
    credit_line,
    is_plain_cross_link,
    is_plain_cross_link_label,
    is_plain_ui_line,
    plain,
)
from crawler.text import normalize_text

_ATTRIBUTION = re.compile(
    r"^(?:source|sources|источник|манба|manba|булак|дереккөз|сарчашма)\s*[:—–-]\s*(?P<source>.{2,80})$",
    re.IGNORECASE)


def attribution(paragraphs: list[str]) -> str | None:
    """The source a syndicated copy names in its first or last lines ("Source: Kabar", "Источник: Ховар")."""
    for paragraph in [*paragraphs[:2], *paragraphs[-2:]]:
        match = _ATTRIBUTION.match(paragraph.strip())
        if match:
            return match["source"].strip(" .")
    return None


def content_hash(title: str, body: str) -> str:
    """SHA-256 of what readers see: the title and the body text."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def attach_credit(images: list[dict[str, Any]], caption: str | None, credit: str, position: int) -> bool:
    """Give ``credit`` to the nearest image before paragraph ``position`` that has none
    (else to any image without one); False when there is none."""
    before = [i for i in images if i.get("_position", 0) <= position]
    for image in [*reversed(before), *reversed(images)]:
        if not image.get("credit"):
            image["credit"] = credit
            if caption and not image.get("caption"):
                image["caption"] = caption
            return True
    return False


MAX_LINKED_TITLES = 5  # titles a "Read also:" label alone introduces
_TITLE_CHARS = 140


def _a_title(paragraph: str) -> bool:
    """Whether ``paragraph`` may be another story's title: short, no sentence ended with a full stop."""
    return len(paragraph) <= _TITLE_CHARS and not paragraph.rstrip().endswith((".", ":", ";"))


def kept_paragraphs(paragraphs: list[str], enough: int | None = None) -> list[str]:
    """The paragraphs cleaning will keep, for what extraction judges before it (language, script shell).
    With ``enough``, only the first ones, until they hold ``enough`` characters: what a judge of the text's
    start reads (cleaning keeps or drops each paragraph by itself and its kept predecessor, so the first
    kept ones are the same)."""
    return clean_paragraphs(paragraphs, [], enough)[0]


BYLINE_EDGE = 2  # paragraphs at each end of the body where a byline line may stand


def _byline_lines(kept: list[str], authors: Iterable[str]) -> set[int]:
    """The positions, among the first and last :data:`BYLINE_EDGE` of ``kept``, of the paragraphs that are a byline
    naming ``authors`` and nothing else ("Автор: Иван Петров", "Таҳияи Фарзона Раҳимова"): the record has them as its
    authors. A paragraph naming them inside a sentence stays."""
    wanted = {name.casefold() for name in authors}
    edges = sorted({*range(min(BYLINE_EDGE, len(kept))), *range(max(len(kept) - BYLINE_EDGE, 0), len(kept))})
    # Only a short edge paragraph showing an author's name is parsed, so that the byline rules are loaded (in the
    # crawl process, whose cleaning needs nothing else of extraction) when a body has one.
    shown = [n for n in edges
             if len(kept[n]) <= MAX_BYLINE_LINE_CHARS and any(name in kept[n].casefold() for name in wanted)]
    if not shown:
        return set()
    from crawler.extract.authors import byline_line_names

    return {n for n in shown if (names := byline_line_names(kept[n])) and {m.casefold() for m in names} <= wanted}


def clean_paragraphs(paragraphs: list[str], images: list[dict[str, Any]],
                     enough: int | None = None, authors: Iterable[str] = ()) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate paragraphs and move credit lines into ``images`` (dropping their ``_position``);
    returns (kept, counts by reason: ``removed/ui``, ``removed/cross_link``, ``removed/duplicate``,
    ``removed/byline``, ``credit_moved``). With ``enough``, stop once the kept paragraphs hold that many
    characters. A byline line at the body's start or end that gives the record's ``authors`` goes too: its names
    are in ``authors`` already."""
    kept: list[str] = []
    counts: dict[str, int] = {}
    chars = 0
    titles = 0  # paragraphs after a "Read also:" label alone that may still be the other stories' titles
    for position, paragraph in enumerate(normalize_text(p) for p in paragraphs):
        if enough is not None and chars >= enough:
            break
        reason = None
        if not paragraph:
            continue
        plain_text = plain(paragraph)  # made once for both tests
        linked_title = titles > 0 and _a_title(paragraph)
        titles = titles - 1 if linked_title else 0
        if is_plain_ui_line(plain_text):
            reason = "removed/ui"
        elif is_plain_cross_link(plain_text):
            reason = "removed/cross_link"
            titles = MAX_LINKED_TITLES if is_plain_cross_link_label(plain_text) else 0
        elif linked_title:
            reason = "removed/cross_link"
        elif kept and paragraph == kept[-1]:
            reason = "removed/duplicate"
        elif (credit := credit_line(paragraph)) is not None:
            attach_credit(images, *credit, position)
            reason = "credit_moved"
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
        else:
            kept.append(paragraph)
            chars += len(paragraph)
    for image in images:
        image.pop("_position", None)
    bylines = _byline_lines(kept, authors) if authors and enough is None else set()  # with enough, no end
    if bylines:
        counts["removed/byline"] = len(bylines)
        kept = [paragraph for n, paragraph in enumerate(kept) if n not in bylines]
    return kept, counts
