"""Tables for URL identity, near-duplicate signatures, revisit schedules and attribution lines."""

from datetime import UTC, datetime, timedelta

import pytest

from crawler.extract.cleanup import attribution
from crawler.minhash import bands, signature, similarity
from crawler.revisits import is_due, parse_schedule
from crawler.urls import url_id, url_key


@pytest.mark.parametrize(("variant", "canonical"), [
    ("https://m.alpha.tj/ru/news/1002-x/", "https://alpha.tj/ru/news/1002-x/"),
    ("https://www.alpha.tj/ru/news/1002-x/", "https://alpha.tj/ru/news/1002-x/"),
    ("https://amp.alpha.tj/ru/news/1002-x/", "https://alpha.tj/ru/news/1002-x/"),
    ("https://alpha.tj/ru/news/1002-x/amp/", "https://alpha.tj/ru/news/1002-x/"),
    ("https://alpha.tj/ru/news/1002-x?utm_source=tg&fbclid=1", "https://alpha.tj/ru/news/1002-x/"),
    ("HTTPS://Alpha.TJ/ru/news/1002-x/#comments", "https://alpha.tj/ru/news/1002-x/"),
    ("https://kaktus.media/doc/512345_x.html", "https://kaktus.media/doc/512345_x.html"),
])
def test_url_variants_share_one_identity(variant: str, canonical: str) -> None:
    assert url_key(variant) == url_key(canonical)
    assert url_id(variant) == url_id(canonical)


def test_different_articles_keep_different_identities() -> None:
    assert url_id("https://alpha.tj/?p=1001") != url_id("https://alpha.tj/?p=1002")
    assert url_id("https://alpha.tj/en/news/1/") != url_id("https://beta.kg/en/news/1/")


STORY = ("The new border crossing between Tajikistan and Kyrgyzstan opened on Saturday in Isfara district. "
         "Officials from both countries attended the ceremony, and the first trucks crossed within an hour. "
         "The checkpoint will work around the clock and can handle up to 500 vehicles a day, the customs "
         "service said. Traders in Batken welcomed the opening, saying it cuts a three-hour detour.")
REWORDED = STORY.replace("opened on Saturday", "was opened on Saturday").replace("welcomed", "praised")
OTHER = ("Uzbekistan and Kazakhstan signed a water-sharing agreement for the Syr Darya basin at a summit "
         "in Tashkent on Monday, setting quotas for the irrigation season and a joint monitoring body.")


def test_minhash_finds_light_rewording_but_not_other_stories() -> None:
    original, copy, other = signature(STORY), signature(REWORDED), signature(OTHER)
    assert similarity(original, copy) >= 0.5
    assert set(bands(original)) & set(bands(copy))
    assert similarity(original, other) < 0.2
    assert signature("") == [] and bands([]) == []


def test_minhash_is_stable_across_runs() -> None:
    assert signature(STORY) == signature(STORY)
    assert bands(signature(STORY))[0].startswith("0:")


def test_minhash_values_are_those_stored_by_earlier_versions() -> None:
    """Stored signatures are compared with new ones: a faster computation must give the very same numbers."""
    import hashlib

    import numpy as np

    from crawler.minhash import _PRIME, _mod_prime

    sig = signature(STORY)
    assert sig[:3] == [27764473636152585, 12851558993741537, 51108448025469700]
    assert hashlib.sha256(repr(sig).encode()).hexdigest()[:16] == "3c4622c362701419"
    edges = np.array([0, 1, (1 << 61) - 2, (1 << 61) - 1, 1 << 61, (1 << 62) - 2, (1 << 62) - 1, 1 << 63,
                      (1 << 64) - 2, (1 << 64) - 1], dtype=np.uint64)
    wide = np.random.default_rng(5).integers(0, 1 << 64, size=10_000, dtype=np.uint64, endpoint=False)
    for values in (edges, wide):
        assert np.array_equal(_mod_prime(values.copy()), values % _PRIME)


PUBLISHED = datetime(2025, 5, 3, 7, 0, tzinfo=UTC)
SCHEDULE = parse_schedule("1h,6h,24h,7d")


@pytest.mark.parametrize(("checked_after", "now_after", "due"), [
    (timedelta(minutes=5), timedelta(minutes=30), False),   # no step passed yet
    (timedelta(minutes=5), timedelta(hours=2), True),       # the 1 h step passed since the check
    (timedelta(hours=2), timedelta(hours=3), False),        # checked after the 1 h step
    (timedelta(hours=2), timedelta(hours=7), True),         # the 6 h step
    (timedelta(days=2), timedelta(days=8), True),           # the 7 d step
    (timedelta(days=8), timedelta(days=300), False),        # past the schedule: never again
])
def test_revisit_schedule(checked_after: timedelta, now_after: timedelta, due: bool) -> None:
    assert is_due(PUBLISHED, PUBLISHED + checked_after, PUBLISHED + now_after, SCHEDULE) is due


def test_revisit_schedule_parsing() -> None:
    assert parse_schedule("7d, 1h") == (timedelta(hours=1), timedelta(days=7))
    with pytest.raises(ValueError, match="REVISIT_SCHEDULE"):
        parse_schedule("1 hour")
    assert is_due(None, PUBLISHED, PUBLISHED, SCHEDULE) is False


@pytest.mark.parametrize(("paragraphs", "expected"), [
    (["Text.", "Source: Kabar"], "Kabar"),
    (["Источник: Ховар", "Текст."], "Ховар"),
    (["Text.", "More.", "Manba: Kun.uz."], "Kun.uz"),
    (["The source: a diplomat said so.", "Text."], None),
    (["Text only."], None),
])
def test_attribution_lines(paragraphs: list[str], expected: str | None) -> None:
    assert attribution(paragraphs) == expected


def test_zero_width_joiners_do_not_change_a_signature() -> None:
    """Stored Persian text keeps U+200C inside words; a record without it (stored before, or typed so by the site)
    is the same text: one signature, not 13 of 64 values shared."""
    joined = "من می\u200cخواهم به خانه بروم و کتاب\u200cها را بخوانم، گفت وزیر در نشست خبری روز سه\u200cشنبه در دوشنبه."
    emoji = "Семья 👨\u200d👩\u200d👧 приехала в Душанбе на праздник и осталась там на неделю."
    for text in (joined, emoji):
        plain = text.replace("\u200c", "").replace("\u200d", "")
        assert signature(text) == signature(plain)
        assert bands(signature(text)) == bands(signature(plain))
