"""The sites table of ``scrapy list --details`` and of the README, generated from the configs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from crawler.sites import load_site, load_site_file
from crawler.sites.coverage import (
    README_BEGIN,
    README_END,
    SiteRow,
    discovery,
    markdown_table,
    readme_block,
    replace_block,
    site_row,
    text_table,
)

NEW_SITE = """
name = "turkmenportal"
title = "Türkmenportal"
country = "TM"
platform = "wordpress"
domains = ["turkmenportal.com", "www.turkmenportal.com"]
article_url = '^https://turkmenportal\\.com/(?:ru/|en/)?blog/\\d+/[^/]+$'
[[editions]]
language = "tk"
timezone = "Asia/Ashgabat"
home = "https://turkmenportal.com/"
sitemaps = ["https://turkmenportal.com/sitemap.xml"]
[[editions]]
language = "ru"
timezone = "Asia/Ashgabat"
home = "https://www.turkmenportal.com/ru/"
feeds = ["https://turkmenportal.com/ru/rss"]
"""


def test_a_site_row_reads_the_config(tmp_path: Path) -> None:
    path = tmp_path / "turkmenportal.toml"
    path.write_text(NEW_SITE, encoding="utf-8")
    row = site_row(load_site_file(path))
    assert row == SiteRow(name="turkmenportal", title="Türkmenportal", country="TM", languages=("tk", "ru"),
                          platform="wordpress", hosts=("turkmenportal.com",), discovery=("RSS", "sitemaps"))
    assert row.country_name == "Turkmenistan" and row.outlet == "Türkmenportal, turkmenportal.com"
    assert "| `turkmenportal` | Türkmenportal, turkmenportal.com | Turkmenistan | tk, ru | wordpress | " \
           "RSS, sitemaps | no |" in markdown_table([row])


@pytest.mark.parametrize(("site", "kinds"), [
    ("timesca", ("RSS (paged)", "sitemaps", "listings", "WordPress API")),
    ("24kg", ("RSS", "sitemaps", "listings (paged)")),
])
def test_discovery_names_every_source_kind(site: str, kinds: tuple[str, ...]) -> None:
    assert discovery(load_site(site)) == kinds


def test_markdown_rows_go_by_country_then_name_and_escape_pipes() -> None:
    rows = [SiteRow("b", "B", "UZ"), SiteRow("a", "A | x", "UZ"), SiteRow("c", "C", "KZ", browser=True),
            SiteRow("d", "D")]
    lines = markdown_table(rows).splitlines()
    assert lines[0] == README_BEGIN and lines[-1] == README_END
    assert [line.split(" | ")[0] for line in lines[3:-1]] == ["| `d`", "| `c`", "| `a`", "| `b`"]
    assert "| `a` | A \\| x | Uzbekistan |" in lines[5] and lines[4].endswith("| yes |")


def test_text_table_is_aligned_under_its_header() -> None:
    rows = [site_row(load_site("kun")), site_row(load_site("24kg")), SiteRow("news", "Any site", languages=("any",))]
    lines = text_table(rows).splitlines()
    assert lines[0].split() == ["name", "country", "languages", "platform", "title"]
    assert [line.split()[0] for line in lines[1:]] == ["24kg", "kun", "news"]
    starts = [lines[0].index(column) for column in ("country", "languages", "platform", "title")]
    for line in lines[1:]:
        assert all(line[at - 2:at] == "  " and line[at] != " " for at in starts), line
    assert lines[2].split()[1:5] == ["UZ", "uz,uz-Cyrl,ru,en", "-", "Kun.uz"]
    assert lines[3].split()[1:4] == ["-", "any", "-"]


def test_the_readme_block_is_replaced_in_place() -> None:
    readme = f"# T\n\n## Sites\n\n{README_BEGIN}\n| old |\n{README_END}\n\nHow to regenerate.\n\n## Next\n"
    table = markdown_table([SiteRow("a", "A", "KG")])
    updated = replace_block(readme, table)
    assert updated == f"# T\n\n## Sites\n\n{table}\nHow to regenerate.\n\n## Next\n"
    assert readme_block(updated) == table and replace_block(updated, table) == updated
    with pytest.raises(ValueError, match=r"no .* block"):
        replace_block("# T\n", table)


def test_a_changed_config_changes_the_table() -> None:
    kun = load_site("kun")
    assert markdown_table([site_row(kun)]) != markdown_table([site_row(dataclasses.replace(kun, needs_browser=True))])
