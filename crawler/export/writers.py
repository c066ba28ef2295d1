"""Writers of exported articles, a batch at a time, to a binary stream: JSON lines, CSV, Parquet.

Parquet (through pyarrow, the ``parquet`` extra) has one typed schema: times as UTC timestamps,
lists as lists, images and revisions as lists of structs, ``sources`` as a map; each batch is a
row group, so memory stays flat whatever the export's size.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from crawler.export.records import DATE_FIELDS, csv_fields, csv_row, export_record, fields

FORMATS = ("jsonl", "csv", "parquet")


class ExportWriter(Protocol):
    def write(self, docs: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class JsonLinesWriter:
    """One JSON object a line, UTF-8."""

    def __init__(self, out: BinaryIO, with_html: bool) -> None:
        self.out, self.with_html = out, with_html

    def write(self, docs: list[dict[str, Any]]) -> None:
        lines = (json.dumps(export_record(doc, self.with_html), ensure_ascii=False) + "\n" for doc in docs)
        self.out.write("".join(lines).encode("utf-8"))

    def close(self) -> None:
        self.out.flush()


class CsvWriter:
    """A header, then one row per article (RFC 4180 quoting, UTF-8)."""

    def __init__(self, out: BinaryIO, with_html: bool) -> None:
        self.out, self.with_html = out, with_html
        self._columns = csv_fields(with_html)
        self._emit([dict(zip(self._columns, self._columns, strict=True))])

    def write(self, docs: list[dict[str, Any]]) -> None:
        self._emit([csv_row(doc, self.with_html) for doc in docs])

    def close(self) -> None:
        self.out.flush()

    def _emit(self, rows: list[dict[str, Any]]) -> None:
        text = io.StringIO(newline="")
        csv.DictWriter(text, fieldnames=self._columns).writerows(rows)
        self.out.write(text.getvalue().encode("utf-8"))


class ParquetWriter:
    """Row groups of ``ROW_GROUP`` articles, typed by :func:`parquet_schema`."""

    ROW_GROUP = 1_000  # rows held (converted) before a row group is written

    def __init__(self, out: BinaryIO, with_html: bool) -> None:
        import pyarrow as pa  # the ``parquet`` extra: imported only when asked for
        import pyarrow.parquet as pq

        self.with_html = with_html
        self.schema = parquet_schema(with_html)
        self._writer = pq.ParquetWriter(out, self.schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []
        self.emptied: dict[str, int] = {}  # column -> values its type could not hold, written as null
        self._lists = [c.name for c in self.schema if pa.types.is_list(c.type) or pa.types.is_map(c.type)]

    def write(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            row = parquet_row(doc, self.with_html)
            for name in self._lists:  # pyarrow would read a string as a list of its characters
                if row.get(name) is not None and not isinstance(row[name], list):
                    self.emptied[name] = self.emptied.get(name, 0) + 1
                    row[name] = None
            self._rows.append(row)
        if len(self._rows) >= self.ROW_GROUP:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._rows:
            return
        try:
            table = pa.Table.from_pylist(self._rows, schema=self.schema)
        except (pa.ArrowException, TypeError, ValueError):  # a record a deployment or an old version wrote oddly
            table = pa.Table.from_pylist([self._fitted(row) for row in self._rows], schema=self.schema)
        self._writer.write_table(table)
        self._rows = []

    def _fitted(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with each value its column's type cannot hold left empty (counted in ``emptied``)."""
        import pyarrow as pa

        fitted = {}
        for column in self.schema:
            value = row.get(column.name)
            try:
                pa.array([value], type=column.type)
            except (pa.ArrowException, TypeError, ValueError):
                self.emptied[column.name] = self.emptied.get(column.name, 0) + 1
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
