"""The embedded store opened to read only: what ``scrapy articles``, ``export`` and ``report`` use, so a user who
may only read the store (its file or ``DATA_DIR`` not writable) can run them. Nothing is written: no lock file, no
index, no upgrade, no collection made.

SQLite shares a WAL database through a shared-memory file beside it (``<db>-shm``), which a reader must be able to
create when no other connection has it open. A reader would make ``<db>-wal`` and ``<db>-shm`` its own, with its own
file mode, and the store's owner could no longer write the store ("attempt to write a readonly database"), except
root, whose SQLite hands the files it makes to the store file's owner where root may chown (not in a unit or
container without CAP_CHOWN). So with no ``<db>-wal`` (no connection has the store open), a store file the reader
may not write, or whose owner would not get those files, is read as immutable (no locks, no WAL). That is a last
resort: a crawl that starts writing the store meanwhile and checkpoints is not seen, and what is read may mix its
old and new pages without an error. The store's owner, and root that may chown, read it through the WAL, and leave
SQLite's empty ``<db>-wal`` and ``<db>-shm`` (a read-only connection cannot remove them), the owner's: harmless, the
next writer uses them.
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
    if not Path(f"{path}-wal").exists() and not (_files_go_to_owner(path) and os.access(path, os.W_OK)):
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


def _files_go_to_owner(path: Path) -> bool:
    """Whether the files SQLite makes beside the store file ``path`` would be its owner's: this process owns it, or
    is root that may chown (SQLite run as root gives the files it makes to the database file's owner)."""
    return path.stat().st_uid == os.geteuid() or (os.geteuid() == 0 and _may_chown())


def _may_chown() -> bool:
    """Whether this process holds CAP_CHOWN (bit 0 of its effective capabilities)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) & 1)
    return False


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
