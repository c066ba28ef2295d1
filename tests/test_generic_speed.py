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
    assert rows["_body"][1] > 0 and rows["header_date"][1] > 0 and rows["cleaned"][1] > 0
    assert all(value >= 0 for values in rows.values() for value in values)  # no stage counted twice
    top = sum(rows[name][1] for _, name, depth in STAGES if depth == 0) + rows["other"][1]
    assert top == pytest.approx(rows["total"][1], abs=0.02)  # the means of the top stages and the rest make the total


# The rules as they were written before the shortcuts: each shortcut must answer exactly as they do.
_JS_NOTICE_FULL = (r"(?=.*javascript)(?=.*(?:enable|turn on|включ|yoqing|иштет|қос|фаъол|açyň|işjeňleşdir)).{0,200}")


@pytest.mark.parametrize("line", [
    "Please enable JavaScript to view this site.", "JavaScript включите, пожалуйста",
    "Enable " + "x" * 180 + " JavaScript", "Enable " + "x" * 200 + " JavaScript",  # 201+ chars: no notice
    "JavaScript is a language; " * 20 + "enable it",
])
def test_a_javascript_notice_is_judged_as_the_full_rule_judges_it(line: str) -> None:
    import re

    from crawler.extract.boilerplate import is_ui_line, plain

    want = re.fullmatch(_JS_NOTICE_FULL, plain(line), re.IGNORECASE | re.DOTALL) is not None
    assert is_ui_line(line) is want


@pytest.mark.parametrize("line", [
    "Фото: Asia-Plus", "Рогунская ГЭС. Фото: Asia-Plus", "Photo by Jane Doe", "PHOTO BY Jane Doe", "photo bY Jane",
    "© Sputnik / Name", "Image: Reuters", "Photo — AP", "Photo/AP", "A caption with no credit at all",
    "Сурат манбаси Facebook", "Фото пресс-службы", "Bylines are not credits", "Standby power returned",
])
def test_a_credit_line_is_split_as_the_full_rule_splits_it(line: str) -> None:
    from crawler.extract import boilerplate

    match = boilerplate._CREDIT.match(line)
    want = ((match.group("caption") or "").strip(" .,;") or None, match.group("credit").strip(" .") or None) \
        if match else (line, None)
    assert boilerplate.split_credit(line) == want
    assert boilerplate._may_credit(line) or match is None  # the quick test never turns a credit away


def test_cleaning_tests_each_paragraph_once_made_plain() -> None:
    from crawler.extract.boilerplate import is_cross_link, is_plain_cross_link, is_plain_ui_line, is_ui_line, plain
    from crawler.extract.cleanup import clean_paragraphs

    lines = ["Share:", "Read also: Water talks", "Shuningdek o‘qing: suv", "Popular", "A paragraph of the story.",
             "Фото: Asia-Plus"]
    for line in lines:
        assert is_plain_ui_line(plain(line)) is is_ui_line(line)
        assert is_plain_cross_link(plain(line)) is is_cross_link(line)
    images = [{"url": "https://e.com/a.jpg", "_position": 0}]
    kept, counts = clean_paragraphs(lines, images)
    assert kept == ["A paragraph of the story."]
    assert counts == {"removed/ui": 2, "removed/cross_link": 2, "credit_moved": 1}
    assert images == [{"url": "https://e.com/a.jpg", "credit": "Asia-Plus"}]
