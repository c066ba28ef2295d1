"""The two Unicode tables of extraction (block characters, language letters) are built once and memory-mapped
from the array cache after, like the language model: an entry that is not this user's own, is writable by
others, is a symlink or holds stray bits is never read, and the tables are the same either way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crawler.extract import blocks, language, unicode_table
from crawler.extract.array_cache import CACHE_DIR_VARIABLE
from tests.crawling import ROOT

LETTERS = ((language._CYRILLIC_BIT, language._CYRILLIC_RE), (language._LATIN_BIT, language._LATIN_RE),
           (language._LETTER_BIT, language._LETTER_RE), (language._MODIFIER_BIT, language._MODIFIER_RE))
# A worker's start with both tables: it fails unless both are mapped from the cache (building is forbidden).
MAPPED_ONLY = """
from crawler.extract import blocks, language, unicode_table
def refuse(patterns):
    raise AssertionError("built again")
unicode_table._build = refuse
print(int(blocks._character_table().sum()), int(language._letter_flags()[0].sum()))
"""


def _tables(cache: Path, mapped_only: bool = False) -> subprocess.CompletedProcess[str]:
    code = MAPPED_ONLY if mapped_only else "from crawler.extract import blocks, language\n" \
        "print(int(blocks._character_table().sum()), int(language._letter_flags()[0].sum()))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, CACHE_DIR_VARIABLE: str(cache)},
                          capture_output=True, text=True, timeout=60)


def test_a_second_worker_maps_both_tables(tmp_path: Path) -> None:
    first = _tables(tmp_path)
    assert first.returncode == 0, first.stderr
    assert sorted(path.name.rsplit("-", 1)[0] for path in tmp_path.iterdir()) == ["unicode-characters",
                                                                                   "unicode-letters"]
    second = _tables(tmp_path, mapped_only=True)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stdout == first.stdout


def _built(cache: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[np.ndarray, int]:
    """The letters' table from ``cache``, and how many times it was built for that."""
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(cache))
    builds = []
    build = unicode_table._build

    def counted(patterns):  # type: ignore[no-untyped-def]
        builds.append(1)
        return build(patterns)

    monkeypatch.setattr(unicode_table, "_build", counted)
    table = unicode_table.unicode_table("unicode-letters", LETTERS)
    return np.array(table), len(builds)


@pytest.mark.parametrize("damage", ["writable", "symlink", "foreign", "stray_bits", "short"])
def test_a_doubtful_entry_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    truth, built = _built(tmp_path, monkeypatch)
    assert built == 1 and np.array_equal(truth, unicode_table._build(LETTERS))
    assert _built(tmp_path, monkeypatch)[1] == 0  # mapped
    (entry,) = tmp_path.glob("unicode-letters-*")
    if damage == "writable":
        entry.chmod(0o777)
    elif damage == "symlink":
        moved = tmp_path / "elsewhere"
        entry.rename(moved)
        entry.symlink_to(moved)
    elif damage == "foreign":
        if os.geteuid() != 0:
            pytest.skip("giving the entry to another user needs root")
        shutil.chown(entry, user=65534)
    elif damage == "stray_bits":
        table = np.load(entry / "table.npy")
        table[0x41] |= 128
        np.save(entry / "table.npy", table)
    else:
        np.save(entry / "table.npy", np.load(entry / "table.npy")[:0x10000])
    table, built = _built(tmp_path, monkeypatch)
    assert built == 1 and np.array_equal(table, truth)


def test_the_tables_are_the_patterns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the cache holds is what the patterns say, code point by code point (a sample of them)."""
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path))
    table = unicode_table.unicode_table("unicode-characters", blocks._CHARACTER_PATTERNS)
    for code in [*range(0, 0x3000), *range(0x1C80, 0x1C90), 0x1E9B, 0x3002, 0xFF01, 0x10FFFF]:
        char = chr(code)
        expected = sum(bit for bit, pattern in blocks._CHARACTER_PATTERNS if pattern.fullmatch(char))
        assert table[code] == expected, hex(code)
