"""Export batches that a worker process reads itself from the embedded store, by row id.

``scrapy export --processes N`` over the embedded store hands each worker only the row ids of a
batch (in the export's order, from one ordered statement in the command); the worker reads those
records with a read-only SQLite connection of its own, decodes and encodes them, and hands back the
encoded bytes. The command's process never reads nor decodes a record, nor passes one between
processes, so it is not what limits N workers. The records are read as they are when the worker
reads them (a record deleted meanwhile is left out), as one statement per batch reads them anyway.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from crawler.export.writers import encode
from crawler.storage import scan
from crawler.storage.reading import read_only_uri

_reader: sqlite3.Connection | None = None  # this process's, opened by open_reader
BUSY_TIMEOUT_MS = 30_000  # a reader waits this long for a writer's lock (a crawl writing meanwhile)


def open_reader(path: str) -> None:
    """Open this process's read-only connection to the embedded store file ``path``."""
    global _reader
    close_reader()
    _reader = sqlite3.connect(read_only_uri(Path(path)), uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                              check_same_thread=False)


def close_reader() -> None:
    """Close this process's connection, if open."""
    global _reader
    if _reader is not None:
        _reader.close()
        _reader = None


def encode_rows(kind: str, with_html: bool, exclude: tuple[str, ...], rows: list[int]) -> tuple[int, Any]:
    """How many of the records of row ids ``rows`` are still stored, and their encoding as format ``kind``
    (:func:`crawler.export.writers.encode`)."""
    assert _reader is not None, "open_reader() first"
    docs = scan.decode(scan.texts(_reader, rows), exclude)
    return len(docs), encode(kind, with_html, docs)
