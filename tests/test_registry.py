"""Contract checks over the site registry, its replicas and the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.sites import load_site, load_site_file, site_names
from crawler.sites.coverage import readme_block, sites_table
from tests.replicas import expected, expected_articles, replica_sites

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_site_has_a_replica_and_every_replica_a_site() -> None:
    assert site_names() == replica_sites()


@pytest.mark.parametrize("site", site_names())
def test_site_config_is_valid_and_consistent(site: str) -> None:
    config = load_site(site)
    assert config.name == site
    assert config.editions
    for edition in config.editions:
        assert edition.feeds or edition.sitemaps or edition.listings or edition.wp_api, edition


@pytest.mark.parametrize("site", replica_sites())
def test_expected_output_is_complete(site: str) -> None:
    articles = expected_articles(site)
    assert len(articles) >= 3
    assert expected(site)["not_articles"]
    config = load_site(site)
    for url, fields in articles.items():
        assert config.is_article_url(url), url
        for field in ("title", "paragraphs", "published", "language"):
            assert fields[field], f"{url}: empty {field}"
        assert all(paragraph.strip() == paragraph and paragraph for paragraph in fields["paragraphs"])


def test_readme_site_table_matches_the_registry() -> None:
    """The README's table is exactly what the configs generate: a new or changed site fails this until
    ``scripts/coverage_table.py --write`` is run."""
    section = README.read_text(encoding="utf-8").split("\n## Sites\n", 1)[1].split("\n## ", 1)[0]
    assert readme_block(section) == sites_table()
    rows = re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)
    assert sorted(rows) == site_names()


def test_readme_example_configs_are_valid(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    examples = [block.split("```", 1)[0] for block in text.split("```toml\n")[1:]]
    loaded = []
    for i, example in enumerate(examples):
        path = tmp_path / f"example{i}.toml"
        path.write_text(example, encoding="utf-8")
        loaded.append(load_site_file(path))
    assert loaded[0].editions[0].wp_api
    assert any(site.platform == "rferl" for site in loaded)  # the platform example


def test_env_example_lists_every_environment_setting() -> None:
    settings = (Path(__file__).resolve().parent.parent / "crawler" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env_(?:str|int|float|bool)\("([A-Z_]+)"', settings))
    example = (Path(__file__).resolve().parent.parent / "deploy" / "env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert names <= listed, sorted(names - listed)


def test_crontab_covers_every_site() -> None:
    crontab = (Path(__file__).resolve().parent.parent / "deploy" / "crontab").read_text(encoding="utf-8")
    assert set(re.findall(r"run-crawl ([a-z0-9]+)", crontab)) == set(site_names())
