"""A filter given with nothing in it (``--site "$SITE"`` with the variable empty) is a usage error, not "every site":
``scrapy export --site ""`` exported, and ``scrapy reextract --site ""`` re-extracted, the whole store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.export.query import ArticleQuery, QueryError
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import ROOT


@pytest.mark.parametrize(("options", "error"), [
    ({"site": ""}, "--site '' names nothing: leave --site out for all"),
    ({"site": " , "}, "--site ' , ' names nothing: leave --site out for all"),
    ({"language": ""}, "--language '' names nothing: leave --language out for all"),
])
def test_an_empty_filter_is_refused(options: dict[str, str], error: str) -> None:
    with pytest.raises(QueryError) as raised:
        ArticleQuery.from_options(**options)
    assert str(raised.value) == error


def test_a_filter_left_out_matches_all() -> None:
    assert ArticleQuery.from_options().filter() == ArticleQuery.from_options(site=None, language=None).filter()


@pytest.mark.e2e  # a real `scrapy reextract` subprocess
def test_reextract_refuses_an_empty_site(tmp_path: Path) -> None:
    ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path))).close()  # an empty store
    result = subprocess.run([sys.executable, "-m", "scrapy", "reextract", "--site", "", "--dry-run"], cwd=ROOT,
                            text=True, capture_output=True, env={"PATH": "", "DATA_DIR": str(tmp_path)}, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1].endswith("error: --site '' names no site: leave --site out for all")
