"""The one home of "is this element page chrome or outside the article" (``crawler.extract.page_regions``): each
caller's walk answers as its own rules did before, the marks only one caller reads stay that caller's, and the
byline test's walk up is remembered per page."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from lxml import etree
from lxml.html import HtmlElement

from crawler.extract import authors, header_date
from crawler.extract.article import _Page, extract_article
from crawler.extract.page_regions import (
    has_comment_word,
    has_sidebar_class,
    is_chrome_mark,
    is_comment_mark,
    is_credit,
    is_outside_article_tag,
)
from crawler.htmltree import html_selector
from crawler.limits import RecordLimits
from crawler.sites import GENERIC

# The four rules as each caller wrote them before they shared a home: the references every element is checked by.
_SKIPPED = {"script", "style", "noscript", "template", "nav", "form", "button", "select", "option", "figcaption",
            "textarea"}
_TEASER = re.compile(r"related|teaser|also|recommend|popular|latest|most-?read|sidebar|ticker", re.IGNORECASE)
_BYLINE_OUTSIDE = etree.XPath(
    "ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment')] or ancestor::figure"
    " or ancestor::*[contains(concat(' ', @class, ' '), ' sidebar ')]")


def _marks(node: HtmlElement) -> str:
    return f"{node.get('class') or ''} {node.get('id') or ''}"


def _header_chrome(node: HtmlElement) -> bool:  # header_date._Chrome's test of one element
    return bool((isinstance(node.tag, str) and node.tag.lower() in _SKIPPED) or _TEASER.search(_marks(node)))


def _header_outside(node: HtmlElement) -> bool:  # header_date._outside_article
    if not isinstance(node.tag, str):
        return True
    tag = node.tag.lower()
    return (tag in _SKIPPED or tag in {"aside", "footer"} or bool(_TEASER.search(_marks(node)))
            or "comment" in _marks(node).lower())


PAGES = [
    # Every mark, in every case and place: comments by class and id in both cases, a figure and its caption, a
    # sidebar as a class word, inside a word, as an id and after a tab, teasers, asides, footers, forms.
    """<html><head><script>x</script><style>p{}</style></head><body>
    <NAV class="menu"><a class="author" href="/author/menu">Menu Man</a></NAV>
    <div class="has-sidebar"><article><h1>Water talks</h1><p class="byline">By Anna Karimova</p>
    <figure><img src="a.jpg"><figcaption class="credit author">Photo: Timur Aliev</figcaption>
    <span class="author">Photo Person</span></figure>
    <footer class="article-footer"><span rel="author">Foot Note</span></footer></article>
    <aside class="sidebar"><div><a rel="author" href="/author/side">Side Bar</a></div></aside>
    <div class="widget\tsidebar"><span class="author">Tab Side</span></div>
    <div id="sidebar"><span class="author">Id Side</span></div>
    <div class="Sidebar-box"><span class="author">Cased Side</span></div>
    <section class="related-news"><p class="author">Teaser Writer</p></section>
    <div id="Comments"><div class="Comment"><span class="author">Cased Reader</span></div></div>
    <ol class="comment-list"><li><span class="author comment-author">Reader</span></li></ol>
    <div id="respond-comment"><form><textarea>t</textarea><button>Send</button><select><option>1</option>
    </select></form></div><!-- a comment node --><noscript>n</noscript><template>t</template>
    <footer><span class="author">Site Footer</span></footer></div></body></html>""",
    # No headline: only chrome decides the header's zone.
    """<html><body><div class="POPULAR"><span class="byline">Pop</span></div><main><div class="most-read">
    <span class="author">Most Read</span></div><aside><span class="author">Aside Writer</span></aside>
    <p class="author">Main Writer</p></main><div class="ticker"><i class="author">T</i></div>
    <div class="x sidebar"><p><b class="author">S</b></p></div></body></html>""",
]


def _elements(html: str) -> list[HtmlElement]:
    return list(html_selector(html).root.iter())


@pytest.mark.parametrize("html", PAGES)
def test_each_callers_test_of_one_element_answers_as_before(html: str) -> None:
    elements = _elements(html)
    outside = authors._OutsideArticle()
    for node in elements:
        assert is_chrome_mark(node) == _header_chrome(node), node
        assert header_date._outside_article(node) == _header_outside(node), node
        if isinstance(node.tag, str):
            assert outside(node) == bool(_BYLINE_OUTSIDE(node)), node
    # The pages hold every answer: each reference says yes and no somewhere.
    assert {_header_chrome(n) for n in elements} == {_header_outside(n) for n in elements} == {True, False}
    assert {bool(_BYLINE_OUTSIDE(n)) for n in elements if isinstance(n.tag, str)} == {True, False}


@pytest.mark.parametrize("html", PAGES)
def test_the_byline_walk_answers_as_before_in_any_order(html: str) -> None:
    """Remembered answers do not depend on which element was asked first (the deepest, or a block above)."""
    elements = [n for n in _elements(html) if isinstance(n.tag, str)]
    for order in (elements, elements[::-1]):
        outside = authors._OutsideArticle()
        assert [outside(n) for n in order] == [bool(_BYLINE_OUTSIDE(n)) for n in order]


def _one(html: str, css: str) -> HtmlElement:
    found: list[HtmlElement] = html_selector(html).root.cssselect(css)
    assert len(found) == 1
    return found[0]


def test_the_marks_only_one_caller_reads_stay_apart() -> None:
    """Merging the vocabularies would change answers: the differences are named, each with its reader."""
    # "Comments" (capitalised): a comment to the header's zone, not to the byline test, which reads it as written.
    cased = _one('<div id="Comments"><span>x</span></div>', "div")
    assert is_comment_mark(cased) and not has_comment_word(cased)
    lower = _one('<ol class="comment-list"></ol>', "ol")
    assert is_comment_mark(lower) and has_comment_word(lower)
    # A figure: the byline test's credit; the header reads its text (a date under a photo is not a credit).
    figure = _one("<figure><img></figure>", "figure")
    assert is_credit(figure) and not is_chrome_mark(figure) and not header_date._outside_article(figure)
    # "has-sidebar": the header's teaser pattern takes it, the byline test's whole class word does not.
    wrapper = _one('<div class="has-sidebar"></div>', "div")
    assert is_chrome_mark(wrapper) and not has_sidebar_class(wrapper)
    side = _one('<div class="widget sidebar"></div>', "div")
    assert is_chrome_mark(side) and has_sidebar_class(side)
    # <aside>/<footer>: outside the article to the header's zone; to the date search only outside <article>.
    aside = _one("<aside></aside>", "aside")
    assert is_outside_article_tag(aside) and not is_chrome_mark(aside) and header_date._outside_article(aside)


def test_tags_are_read_in_the_parsers_lower_case() -> None:
    """The shared tests compare tags without folding them: lxml.html's parser folds ``<NAV>``, ``<ASIDE>``."""
    root = html_selector("<HTML><BODY><NAV>n</NAV><ASIDE>a</ASIDE><FIGURE>f</FIGURE></BODY></HTML>").root
    assert [n.tag for n in root.iter()] == ["html", "body", "nav", "aside", "figure"]
    assert is_chrome_mark(root[0][0]) and is_outside_article_tag(root[0][1]) and is_credit(root[0][2])


def test_the_date_search_drops_chrome_but_keeps_the_articles_own_blocks() -> None:
    html = ("<html><body><nav>Menu 1 May 2020</nav><div class='has-sidebar'><article><h1>Talks</h1>"
            "<footer>Published 3 March 2025</footer></article><aside>Aside 2 May 2020</aside>"
            "<div class='related'>Related 4 May 2020</div></div><footer>Footer 5 May 2020</footer></body></html>")
    kept = " ".join(header_date.drop_chrome(html_selector(html).root).itertext())
    assert kept.split() == ["Talks", "Published", "3", "March", "2025"]


def test_a_deep_comment_thread_of_author_links_is_placed_by_one_walk() -> None:
    """500 commenters' author links 1,000 blocks deep: each is outside the article, found by walking each block
    once for the page (an XPath up from every link for every byline test took 1.4 s of CPU; about 0.06 s now).
    Only the byline walk is timed: the rest of the extraction costs about 0.3 s here and is the benchmark's to
    measure."""
    lead = "<p>" + "Water talks between the two countries resumed on Monday in the capital city. " * 6 + "</p>"
    links = "".join(f"<div><a href='/author/name-{i}' rel='author' class='byline author'>Name {i}</a></div>"
                    for i in range(500))
    html = (f"<html><body><h1>Water talks</h1><div class='comments'>{'<div>' * 1000}{links}{'</div>' * 1000}</div>"
            f"{lead}</body></html>")
    page = _Page(html, "https://news.example.com/a/", None, datetime.now(UTC), RecordLimits())
    started = time.process_time()
    assert list(authors._byline(page)) == []  # the commenters are no byline
    assert time.process_time() - started < 0.3
    assert extract_article(html, "https://news.example.com/a/", GENERIC).authors == []
