"""A page's shown text is read by an XPath libxml2 evaluates in one pass over the body ("descendant::text()"), with
the same text nodes, in the same order, as the "//text()" form it replaced, for a third less of its CPU."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement, document_fromstring

from crawler.extract import shown_text
from crawler.htmltree import HtmlParser, bounded_markup

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = ROOT.parent / "shared" / "benchmarks" / "article-extraction"
BEFORE = etree.XPath(
    "(/html/body//text()[not(parent::script or parent::style or parent::noscript or parent::template)])"
    f"[position() <= {shown_text.MAX_SHOWN_NODES}]", smart_strings=False)

PAGES = {
    "text beside and inside hidden elements": "<html><head><title>T</title><script>h()</script></head><body>top"
        "<script>s()</script>after script<style>p{}</style><noscript>ns <b>bold in noscript</b></noscript>"
        "<template>tpl <i>in template</i></template><p>para <span>span</span> tail</p>end</body></html>",
    "nested and repeated": "<body>" + "<div>a<div>b<script>x</script>c</div>d</div>" * 50 + "</body>",
    "comments, CDATA, entities": "<body><!-- c -->x<![CDATA[cd]]>y &amp; z<svg><text>svg</text>"
                                 "<style>svg{}</style></svg><math><mi>m</mi></math></body>",
    "text after the body": "<html><body><p>in</p></body></html>after the end",
    "no body": "<html><head><title>only a head</title></head></html>",
    "more text nodes than read": "<body>" + "<i>n</i>" * (shown_text.MAX_SHOWN_NODES + 50) + "</body>",
}


def _parsed(html: str) -> HtmlElement:
    return document_fromstring(bounded_markup(html), parser=HtmlParser())


@pytest.mark.parametrize("html", PAGES.values(), ids=PAGES.keys())
def test_the_same_text_nodes_in_the_same_order(html: str) -> None:
    document = _parsed(html)
    assert shown_text._SHOWN(document) == BEFORE(document)


def _benchmark_documents(step: int) -> list[HtmlElement]:
    pages = sorted(BENCHMARK.rglob("*.html.gz"))[::step]
    if not pages:
        pytest.skip("the extraction benchmark (../shared/benchmarks) is not here")
    return [_parsed(gzip.decompress(path.read_bytes()).decode("utf-8", "replace")) for path in pages]


def test_the_same_text_nodes_on_real_pages() -> None:
    documents = _benchmark_documents(3)
    assert len(documents) > 250
    for number, document in enumerate(documents):
        assert shown_text._SHOWN(document) == BEFORE(document), number
