"""The cleaning pipeline cuts every field of a record to its cap (``CLEANING_MAX_<NAME>``) and
counts each cut (``cleaning/truncated/<field>``), so that no stored record, nor the stored page
beside it, nears MongoDB's 16 MB document limit (a page of a million JSON-LD keywords once made
a 17.8 MB record)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import bson
import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from crawler.limits import RecordLimits
from crawler.storage.config import to_document
from crawler.storage.store import _page_upsert
from pipelines.cleaning import CleaningPipeline

LIMITS = RecordLimits()
WIDE = "😀"  # four bytes in UTF-8: the costliest character a field can hold
URL = "https://asiaplus.news/2026/11/20/story/"


def article(**changes: Any) -> ArticleItem:
    item = ArticleItem(url=URL, site="asiaplus", fetched_at=datetime(2026, 11, 20, tzinfo=UTC), urls=[URL],
                       title="Story", paragraphs=["First paragraph.", "Second paragraph."])
    return replace(item, **changes)


def clean(item: ArticleItem, **settings: Any) -> tuple[ArticleItem, dict[str, Any]]:
    crawler = get_crawler(settings_dict=settings)
    out = build_from_crawler(CleaningPipeline, crawler).process_item(item)
    return out, crawler.stats.get_stats()  # type: ignore[union-attr]


def image(n: int, caption: str | None = None) -> dict[str, Any]:
    return {"url": f"https://asiaplus.news/i/{n}.jpg", "caption": caption, "credit": None}


# field, oversized value, what the cleaned field must be
CASES: list[tuple[str, Any, Any]] = [
    ("title", "З" * 10_000, lambda v: len(v) == LIMITS.title_chars + 1 and v.endswith("…")),
    ("lead", "а" * 10_000, lambda v: v == "а" * LIMITS.text_chars),
    ("section", "б" * 10_000, lambda v: len(v) == LIMITS.text_chars),
    ("published_raw", "2026" * 10_000, lambda v: len(v) == LIMITS.text_chars),
    ("modified_raw", "2026" * 10_000, lambda v: len(v) == LIMITS.text_chars),
    ("tags", [f"тег{i}" for i in range(1_000)], lambda v: v == [f"тег{i}" for i in range(LIMITS.list_items)]),
    ("authors", [f"Анна{i}" for i in range(1_000)], lambda v: len(v) == LIMITS.list_items),
    ("translations", [f"{URL}{i}/" for i in range(1_000)], lambda v: len(v) == LIMITS.list_items),
    ("urls", [URL, URL + "x" * 10_000], lambda v: v == [URL]),
    ("images", [image(i) for i in range(1_000)], lambda v: len(v) == LIMITS.list_items),
    ("raw_html", "<p>x</p>" * 1_000_000, lambda v: len(v) == LIMITS.html_chars),
]


@pytest.mark.parametrize(("field", "value", "check"), CASES, ids=[case[0] for case in CASES])
def test_each_field_is_cut_to_its_cap_and_counted(field: str, value: Any, check: Any) -> None:
    out, stats = clean(article(**{field: value}))
    assert check(getattr(out, field))
    assert stats[f"cleaning/truncated/{field}"] == 1


def test_each_tag_and_author_is_cut_to_its_cap() -> None:
    out, stats = clean(article(tags=["т" * 1_000], authors=["а" * 1_000]))
    assert out.tags == ["т" * LIMITS.item_chars] and out.authors == ["а" * LIMITS.item_chars]
    assert stats["cleaning/truncated/tags"] == stats["cleaning/truncated/authors"] == 1


def test_image_captions_are_cut() -> None:
    out, stats = clean(article(images=[image(1, "подпись " * 1_000)]))
    assert len(out.images[0]["caption"]) == LIMITS.text_chars
    assert stats["cleaning/truncated/images/caption"] == 1


@pytest.mark.parametrize(("paragraphs", "kept", "cut"), [
    ([f"абзац {i}" for i in range(10_000)], [f"абзац {i}" for i in range(LIMITS.paragraphs)], "paragraphs"),
    (["я" * 100_000], ["я" * LIMITS.paragraph_chars], "paragraph"),
    ([f"{i:02}" + "я" * 39_998 for i in range(20)],
     [f"{i:02}" + "я" * 39_998 for i in range(12)] + ["12" + "я" * 19_998], "body"),
])
def test_the_body_is_cut_by_paragraph_count_paragraph_length_and_total(paragraphs: list[str], kept: list[str],
                                                                       cut: str) -> None:
    out, stats = clean(article(paragraphs=paragraphs))
    assert out.paragraphs == kept
    assert out.body == "\n\n".join(kept)
    assert stats[f"cleaning/truncated/{cut}"] == 1


def test_caps_come_from_settings() -> None:
    out, stats = clean(article(tags=["a", "b", "c"], title="x" * 20), CLEANING_MAX_LIST_ITEMS=2,
                       CLEANING_MAX_TITLE_CHARS=10)
    assert out.tags == ["a", "b"] and out.title == "x" * 10 + "…"
    assert stats["cleaning/truncated/tags"] == stats["cleaning/truncated/title"] == 1


def test_a_record_within_the_caps_is_stored_whole() -> None:
    out, stats = clean(article(tags=["a"], paragraphs=[f"{i} " + "абзац " * 150 for i in range(100)]))
    assert out.tags == ["a"] and len(out.paragraphs) == 100
    assert not [key for key in stats if key.startswith("cleaning/truncated/")]


@pytest.mark.e2e  # seconds: builds and encodes a maximal record
def test_the_largest_possible_record_is_far_below_16_mb() -> None:
    """Every field at absurd size, in four-byte characters: what is stored stays under 8 MB."""
    big = WIDE * 100_000
    item = article(
        title=big, lead=big, section=big, published_raw=big, modified_raw=big,
        tags=[f"{WIDE * 400}{i}" for i in range(1_000)], authors=[f"{WIDE * 400}{i}" for i in range(1_000)],
        paragraphs=[f"{WIDE * 100_000}{i}" for i in range(20)] + [f"{WIDE}{i}" for i in range(10_000)],
        images=[{"url": f"https://asiaplus.news/{'i' * 2_000}/{i}.jpg", "caption": WIDE * 3_000,
                 "credit": WIDE * 3_000} for i in range(1_000)],
        translations=[f"{URL}{'t' * 2_000}/{i}/" for i in range(1_000)],
        urls=[f"{URL}{'u' * 2_000}/{i}/" for i in range(1_000)],
    )
    out, _ = clean(item)
    document, _ = to_document(out)
    assert len(bson.encode(document)) < 8_000_000  # 17.8 MB (a million keywords) got through before


@pytest.mark.e2e  # seconds: builds and encodes a maximal page
def test_the_page_kept_for_the_largest_download_is_far_below_16_mb() -> None:
    """8 MiB of random bytes read as windows-1251 (every byte a character, two in UTF-8, none
    compressible): the gzipped page is cut with the HTML it came from."""
    rng = random.Random(5)
    alphabet = bytes(b for b in range(0x20, 0x100) if b not in b"<&\x98")
    text = bytes(rng.choices(alphabet, k=8 * 1024 * 1024)).decode("cp1251")
    out, stats = clean(article(raw_html=f"<html><body><p>{text}</p></body></html>"))
    document, html = to_document(out)
    page_document = _page_upsert(document, html or "")._doc["$set"]
    assert len(bson.encode(page_document)) < 5_000_000  # 7.2 MB before
    assert stats["cleaning/truncated/raw_html"] == 1


def test_a_byline_line_giving_the_authors_is_cleaned_out_of_the_body_and_counted() -> None:
    paragraphs = ["Автор: Айзада Мамытова", "Бишкекте жаңы мектеп ачылды.", "Мектепте 1200 окуучу окуйт."]
    item, stats = clean(article(authors=["Айзада Мамытова"], paragraphs=paragraphs))
    assert (item.paragraphs, item.authors) == (paragraphs[1:], ["Айзада Мамытова"])
    assert item.body == "Бишкекте жаңы мектеп ачылды.\n\nМектепте 1200 окуучу окуйт."
    assert stats["cleaning/removed/byline"] == 1
    kept, _ = clean(article(authors=[], paragraphs=paragraphs))
    assert kept.paragraphs == paragraphs
