"""Writers of exported articles, a batch at a time, to a binary stream: JSON lines, CSV, Parquet.

Each batch is first encoded by :func:`encode` (in a worker process when ``scrapy export --processes``
is above 1), then written by the format's writer in order. Parquet (through pyarrow, the ``parquet``
extra) has one typed schema: times as UTC timestamps, lists as lists, images and revisions as lists
of structs, ``sources`` as a map; every ``ROW_GROUP`` articles are a row group, so memory stays flat
whatever the export's size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from crawler.export.records import DATE_FIELDS, csv_fields, csv_row, export_record, fields
from crawler.storage.store import decode_articles

FORMATS = ("jsonl", "csv", "parquet")


class ExportWriter(Protocol):
    """Writes encoded batches (:func:`encode`, run in worker processes too) in the order given."""

    def put(self, chunk: Any) -> None: ...

    def close(self) -> None: ...


def encode(kind: str, with_html: bool, docs: list[dict[str, Any]]) -> Any:
    """The CPU-bound part of writing ``docs`` as format ``kind``: a pure function of its arguments, whose
    result (bytes; for Parquet a table and the values it emptied) the writer's ``put`` writes out."""
    if kind == "jsonl":
        return "".join(json.dumps(export_record(doc, with_html), ensure_ascii=False) + "\n"
                       for doc in docs).encode("utf-8")
    if kind == "csv":
        return csv_text(csv_fields(with_html), [csv_row(doc, with_html) for doc in docs])
    return parquet_table(docs, with_html)


def encode_stored(kind: str, with_html: bool, exclude: tuple[str, ...], raw: list[Any]) -> Any:
    """:func:`encode` of records as the store keeps them (``ArticleStore.stream_articles(raw=True)``)."""
    return encode(kind, with_html, decode_articles(raw, exclude))


def counted(convert: Callable[[list[Any]], Any], batch: list[Any]) -> tuple[int, Any]:
    """The articles of ``batch`` and ``convert(batch)`` (the export's batches tell their size so)."""
    return len(batch), convert(batch)


def csv_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    """``rows`` as CSV lines (RFC 4180 quoting), UTF-8."""
    text = io.StringIO(newline="")
    csv.DictWriter(text, fieldnames=columns).writerows(rows)
    return text.getvalue().encode("utf-8")


class JsonLinesWriter:
    """One JSON object a line, UTF-8."""

    def __init__(self, out: BinaryIO, with_html: bool) -> None:
        self.out, self.with_html = out, with_html

    def write(self, docs: list[dict[str, Any]]) -> None:
        self.put(encode("jsonl", self.with_html, docs))

    def put(self, chunk: bytes) -> None:
        self.out.write(chunk)

    def close(self) -> None:
        self.out.flush()


class CsvWriter:
    """A header, then one row per article (RFC 4180 quoting, UTF-8)."""

    def __init__(self, out: BinaryIO, with_html: bool) -> None:
        self.out, self.with_html = out, with_html
        columns = csv_fields(with_html)
        self.out.write(csv_text(columns, [dict(zip(columns, columns, strict=True))]))

    def write(self, docs: list[dict[str, Any]]) -> None:
        self.put(encode("csv", self.with_html, docs))

    def put(self, chunk: bytes) -> None:
        self.out.write(chunk)

    def close(self) -> None:
        self.out.flush()


class ParquetWriter:
    """Row groups of at least ``ROW_GROUP`` articles (the batches' tables joined), typed by :func:`parquet_schema`."""

    ROW_GROUP = 1_000  # rows held (converted) before a row group is written

    def __init__(self, out: BinaryIO, with_html: bool) -> None:
        import pyarrow.parquet as pq  # the ``parquet`` extra: imported only when asked for

        self.with_html = with_html
        self._writer = pq.ParquetWriter(out, parquet_schema(with_html), compression="zstd")
        self._tables: list[Any] = []
        self._rows = 0
        self.emptied: dict[str, int] = {}  # column -> values its type could not hold, written as null

    def write(self, docs: list[dict[str, Any]]) -> None:
        self.put(encode("parquet", self.with_html, docs))

    def put(self, chunk: tuple[Any, dict[str, int]]) -> None:
        table, emptied = chunk
        for column, count in emptied.items():
            self.emptied[column] = self.emptied.get(column, 0) + count
        self._tables.append(table)
        self._rows += table.num_rows
        if self._rows >= self.ROW_GROUP:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:  # one contiguous table: the row group is the same whatever batches it came in
            self._writer.write_table(pa.concat_tables(self._tables).combine_chunks())
        self._tables, self._rows = [], 0


def parquet_table(docs: list[dict[str, Any]], with_html: bool) -> tuple[Any, dict[str, int]]:
    """The Parquet rows of ``docs`` as a ``pyarrow.Table``, and per column the values its type could not
    hold (written as null)."""
    import pyarrow as pa

    schema = parquet_schema(with_html)
    lists = [c.name for c in schema if pa.types.is_list(c.type) or pa.types.is_map(c.type)]
    emptied: dict[str, int] = {}
    rows = []
    for doc in docs:
        row = parquet_row(doc, with_html)
        for name in lists:  # pyarrow would read a string as a list of its characters
            if row.get(name) is not None and not isinstance(row[name], list):
                emptied[name] = emptied.get(name, 0) + 1
                row[name] = None
        rows.append(row)
    try:
        table = pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, TypeError, ValueError):  # a record a deployment or an old version wrote oddly
        table = pa.Table.from_pylist([_fitted(row, schema, emptied) for row in rows], schema=schema)
    return table, emptied


def _fitted(row: dict[str, Any], schema: Any, emptied: dict[str, int]) -> dict[str, Any]:
    """``row`` with each value its column's type cannot hold left empty (counted in ``emptied``)."""
    import pyarrow as pa

    fitted = {}
    for column in schema:
        value = row.get(column.name)
        try:
            pa.array([value], type=column.type)
        except (pa.ArrowException, TypeError, ValueError):
            emptied[column.name] = emptied.get(column.name, 0) + 1
            value = None
        fitted[column.name] = value
    return fitted


def parquet_available() -> bool:
    """Whether pyarrow (the ``parquet`` extra) can be imported."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def open_writer(kind: str, out: BinaryIO, with_html: bool) -> ExportWriter:
    """The writer of format ``kind`` (one of :data:`FORMATS`) onto ``out``."""
    writers: dict[str, type[JsonLinesWriter | CsvWriter | ParquetWriter]] = {
        "jsonl": JsonLinesWriter, "csv": CsvWriter, "parquet": ParquetWriter}
    return writers[kind](out, with_html)


def parquet_schema(with_html: bool) -> Any:
    """The Parquet schema of exported articles (a ``pyarrow.Schema``)."""
    import pyarrow as pa

    text, when, texts = pa.string(), pa.timestamp("us", tz="UTC"), pa.list_(pa.string())
    image = pa.struct([("url", text), ("caption", text), ("credit", text)])
    revision = pa.struct([("content_hash", text), ("fetched_at", when), ("title", text), ("body", text),
                          ("body_truncated", pa.bool_()), ("reextracted_at", when), ("changed", texts)])
    types = {"paragraphs": texts, "authors": texts, "tags": texts, "translations": texts, "urls": texts,
             "images": pa.list_(image), "revisions": pa.list_(revision), "sources": pa.map_(text, text),
             "story_original": pa.bool_(), "http_status": pa.int32(), "schema_version": pa.int32(),
             "minhash": pa.list_(pa.int64()), "lsh_bands": texts}
    return pa.schema([(name, when if name in DATE_FIELDS else types.get(name, text)) for name in fields(with_html)])


def parquet_row(doc: dict[str, Any], with_html: bool) -> dict[str, Any]:
    """The Parquet row of stored article ``doc``: its fields with times in UTC."""
    row = {name: _utc(doc.get(name)) for name in fields(with_html)}
    if doc.get("revisions"):
        row["revisions"] = [{k: _utc(v) for k, v in r.items()} for r in doc["revisions"] if isinstance(r, dict)]
    if isinstance(row.get("sources"), dict):
        row["sources"] = [(str(k), None if v is None else str(v)) for k, v in row["sources"].items()]
    return row


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value
