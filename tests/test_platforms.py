"""Platform templates: a site config names its platform and states only what differs."""

from pathlib import Path

import pytest

from crawler.sites import SiteConfigError, load_platform, load_site, load_site_file, platform_names, site_names

ON_WORDPRESS = """
name = "example"
platform = "wordpress"
domains = ["example.tj"]
article_url = '^https://example\\.tj/\\d{4}/\\d{2}/[^/]+/$'
[[editions]]
language = "tg"
timezone = "Asia/Dushanbe"
home = "https://example.tj/"
[selectors]
title = ["h1.headline"]
remove = [".share"]
[politeness]
delay = 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_site_gets_its_platform_selectors_and_overrides_only_what_it_states(tmp_path: Path) -> None:
    site = load_site_file(write(tmp_path, ON_WORDPRESS))
    wordpress = load_platform("wordpress")
    assert site.platform == "wordpress"
    assert site.selectors.title == ("h1.headline",)  # the site's own
    assert site.selectors.body == tuple(wordpress["selectors"]["body"])  # the platform's
    assert site.selectors.remove == (".share",)
    assert not site.is_article_url("https://example.tj/category/2025/01/x/")  # the platform's exclusions
    assert site.politeness.delay == 2.0 and site.politeness.concurrency == 2


def test_an_unknown_platform_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match=r"no platform named 'joomla' \(known: .*wordpress"):
        load_site_file(write(tmp_path, ON_WORDPRESS.replace('"wordpress"', '"joomla"')))
    with pytest.raises(SiteConfigError, match="no platform named"):
        load_site_file(write(tmp_path, ON_WORDPRESS.replace('"wordpress"', '"../asiaplus"')))


def test_every_platform_template_is_complete_enough_to_extend() -> None:
    for name in platform_names():
        assert load_platform(name).get("selectors"), name
    used = {load_site(name).platform for name in site_names()} - {""}
    assert used <= set(platform_names())
    assert "tagdiv" in used
