"""MinHash signatures of article bodies and the LSH bands that find near copies.

Texts are sets of lower-cased word 2-shingles; 64 MinHash values estimate their
Jaccard similarity, and 16 bands of 4 values each are stored as indexable
strings, so a lightly reworded copy (Jaccard above about 0.5) shares a band
with its original with high probability and is found by an indexed equality
lookup, never a scan. Candidates are then confirmed on the full signature.
"""

from __future__ import annotations

import hashlib
import operator
import re
from itertools import pairwise

import numpy as np

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
NEAR_SIMILARITY = 0.5
_PRIME = np.uint64((1 << 61) - 1)
_SHIFT = np.uint64(61)
_RNG = np.random.default_rng(20261127)  # fixed: signatures must agree across runs and machines
_A = _RNG.integers(1, 1 << 61, size=PERMUTATIONS, dtype=np.uint64)
_B = _RNG.integers(0, 1 << 61, size=PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+")
_HASHER = hashlib.blake2b(digest_size=8)  # never updated: copied for each shingle
# The zero-width non-joiner and joiner: stored text keeps them inside Persian words ("می\u200cخواهم",
# :mod:`crawler.text`), where ``\w+`` splits the word in two; records stored before that (and sites typing them
# inconsistently) hold the same words without them. Removed, both spellings give one signature.
_JOINERS = re.compile("[\u200c\u200d]")


def _shingle_hashes(text: str) -> np.ndarray:
    if "\u200c" in text or "\u200d" in text:  # two scans in C: most text holds neither
        text = _JOINERS.sub("", text)
    words = _WORD.findall(text.lower())
    shingles = {f"{a} {b}" for a, b in pairwise(words)} if len(words) > 1 else set(words)
    if not shingles:
        return np.empty(0, dtype=np.uint64)
    # Encoded at once (no shingle holds a newline), each hashed by a copy of a hasher made once: building one
    # from its keyword arguments per shingle cost a sixth of the signature. The digests are read as big-endian
    # integers by numpy at once (a Python int per shingle cost as much as hashing it).
    digests = []
    for shingle in "\n".join(shingles).encode().split(b"\n"):
        hasher = _HASHER.copy()
        hasher.update(shingle)
        digests.append(hasher.digest())
    return np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64) >> np.uint64(3)


def signature(text: str) -> list[int]:
    """64 MinHash values of ``text`` (empty for a text without words)."""
    hashes = _shingle_hashes(text)
    if hashes.size == 0:
        return []
    # (a*x + b) mod p per permutation; products wrap modulo 2**64, which keeps them well mixed.
    mixed = np.outer(hashes, _A)
    mixed += _B
    return [int(v) for v in _mod_prime(mixed).min(axis=0)]


def _mod_prime(values: np.ndarray) -> np.ndarray:
    """``values % _PRIME`` (uint64, in place): as p = 2**61 - 1, x = hi * 2**61 + lo is hi + lo modulo p, which
    is below 2 * p, so one subtraction finishes it: the same numbers as numpy's ``%``, without a 64-bit
    division per value (half the time of the mixing)."""
    low = values & _PRIME
    values >>= _SHIFT
    low += values
    np.subtract(low, _PRIME, out=low, where=low >= _PRIME)
    return low


def bands(sig: list[int]) -> list[str]:
    """LSH band keys ``"<band>:<hash of its rows>"`` of a signature."""
    keys = []
    for band in range(BANDS if sig else 0):
        rows = ",".join(map(str, sig[band * ROWS:(band + 1) * ROWS]))
        keys.append(f"{band}:{hashlib.blake2b(rows.encode(), digest_size=8).hexdigest()}")
    return keys


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the two texts."""
    if not a or len(a) != len(b):
        return 0.0
    equal: int = sum(map(operator.eq, a, b))  # the slots that agree, compared in C
    return equal / len(a)
