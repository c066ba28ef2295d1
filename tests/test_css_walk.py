"""Simple CSS selectors matched without XPath (:mod:`crawler.extract.css_walk`) find what parsel's XPath finds,
node for node, in order, up to the limit; anything else is left to parsel."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from parsel import Selector
from parsel.csstranslator import css2xpath

from crawler.extract import css_walk
from crawler.htmltree import html_selector

ROOT = Path(__file__).resolve().parent.parent
PAGE = """<html><head><title>T</title></head><body class="entry-content page">
<div class="entry-content"><p class="lead">a</p><p class="LEAD">b</p></div>
<div class="entry-content-wide">not a match: the name is only part of a longer one</div>
<div class=" x\tentry-content\nlead\r ">tabs, newlines and carriage returns separate classes</div>
<div class="entry-content\u00a0lead">a no-break space does not</div>
<section class="post entry"><h1 class="entry-title">H</h1><H2 CLASS="entry-title">h2</H2></section>
<div class="entry-content"><div class="entry-content">nested</div></div>
<!-- <div class="entry-content">a comment</div> --><svg class="icon entry-content"></svg></body></html>"""
SELECTORS = ["p", "P", "*", "div", ".entry-content", "div.entry-content", ".lead", ".LEAD", "p.lead",
             ".post.entry", ".entry.post", "section.post.entry", ".entry-title", "h2.entry-title", "H1.entry-title",
             ".entry-content.lead", "svg.icon", ".missing", "span", " .lead ", "._x", ".-x"]


def _by_parsel(html: str, css: str, limit: int) -> list[object]:
    return [node.root for node in html_selector(html).xpath(f"({css2xpath(css)})[position() <= {limit}]")]


@pytest.mark.parametrize("css", SELECTORS)
@pytest.mark.parametrize("limit", [0, 1, 2, 1000])
def test_same_nodes_as_parsel(css: str, limit: int) -> None:
    sel = html_selector(PAGE)
    walked = css_walk.select(sel, css, limit)
    assert walked is not None
    expected = sel.xpath(f"({css2xpath(css)})[position() <= {limit}]")
    assert [node.root for node in walked] == [node.root for node in expected]
    assert walked.getall() == expected.getall()
    assert all(node.type == "html" for node in walked)


def test_from_an_inner_node_itself_included() -> None:
    inner = html_selector(PAGE).xpath("//section")[0]
    walked = css_walk.select(inner, "section.post", 10)
    assert walked is not None and [n.root.tag for n in walked] == ["section"]
    walked = css_walk.select(inner, ".entry-title", 10)
    assert walked is not None and walked.getall() == inner.css(".entry-title").getall()


@pytest.mark.parametrize("css", ["#main", "div#main", "div p", "div > p", "a[href]", "p::text", "p::attr(class)",
                                 "p:first-child", ".a,.b", r".a\:b", ".тест", "div.", ".1a", ""])
def test_other_selectors_left_to_parsel(css: str) -> None:
    assert css_walk.select(html_selector(PAGE), css, 10) is None


def test_not_html_left_to_parsel() -> None:
    sel = Selector(text='<?xml version="1.0"?><rss><item class="a"/></rss>')
    assert sel.type != "html" and css_walk.select(sel, ".a", 10) is None


def test_benchmark_pages_with_every_bundled_sites_selector() -> None:
    """Every simple selector of the bundled sites' rules on a sample of the extraction benchmark's real pages."""
    import tomllib

    pages = sorted((ROOT.parent / "shared" / "benchmarks" / "article-extraction").rglob("*.html.gz"))[::20]
    if not pages:
        pytest.skip("the extraction benchmark (../shared/benchmarks) is not here")
    selectors = {css for config in (ROOT / "crawler" / "sites").glob("*.toml")
                 for values in tomllib.loads(config.read_text(encoding="utf-8")).get("selectors", {}).values()
                 for css in values if css_walk.select(html_selector("<p>"), css, 1) is not None}
    assert len(selectors) > 20
    for page in pages:
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        sel = html_selector(html)
        for css in sorted(selectors):
            walked = css_walk.select(sel, css, 5)
            assert walked is not None
            assert [n.root for n in walked] == [n.root for n in sel.xpath(f"({css2xpath(css)})[position() <= 5]")], (
                page.name, css)
