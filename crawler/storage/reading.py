"""The embedded store opened to read only: what ``scrapy articles``, ``export`` and ``report`` use, so a user who
may only read the store (its file or ``DATA_DIR`` not writable) can run them. Nothing is written: no lock file, no
index, no upgrade, no collection made.

SQLite shares a WAL database through a shared-memory file beside it (``<db>-shm``), which a reader must be able to
create when no other connection has it open. With no ``<db>-wal`` (so no connection has the store open), a store file
the reader does not own, or may not write (or in a directory it may not write), is read as immutable (no locks, no
WAL): a crawl that starts writing it meanwhile is not seen, and may make the command stop with an error. Otherwise the
reader would make ``<db>-wal`` and ``<db>-shm`` its own, with its own file mode, and the store's owner could no longer
write the store ("attempt to write a readonly database"): root too (``sudo scrapy report``), whose SQLite hands the
files it makes to the store's owner only where root may chown (not in a unit or container without CAP_CHOWN). The
store's owner, reading it last, leaves SQLite's empty ``<db>-wal`` and ``<db>-shm`` (a read-only connection cannot
remove them): harmless, the next writer uses them.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import neosqlite

from crawler.storage import scan

# The collections a write-capable open makes (ArticleStore.ensure_indexes): a reader never makes one.
COLLECTIONS = ("articles", "pages", "crawl_runs", "sources")


class ReadOnlyConnection(neosqlite.Connection):  # type: ignore[misc]  # neosqlite has no type hints
    """A neosqlite connection that sets no PRAGMA (journal mode, auto-vacuum: writes a read-only file refuses) and
    makes no collection table: a collection not stored reads as "no such table"."""

    def _configure_connection(self) -> None:
        self.db.isolation_level = None
        self._register_custom_functions()

    def _check_and_migrate_autovacuum(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getitem__(self, name: str) -> Any:
        return self.get_collection(name)


def read_only_uri(path: Path) -> str:
    """The URI that opens the store file ``path`` read-only: ``mode=ro``, or ``immutable=1`` where SQLite cannot
    make the WAL's shared-memory file or would make it another user's than the store's owner (see the module's
    docstring). Raises ``sqlite3.Error``, ``OSError``."""
    uri = f"{path.resolve().as_uri()}?mode=ro"  # percent-encoded: "#", "?" and "%" in a DATA_DIR
    if not Path(f"{path}-wal").exists() and not (_owns(path) and os.access(path, os.W_OK)):
        return f"{uri}&immutable=1"  # a WAL this reader made would be its own: the owner could not write it
    probe = sqlite3.connect(uri, uri=True)
    try:
        probe.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # the first read sets up the shared memory
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorname != "SQLITE_READONLY_DIRECTORY" or Path(f"{path}-wal").exists():
            raise
        return f"{uri}&immutable=1"
    finally:
        probe.close()
    return uri


def _owns(path: Path) -> bool:
    """Whether this process owns the file ``path``: the files SQLite makes beside it would be the owner's."""
    return path.stat().st_uid == os.geteuid()


class NeedsUpgrade(Exception):
    """The store lacks what a write-capable open makes (its message names what)."""


def open_read_only(path: Path, timeout: float, word_index: bool = False) -> ReadOnlyConnection:
    """The store file ``path``, read-only; raises ``FileNotFoundError`` when there is none, :class:`NeedsUpgrade`
    when it lacks what the command reads (the word index only with ``word_index``), ``sqlite3.Error``."""
    if not path.is_file():
        raise FileNotFoundError(path)
    connection = ReadOnlyConnection(read_only_uri(path), uri=True, timeout=timeout)
    try:
        tables = {row[0] for row in connection.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        pending = pending_upgrades(tables, word_index)
        if not pending:
            read_missing_as_empty(connection.db, tables)
    except BaseException:
        connection.close()
        raise
    if pending:
        connection.close()
        raise NeedsUpgrade(" and ".join(pending))
    return connection


def pending_upgrades(tables: set[str], word_index: bool) -> list[str]:
    """What the reading commands need that only a write-capable open makes: the articles collection, and the word
    index for a word search. The key tables are never read by them."""
    missing = [] if "articles" in tables else ["the articles collection"]
    if word_index and not set(scan.TEXT_TABLES.values()) <= tables:
        missing.append("the word index")
    return missing


def read_missing_as_empty(connection: sqlite3.Connection, tables: set[str]) -> None:
    """Make each collection the store lacks an empty temporary table (in memory, not in the file): a store of an
    older version makes ``pages`` only at its first article write, so one whose crawls all failed has none, and
    its report must still show the failing runs."""
    connection.execute("PRAGMA temp_store = MEMORY")
    for name in COLLECTIONS:
        if name not in tables:
            connection.execute(f'CREATE TEMP TABLE "{name}" (id INTEGER PRIMARY KEY AUTOINCREMENT, _id TEXT, '
                               "data TEXT NOT NULL)")
