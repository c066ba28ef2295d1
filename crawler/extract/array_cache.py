"""Arrays built once, cached uncompressed on disk and memory-mapped by every later process.

Each entry is a directory of ``.npy`` files in ``$CRAWLER_CACHE_DIR`` (default
``$XDG_CACHE_HOME/central-asia-news-crawler``, else ``~/.cache/central-asia-news-crawler``), named after
what the arrays are and a hash of everything they are built from (a new key is a new entry: an old one is
never read). Later processes map the files (milliseconds, pages shared) instead of building them again.
Only an entry this user wrote, that only it can write and that is no symlink is read, and the caller's
check must accept it; anything else (a read-only home, a corrupt or foreign entry) builds the arrays
in memory, logged once at debug: the cache never fails the caller.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["CACHE_DIR_VARIABLE", "cache_directory", "cached_arrays"]

logger = logging.getLogger(__name__)

#: Environment variable naming the cache directory.
CACHE_DIR_VARIABLE = "CRAWLER_CACHE_DIR"
_PROJECT = "central-asia-news-crawler"

Arrays = dict[str, Any]  # name -> numpy array


def cache_directory() -> Path:
    """Where cached arrays go: ``$CRAWLER_CACHE_DIR``, else the user's cache directory."""
    configured = os.environ.get(CACHE_DIR_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / _PROJECT


def cached_arrays(name: str, key: str, names: tuple[str, ...], build: Callable[[], Arrays],
                  check: Callable[[Arrays], None]) -> Arrays:
    """The arrays ``names`` that ``build`` makes, memory-mapped from the cache entry of ``name`` and ``key``
    (built and written there first when missing or unreadable); ``check`` raises ``ValueError`` on arrays
    that must not be used."""
    try:
        directory = cache_directory() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:20]}"
    except RuntimeError as exc:  # no home directory
        logger.debug("Array cache unavailable for %s: %s", name, exc)
        return build()
    try:
        return _read(directory, names, check)
    except (OSError, ValueError, EOFError) as exc:  # np.load of an empty file raises EOFError
        first_run = isinstance(exc, FileNotFoundError) and not os.path.isdir(directory)
        unreadable = None if first_run else exc
    arrays = build()
    try:
        _write(directory, arrays, replace=unreadable is not None)
        arrays = _read(directory, names, check)  # mapped: the pages are shared with the other processes
    except (OSError, ValueError, EOFError) as exc:
        logger.debug("Array cache %s not written (%s): built in memory", directory, exc)
    else:
        if unreadable is not None:
            logger.debug("Array cache %s was unreadable (%s): rewritten", directory, unreadable)
    return arrays


def _read(directory: Path, names: tuple[str, ...], check: Callable[[Arrays], None]) -> Arrays:
    import numpy as np

    # Only an entry this user wrote (mkdtemp: 0700) is read: in a shared cache directory another local user could
    # have put arrays under the predictable name, steering every page's results. lstat: a symlink is refused.
    entry = os.lstat(directory)
    if not stat.S_ISDIR(entry.st_mode) or entry.st_uid != os.geteuid() or entry.st_mode & 0o022:
        raise ValueError(f"{directory} is not a directory of this user's that only it can write")

    # np.asarray: a plain ndarray over the mapping, without np.memmap's per-operation overhead.
    arrays = {name: np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False))
              for name in names}
    check(arrays)
    return arrays


def _write(directory: Path, arrays: Arrays, replace: bool) -> None:
    """Write the arrays to a temporary directory renamed to ``directory``: readers see all or nothing.
    ``replace``: ``directory`` is there but unreadable, and removed first."""
    import numpy as np

    directory.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for name, array in arrays.items():
            np.save(temporary / f"{name}.npy", array, allow_pickle=False)
        if replace:  # a corrupt entry is replaced, not kept forever
            shutil.rmtree(directory, ignore_errors=True)
        try:
            os.replace(temporary, directory)
        except OSError:
            if not directory.is_dir():  # else another process wrote it first: theirs is as good
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
