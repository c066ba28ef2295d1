"""py3langid's model restricted to some languages, as plain arrays cached uncompressed on disk.

py3langid ships its model xz-compressed: decompressing it costs each extraction worker about half a
second of CPU. The arrays the restricted model needs (the n-gram automaton and the chosen languages'
weights, ~50 MB) are written once as ``.npy`` files to ``$CRAWLER_CACHE_DIR`` by
:mod:`crawler.extract.array_cache`, in an entry keyed by py3langid's version, its model file's size and
mtime and the languages, and memory-mapped from there: later workers start in milliseconds and share the
pages. Any error reading or writing the cache (read-only home, corrupt file) falls back to py3langid's
own file, logged once at debug; it never fails extraction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any

from crawler.extract.array_cache import CACHE_DIR_VARIABLE, cache_directory, cached_arrays

__all__ = ["CACHE_DIR_VARIABLE", "ModelArrays", "cache_directory", "load_model_arrays"]

logger = logging.getLogger(__name__)

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


def load_model_arrays(languages: tuple[str, ...]) -> ModelArrays:
    """py3langid's model restricted to ``languages``: memory-mapped from the cache, else built (and cached)."""
    try:
        key = _model_key(languages)
    except OSError as exc:  # model file gone
        logger.debug("Language model cache unavailable: %s", exc)
        return _build(languages)
    names = tuple(field.name for field in fields(ModelArrays))
    arrays = cached_arrays("language", key, names, lambda: vars(_build(languages)),
                           lambda arrays: ModelArrays(**arrays).check())
    return ModelArrays(**arrays)


def _model_key(languages: tuple[str, ...]) -> str:
    """What the cached arrays are built from: this py3langid install's model and the language list."""
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    model = (MODEL_DIR / MODEL_FILE).stat()
    return repr((_FORMAT, py3langid.__version__, model.st_size, model.st_mtime_ns, languages))


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
