"""Durable JSON-lines files of records not (yet) in the store: the spool and the quarantine.

The spool (``DATA_DIR/unsaved/<run>.jsonl``) holds (document, raw HTML) pairs a
storage outage kept from the store; every later flush and run writes them
first. The quarantine (``DATA_DIR/quarantine/<run>.jsonl``) holds what can never
be stored as it is (records the store rejected, spool lines cut by a crash),
each with the reason, for a person to look at. Appends are all or nothing: a
write that fails (a full disk) is cut back off the file, which is removed when
it was new, so no torn line or empty file is left behind.

Runs that share ``DATA_DIR`` (``scrapy crawlall``, Scrapyd jobs, cron) replay one
another's spools, so a spool is claimed before it is read: an ``flock`` on
``<spool>.lock``, held by the writing run for its whole life and by a replaying
run until the spool is written and removed. A claimed spool is left alone.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bson import json_util

from crawler.sanitize import InertUtf8, inert_html

Entry = tuple[dict[str, Any], str | InertUtf8 | None]  # a stored document and its raw HTML (or inert UTF-8)
_AWARE = json_util.JSONOptions(tz_aware=True, tzinfo=UTC)  # dates come back as they went in


@dataclass
class SpoolContents:
    entries: list[Entry] = field(default_factory=list)
    corrupt: list[tuple[int, str]] = field(default_factory=list)  # (line number, text) of unreadable lines


def spool(batch: list[Entry], path: Path) -> list[tuple[Entry, str]]:
    """Append (document, raw HTML) pairs to a spool and fsync it; raises OSError (nothing written)
    when the disk cannot take them. Returns the entries that cannot be encoded, with why, unwritten."""
    lines, rejected = [], []
    for doc, html in batch:
        try:
            stored = inert_html(html, doc.get("url")) if html else None
            lines.append(json_util.dumps({"doc": doc, "html": stored}) + "\n")
        except (TypeError, ValueError, OverflowError) as exc:
            rejected.append(((doc, html), f"cannot be encoded: {exc}"))
    if lines:
        append_lines(path, lines)
    return rejected


def claim(path: Path) -> IO[str] | None:
    """Claim spool ``path`` (an exclusive ``flock`` on ``<spool>.lock``; close the handle to give it up),
    or None while another run holds it. Raises OSError when the lock file cannot be created."""
    handle = path.with_suffix(".lock").open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def release(path: Path, handle: IO[str]) -> None:
    """Give up the claim on spool ``path``; its lock file goes too once the spool is gone."""
    if not path.exists():
        path.with_suffix(".lock").unlink(missing_ok=True)
    handle.close()


def load_spool(path: Path) -> SpoolContents:
    """The (document, raw HTML) pairs of a spool, in order, and the lines that are not one
    (a torn last line after a crash, a corrupt line in the middle)."""
    contents = SpoolContents()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                entry = json_util.loads(line, json_options=_AWARE)
            except ValueError:
                entry = None
            doc, html = (entry.get("doc"), entry.get("html")) if isinstance(entry, dict) else (None, None)
            if isinstance(doc, dict) and isinstance(html, (str, type(None))):
                contents.entries.append((doc, html))
            elif line.strip():
                contents.corrupt.append((number, line.rstrip("\n")))
    return contents


def quarantine(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Append records (each with its ``reason``) to a quarantine file; values no encoder knows are
    kept as their ``repr``. Raises OSError when the disk cannot take them. Returns the count."""
    now = datetime.now(UTC)
    lines = [json_util.dumps({**record, "quarantined_at": now}, default=repr) + "\n" for record in records]
    append_lines(path, lines)
    return len(lines)


def append_lines(path: Path, lines: list[str]) -> None:
    """Append ``lines`` and fsync, all or nothing: on failure the file is cut back (or removed if new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(lines).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError:
        _cut_back(fd, path, start)
        raise
    finally:
        os.close(fd)


def _cut_back(fd: int, path: Path, start: int) -> None:
    try:
        if start:
            os.ftruncate(fd, start)
        else:
            path.unlink()
    except OSError:
        pass  # the original error is the one to report


def writable_problem(directory: Path) -> str | None:
    """Why files cannot be written in ``directory`` (created when missing), or None when they can."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".write-probe-")
        try:
            os.write(fd, b"probe")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
