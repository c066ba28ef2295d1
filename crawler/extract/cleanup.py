"""Paragraph-level cleanup, done once, by cleaning (:mod:`crawler.cleaning`): boilerplate lines dropped,
photo-credit lines moved into the image they belong to. Extraction only reads what it would keep."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from crawler.extract.boilerplate import (
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


def clean_paragraphs(paragraphs: list[str], images: list[dict[str, Any]],
                     enough: int | None = None) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate paragraphs and move credit lines into ``images`` (dropping their ``_position``);
    returns (kept, counts by reason: ``removed/ui``, ``removed/cross_link``, ``removed/duplicate``,
    ``credit_moved``). With ``enough``, stop once the kept paragraphs hold that many characters."""
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
    return kept, counts
