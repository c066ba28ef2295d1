"""The language model's arrays are cached uncompressed: a second worker maps them instead of decompressing
py3langid's model, and any trouble with the cache falls back to py3langid with the same labels."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crawler.extract import array_cache, language_model
from crawler.extract.language import LANGUAGES
from crawler.extract.language_model import CACHE_DIR_VARIABLE, load_model_arrays
from tests.crawling import ROOT

TEXTS = [
    "Министерство энергетики провело совещание о строительстве станции.",
    "Oʻzbekiston Respublikasi Prezidenti farmon imzoladi, deb xabar beradi axborot agentligi.",
    "Қазақстан Республикасының Үкіметі жаңа бағдарламаны бекітті.",
    "Кыргыз Республикасынын Өкмөтү жаңы мыйзам долбоорун жактырды.",
    "Ҳукумати Ҷумҳурии Тоҷикистон барномаи навро тасдиқ кард.",
    "Türkmenistanyň Prezidenti täze kanuny tassyklady we ol güýje girdi.",
    "The talks will continue next month in Bishkek, both ministries said.",
]
# One worker's start: which files it opened (py3langid's model?) and what it says of TEXTS.
WORKER = f"""
import json, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
from crawler.extract.language import detect_language
labels = [list(vars(detect_language(text)).values()) for text in {TEXTS!r}]
print(json.dumps({{"model_opened": any(path.endswith("model.npz.xz") for path in opened), "labels": labels}}))
"""


def _worker(cache: Path) -> dict[str, Any]:
    """A fresh process's first language detection with ``cache`` as the cache directory."""
    env = {**os.environ, CACHE_DIR_VARIABLE: str(cache)}
    done = subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return dict(json.loads(done.stdout))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A cache written by a first worker, and that worker's answers (made from py3langid's own file)."""
    cache = tmp_path_factory.mktemp("cache")
    first = _worker(cache)
    assert first["model_opened"]
    return cache, first


def _entry(cache: Path) -> Path:
    (entry,) = cache.glob("language-*")
    return entry


def test_the_second_worker_maps_the_cache_and_says_the_same(built: tuple[Path, dict[str, Any]]) -> None:
    cache, first = built
    assert {path.name for path in _entry(cache).iterdir()} == {
        "next_state.npy", "row.npy", "feature.npy", "weights.npy", "pc.npy", "classes.npy"}
    assert not list(cache.glob(".language-*"))  # no temporary directory left behind
    second = _worker(cache)
    assert not second["model_opened"]
    assert second["labels"] == first["labels"]
    assert [label[0] for label in first["labels"]] == ["ru", "uz", "kk", "ky", "tg", "tk", "en"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "out_of_range", "missing", "empty", "float_rows"])
def test_a_corrupt_cache_falls_back_to_py3langid_and_is_rewritten(
        built: tuple[Path, dict[str, Any]], tmp_path: Path, damage: str) -> None:
    source, first = built
    cache = tmp_path / "cache"
    entry = cache / _entry(source).name
    entry.mkdir(parents=True)
    for path in _entry(source).iterdir():
        (entry / path.name).write_bytes(path.read_bytes())
    broken = entry / "next_state.npy"
    if damage == "garbage":
        broken.write_bytes(b"not a numpy file")
    elif damage == "missing":
        broken.unlink()
    elif damage == "truncated":
        broken.write_bytes(broken.read_bytes()[:1000])
    elif damage == "empty":  # what a crash can leave of a file renamed into place before it reached the disk
        broken.write_bytes(b"")
    elif damage == "float_rows":  # well-formed, in range, but no index: every detection raised IndexError
        rows = entry / "row.npy"
        np.save(rows, np.load(rows).astype(np.float64))
    else:  # a well-formed file whose states lead outside the automaton: the walk would raise IndexError
        states = np.load(broken)
        states[::7] = np.iinfo(states.dtype).max
        np.save(broken, states)
    repaired = _worker(cache)
    assert repaired["model_opened"] and repaired["labels"] == first["labels"]
    again = _worker(cache)
    assert not again["model_opened"] and again["labels"] == first["labels"]


def test_an_unwritable_cache_directory_still_works(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _, first = built
    blocked = tmp_path / "a-file"
    blocked.write_text("the cache directory cannot be made under a file")
    answers = _worker(blocked / "cache")
    assert answers["model_opened"] and answers["labels"] == first["labels"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a full tmpfs needs root")
def test_a_full_disk_leaves_no_partial_entry(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _, first = built
    cache = tmp_path / "small"
    cache.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(cache)], check=True)
    try:
        answers = _worker(cache)
        assert answers["model_opened"] and answers["labels"] == first["labels"]
        assert not list(cache.iterdir())  # neither an entry nor the temporary directory it was written in
    finally:
        subprocess.run(["umount", str(cache)], check=True)


def test_a_cache_failure_is_one_debug_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(blocked / "cache"))
    with caplog.at_level(logging.DEBUG, logger=array_cache.__name__):
        arrays = load_model_arrays(LANGUAGES)
    assert [record.levelname for record in caplog.records] == ["DEBUG"]
    assert "not written" in caplog.records[0].getMessage()
    assert sorted(arrays.classes.tolist()) == sorted([*LANGUAGES, "uz"])  # py3langid has Uzbek twice (two scripts)


def test_the_cache_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "mine"))
    assert language_model.cache_directory() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert language_model.cache_directory() == tmp_path / "xdg" / "central-asia-news-crawler"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert language_model.cache_directory() == tmp_path / "home" / ".cache" / "central-asia-news-crawler"


@pytest.mark.parametrize("planted", ["another_user", "world_writable", "symlink"])
def test_arrays_planted_in_a_shared_cache_directory_are_never_read(
        built: tuple[Path, dict[str, Any]], tmp_path: Path, planted: str) -> None:
    """A cache directory others can write (CRAWLER_CACHE_DIR=/tmp/...): an entry under the predictable name that
    this user did not write, or that others can write, is not read; the labels are py3langid's own."""
    if planted == "another_user" and os.geteuid() != 0:
        pytest.skip("giving a directory to another user needs root")
    source, first = built
    cache = tmp_path / "shared"
    cache.mkdir()
    name = _entry(source).name
    entry = tmp_path / "elsewhere" if planted == "symlink" else cache / name
    entry.mkdir(parents=True)
    for path in _entry(source).iterdir():
        (entry / path.name).write_bytes(path.read_bytes())
    classes = np.load(entry / "classes.npy")
    np.save(entry / "classes.npy", classes[::-1].copy())  # the languages' names swapped round: every label wrong
    if planted == "another_user":
        os.chown(entry, 65534, 65534)
        entry.chmod(0o755)
    elif planted == "world_writable":
        entry.chmod(0o777)
    else:
        (cache / name).symlink_to(entry)
    answers = _worker(cache)
    assert answers["model_opened"] and answers["labels"] == first["labels"]
