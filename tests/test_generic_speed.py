"""The generic path's speed: the bench's per-stage CPU profile, and cheaper stages that give the same answers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest


def _bench_set(folder: Path, pages: dict[str, str]) -> None:
    (folder / "html").mkdir(parents=True)
    truth = {}
    for page_id, html in pages.items():
        (folder / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[page_id] = {"url": f"https://news.example.com/{page_id}", "articleBody": "", "title": "T"}
    (folder / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")


def test_profile_lists_cpu_ms_of_each_stage_that_add_up_to_the_total(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import crawler.extract.article as article
    from crawler.bench.extraction import STAGES, main

    body = "<p>" + "Water talks between the two countries resumed on Monday in the capital. " * 5 + "</p>"
    _bench_set(tmp_path / "set", {
        "1": f"<html><body><article><h1>Water talks resume</h1><p>14 March 2025</p>{body}</article></body></html>",
        "2": f"<html><body><h1>Snow closes the pass</h1>{body * 2}</body></html>",
    })
    before = article._published
    assert main(["--data", str(tmp_path), "--sets", "set", "--profile"]) == 0
    assert article._published is before  # the timing wrappers are gone
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("set (2 pages): CPU ms per page")
    rows = {line.split()[0]: [float(v) for v in line.split()[1:3]] for line in lines[1:]}
    assert set(rows) == {name for _, name, _ in STAGES} | {"other", "total"}
    assert rows["_body"][1] > 0 and rows["header_date"][1] > 0
    top = sum(rows[name][1] for _, name, depth in STAGES if depth == 0) + rows["other"][1]
    assert top == pytest.approx(rows["total"][1], abs=0.02)  # the means of the top stages and the rest make the total
