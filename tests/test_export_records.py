"""The pure parts of ``scrapy export``: option values to a store filter, stored records to exported
ones and CSV cells, and the embedded store's SQL for a filter (the commands are in test_export.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from crawler.export.query import ArticleQuery, QueryError, parse_when
from crawler.export.records import csv_row, export_record
from crawler.export.writers import ParquetWriter
from crawler.storage import scan


@pytest.mark.parametrize(("value", "when", "day"), [
    ("2024-03-10", datetime(2024, 3, 10, tzinfo=UTC), True),
    ("2024-03-10T08:00:00", datetime(2024, 3, 10, 8, tzinfo=UTC), False),  # no zone: UTC
    ("2024-03-10T13:00:00+05:00", datetime(2024, 3, 10, 8, tzinfo=UTC), False),
    ("2024-03-10T08:00:00Z", datetime(2024, 3, 10, 8, tzinfo=UTC), False),
])
def test_dates_of_options(value: str, when: datetime, day: bool) -> None:
    assert parse_when(value, "--since") == (when, day)


@pytest.mark.parametrize("value", ["last-week", "10.03.2024", "2024-13-01", ""])
def test_what_is_not_a_date_is_refused_naming_the_option(value: str) -> None:
    with pytest.raises(QueryError, match="--until must be a date"):
        parse_when(value, "--until")


@pytest.mark.parametrize(("options", "expected"), [
    ({}, {}),
    ({"site": "asiaplus"}, {"site": "asiaplus"}),
    ({"site": "asiaplus, kaktus,asiaplus"}, {"site": {"$in": ["asiaplus", "kaktus"]}}),
    ({"language": "ru"}, {"language": "ru"}),
    ({"until": "2024-03-10"}, {"published": {"$lt": datetime(2024, 3, 11, tzinfo=UTC)}}),  # the whole day
    ({"since": "2024-03-10", "until": "2024-03-10T12:00:00Z"},
     {"published": {"$gte": datetime(2024, 3, 10, tzinfo=UTC), "$lte": datetime(2024, 3, 10, 12, tzinfo=UTC)}}),
    ({"originals_only": True}, {"story_original": {"$ne": False}}),  # records from before clusters count
    ({"search": "  вода  "}, {"$text": {"$search": "вода"}}),
    ({"search": "   "}, {}),
])
def test_filters_of_options(options: dict[str, object], expected: dict[str, object]) -> None:
    assert ArticleQuery.from_options(**options).filter() == expected  # type: ignore[arg-type]


def test_language_codes_are_read_in_any_case() -> None:
    assert ArticleQuery.from_options(language="RU,kk").filter() == {"language": {"$in": ["ru", "kk"]}}


@pytest.mark.parametrize(("options", "message"), [
    # Each used to match nothing, exit 0: a script exported no article and could not tell why.
    ({"language": "russian"}, "--language takes ISO 639-1 codes"),
    ({"language": "ru,uz-Cyrl"}, "got 'uz-cyrl'"),
    ({"since": "2025-02-01", "until": "2025-01-31"}, "--since 2025-02-01 is after --until 2025-01-31"),
    ({"since": "2025-01-31T12:00:00Z", "until": "2025-01-31T11:00:00Z"}, "is after --until"),
    ({"since": "2025-02-01", "until": "2025-01-31T23:59:59Z"}, "is after --until"),
])
def test_an_empty_range_or_a_language_name_is_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        ArticleQuery.from_options(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("since", "until"), [("2025-01-31", "2025-01-31"), ("2025-01-31T23:00:00Z", "2025-01-31"),
                                              ("2025-01-31T11:00:00Z", "2025-01-31T11:00:00Z")])
def test_a_range_of_one_day_or_one_instant_is_not_empty(since: str, until: str) -> None:
    assert ArticleQuery.from_options(since=since, until=until).filter()["published"]


STORED = {
    "_id": "ab12", "url": "https://asiaplus.example/1", "site": "asiaplus", "title": "Вода",
    "paragraphs": ["Один.", "Два."], "body": "Один.\n\nДва.", "published": datetime(2024, 3, 10, 8, tzinfo=UTC),
    "fetched_at": datetime(2024, 3, 10, 9),  # stored without a zone: UTC
    "authors": ["А. Б.", "В. Г."], "tags": [], "story_original": False, "http_status": 200,
    "images": [{"url": "https://x.example/1.jpg", "caption": "Кран", "credit": None}],
    "sources": {"title": "json-ld"}, "minhash": [1, 2], "lsh_bands": ["0:1"],
    "revisions": [{"content_hash": "c0", "fetched_at": datetime(2024, 3, 9, tzinfo=UTC), "title": "Old"}],
    "deployment_field": {"note": datetime(2024, 1, 1, tzinfo=UTC)},
}


def test_exported_record_has_iso_dates_no_signature_and_keeps_unknown_fields() -> None:
    record = export_record(STORED)
    assert record["published"] == "2024-03-10T08:00:00+00:00" and record["fetched_at"] == "2024-03-10T09:00:00+00:00"
    assert record["revisions"][0]["fetched_at"] == "2024-03-09T00:00:00+00:00"
    assert record["deployment_field"] == {"note": "2024-01-01T00:00:00+00:00"}
    assert "minhash" not in record and "lsh_bands" not in record
    assert list(record)[:3] == ["_id", "url", "site"]
    assert export_record(STORED, with_html=True)["minhash"] == [1, 2]


def test_csv_cells_are_flat_text() -> None:
    row = csv_row(STORED)
    assert row["authors"] == "А. Б.; В. Г." and row["tags"] == ""
    assert row["images"] == "https://x.example/1.jpg"
    assert row["sources"] == '{"title": "json-ld"}'
    assert row["story_original"] == "false" and row["http_status"] == "200"
    assert row["revision_count"] == 1 and "revisions" not in row and "paragraphs" not in row
    assert row["modified"] == "" and row["published"] == "2024-03-10T08:00:00+00:00"


def test_embedded_sql_of_a_filter() -> None:
    query = ArticleQuery.from_options(site="a,b", since="2024-03-10", originals_only=True, search='вода "x').filter()
    clause, params = scan.where(query)
    assert clause.startswith("WHERE ") and clause.count("?") == len(params)
    assert params[:2] == ["a", "b"] and "2024-03-10T00:00:00+00:00" in params
    assert '"вода" OR "x"' in params  # each word a literal: no FTS5 syntax from the user reaches SQLite


@pytest.mark.parametrize("query", [{"site": {"$regex": "a"}}, {"site'); DROP TABLE articles; --": "a"}])
def test_embedded_sql_refuses_what_it_does_not_know(query: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        scan.where(query)


def test_parquet_writes_a_value_its_column_cannot_hold_as_null_and_counts_it() -> None:
    import pyarrow.parquet as pq

    out = io.BytesIO()
    writer = ParquetWriter(out, with_html=False)
    writer.write([STORED, {**STORED, "_id": "cd34", "http_status": "two hundred", "authors": "А. Б."}])
    writer.close()
    rows = pq.read_table(io.BytesIO(out.getvalue())).to_pylist()
    assert [r["http_status"] for r in rows] == [200, None] and rows[1]["authors"] is None
    assert rows[1]["title"] == "Вода" and rows[1]["published"] == datetime(2024, 3, 10, 8, tzinfo=UTC)
    assert writer.emptied == {"http_status": 1, "authors": 1}


@pytest.mark.parametrize(("stored", "exported"), [(0, False), (1, True), (True, True), (False, False)])
def test_story_original_is_exported_as_a_boolean(stored: object, exported: bool) -> None:
    """The embedded store keeps a boolean an update sets as 0 or 1: the export gave ``"story_original": 0`` and a CSV
    column of 0, false and true."""
    record = export_record({"_id": "x", "url": "https://kun.uz/news/1", "story_original": stored})
    assert record["story_original"] is exported
    assert csv_row(record)["story_original"] == str(exported).lower()
