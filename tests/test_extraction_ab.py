"""scripts/extraction_ab.py: two checkouts' extraction compared page by page, through the real script."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_STORY = "Water talks between the two countries resumed on Monday in the capital of the region. "


def _bench_set(folder: Path) -> None:
    (folder / "html").mkdir(parents=True)
    pages = {"1": f"<html><body><article><h1>Water talks resume</h1><p>14 March 2025</p><p>{_STORY * 4}</p>"
                  "</article></body></html>",
             "2": f"<html><body><h1>Snow closes the pass</h1><p>{_STORY * 6}</p></body></html>"}
    for page_id, html in pages.items():
        (folder / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
    truth = {page_id: {"url": f"https://news.example.com/{page_id}", "articleBody": ""} for page_id in pages}
    (folder / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")


def _pair(tmp_path: Path, new: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "extraction_ab.py"), "pair", str(ROOT), str(new),
                           "--sets", "set", "--repeats", "1"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BENCHMARK_DATA": str(tmp_path / "data")})


def test_a_checkout_against_itself_gives_the_same_output_on_every_page(tmp_path: Path) -> None:
    _bench_set(tmp_path / "data" / "set")
    run = _pair(tmp_path, ROOT)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "2 / 2 pages, 0 differ"
    assert lines[1].startswith("set: CPU ms a page, median of each page's least of 1: ")


def test_a_checkout_whose_extraction_differs_is_named_page_and_field(tmp_path: Path) -> None:
    _bench_set(tmp_path / "data" / "set")
    other = tmp_path / "other"
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
    other.mkdir()
    subprocess.run(["tar", "-x", "-C", str(other)], input=archive, check=True)
    language = other / "crawler" / "extract" / "language.py"  # a checkout that reads no language from text
    language.write_text(language.read_text(encoding="utf-8").replace("MIN_LETTERS = 20", "MIN_LETTERS = 10**9"),
                        encoding="utf-8")
    run = _pair(tmp_path, other)
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines()[:3] == ["set/1: language, script, sources", "set/2: language, script, sources",
                                           "2 / 2 pages, 2 differ"]
