"""The extraction bench refuses a peer it cannot run rather than scoring it zero on every page."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.bench import extraction


def test_a_peer_whose_library_is_not_installed_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(extraction.LIBRARIES, "newspaper4k", "no_such_module_for_the_bench")
    with pytest.raises(SystemExit) as exit_:
        extraction.main(["--data", str(tmp_path), "--extractors", "ours,newspaper4k"])
    assert exit_.value.code == 2
    assert "newspaper4k not installed: pip install -e '.[bench]'" in capsys.readouterr().err


def test_an_unknown_extractor_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        extraction.main(["--data", str(tmp_path), "--extractors", "ours,readability"])
    assert exit_.value.code == 2
    assert "unknown extractor readability: choose from ours, trafilatura, newspaper4k" in capsys.readouterr().err


def test_installed_peers_are_not_missing() -> None:
    assert extraction.missing_libraries(["ours", "trafilatura"]) == []
