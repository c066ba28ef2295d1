"""py3langid's model restricted to some languages, as plain arrays cached uncompressed on disk.

py3langid ships its model xz-compressed: decompressing it costs each extraction worker about half a
second of CPU. The arrays the restricted model needs (the n-gram automaton and the chosen languages'
weights, ~50 MB) are written once as ``.npy`` files to ``$CRAWLER_CACHE_DIR`` (default
``$XDG_CACHE_HOME/central-asia-news-crawler``, else ``~/.cache/central-asia-news-crawler``), in a
directory named after py3langid's version, its model file's size and mtime and the languages, and
memory-mapped from there: later workers start in milliseconds and share the pages.
Any error reading or writing the cache (read-only home, corrupt file) falls back to py3langid's own
file, logged once at debug; it never fails extraction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["CACHE_DIR_VARIABLE", "ModelArrays", "cache_directory", "load_model_arrays"]

logger = logging.getLogger(__name__)

#: Environment variable naming the cache directory.
CACHE_DIR_VARIABLE = "CRAWLER_CACHE_DIR"
_PROJECT = "central-asia-news-crawler"
# Bumped when the arrays or their meaning change: an old cache is then never read.
_FORMAT = 1


@dataclass(frozen=True)
class ModelArrays:
    """The restricted model: next state by ``row[state] + byte``, feature by state, float32 weights
    (feature x language), the languages' priors and their codes."""

    next_state: Any
    row: Any
    feature: Any
    weights: Any
    pc: Any
    classes: Any

    def check(self) -> None:
        """Raise ``ValueError`` unless the arrays fit together (no walk can index outside them)."""
        languages = len(self.classes)
        integers = all(getattr(self, name).dtype.kind in "iu" for name in ("next_state", "row", "feature"))
        if (not integers or self.weights.dtype.kind != "f" or self.pc.dtype.kind != "f"
                or self.next_state.ndim != 1 or self.row.shape != self.feature.shape or self.pc.shape != (languages,)
                or self.weights.ndim != 2 or self.weights.shape[1] != languages or self.classes.dtype.kind != "U"):
            raise ValueError("language model arrays of the wrong shape")
        if (self.row.min() < 0 or self.row.max() + 256 > len(self.next_state) or self.next_state.max() >= len(self.row)
                or (self.next_state.dtype.kind == "i" and self.next_state.min() < 0)
                or self.feature.max() >= len(self.weights) or self.feature.min() < -1):
            raise ValueError("language model arrays index outside each other")


def cache_directory() -> Path:
    """Where cached models go: ``$CRAWLER_CACHE_DIR``, else the user's cache directory."""
    configured = os.environ.get(CACHE_DIR_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / _PROJECT


def load_model_arrays(languages: tuple[str, ...]) -> ModelArrays:
    """py3langid's model restricted to ``languages``: memory-mapped from the cache, else built (and cached)."""
    try:
        directory = _cache_entry(languages)
    except (OSError, RuntimeError) as exc:  # no home directory, model file gone
        logger.debug("Language model cache unavailable: %s", exc)
        return _build(languages)
    try:
        return _read(directory)
    except (OSError, ValueError, EOFError) as exc:  # np.load of an empty file raises EOFError
        first_run = isinstance(exc, FileNotFoundError) and not os.path.isdir(directory)
        unreadable = None if first_run else exc
    arrays = _build(languages)
    try:
        _write(directory, arrays, replace=unreadable is not None)
        arrays = _read(directory)  # mapped: the pages are shared with the other workers
    except (OSError, ValueError, EOFError) as exc:
        logger.debug("Language model cache %s not written (%s): built from py3langid", directory, exc)
    else:
        if unreadable is not None:
            logger.debug("Language model cache %s was unreadable (%s): rewritten", directory, unreadable)
    return arrays


def _cache_entry(languages: tuple[str, ...]) -> Path:
    """The cache directory of this py3langid install and language list."""
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    model = (MODEL_DIR / MODEL_FILE).stat()
    key = repr((_FORMAT, py3langid.__version__, model.st_size, model.st_mtime_ns, languages))
    return cache_directory() / f"language-{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def _read(directory: Path) -> ModelArrays:
    import numpy as np

    # Only an entry this user wrote (mkdtemp: 0700) is read: in a shared cache directory another local user could
    # have put arrays under the predictable name, steering every page's language.
    entry = os.lstat(directory)
    if not stat.S_ISDIR(entry.st_mode) or entry.st_uid != os.geteuid() or entry.st_mode & 0o022:
        raise ValueError(f"{directory} is not a directory of this user's that only it can write")

    # np.asarray: a plain ndarray over the mapping, without np.memmap's per-operation overhead.
    arrays = ModelArrays(**{field.name: np.asarray(np.load(directory / f"{field.name}.npy", mmap_mode="r",
                                                           allow_pickle=False))
                            for field in fields(ModelArrays)})
    arrays.check()
    return arrays


def _write(directory: Path, arrays: ModelArrays, replace: bool) -> None:
    """Write the arrays to a temporary directory renamed to ``directory``: readers see all or nothing.
    ``replace``: ``directory`` is there but unreadable, and removed first."""
    import numpy as np

    directory.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for field in fields(ModelArrays):
            np.save(temporary / f"{field.name}.npy", getattr(arrays, field.name), allow_pickle=False)
        if replace:  # a corrupt entry is replaced, not kept forever
            shutil.rmtree(directory, ignore_errors=True)
        try:
            os.replace(temporary, directory)
        except OSError:
            if not directory.is_dir():  # else another worker wrote it first: theirs is as good
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _build(languages: tuple[str, ...]) -> ModelArrays:
    """The arrays from py3langid's compressed model file (half a second)."""
    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    moves = identifier.tk_nextmove  # an array.array; its typecode is numpy's dtype character too
    return ModelArrays(next_state=np.frombuffer(moves, dtype=np.dtype(moves.typecode)),
                       row=np.asarray(identifier._rowbase, dtype=np.intp),
                       feature=np.asarray(identifier.tk_output, dtype=np.intp),
                       weights=np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32),
                       pc=np.asarray(identifier.nb_pc, dtype=np.float32),
                       classes=np.asarray(identifier.nb_classes, dtype=str))
