"""The RFE/RL services on one platform template (Pangea CMS): each config states only who and where it is."""

import tomllib
from pathlib import Path

import pytest

from crawler.sites import SITES_DIR_NAME, load_platform, load_site

RFERL_SERVICES = ("azathabar", "azattyk", "azattyq", "ozodi", "ozodlik")
# What an RFE/RL service states itself: who it is, where, and its editions; the rest is Pangea's.
OWN_KEYS = {"name", "title", "country", "platform", "domains", "article_url", "site_names", "editions"}


@pytest.mark.parametrize("name", RFERL_SERVICES)
def test_a_service_states_only_its_identity_over_the_pangea_template(name: str) -> None:
    own = tomllib.loads((Path(SITES_DIR_NAME) / f"{name}.toml").read_text(encoding="utf-8"))
    assert own["platform"] == "rferl" and set(own) <= OWN_KEYS
    assert load_site(name).selectors.body == tuple(load_platform("rferl")["selectors"]["body"])


@pytest.mark.parametrize("name", RFERL_SERVICES)
def test_every_edition_has_pangeas_urls(name: str) -> None:
    site = load_site(name)
    for edition in site.editions:
        origin = edition.home.rstrip("/")
        # Pangea's two article URL forms; sections, authors, programs, search and the RSS API are not articles.
        assert site.is_article_url(f"{origin}/a/almaty-metro/33345678.html")
        assert site.is_article_url(f"{origin}/a/33345678.html")
        for path in ("/z/360", "/author/aigerim-toleukhan/ppvqpy", "/p/5789.html", "/api/zrqiteuuir",
                     "/a/33345678.html?tab=comments", "/s?k=metro", "/embed/player/0/33345685.html"):
            assert not site.is_article_url(origin + path), path
        assert all(feed.startswith(f"{origin}/api/z") for feed in edition.feeds)
        assert edition.sitemaps == (f"{origin}/sitemap.xml",)
