"""The fast readers of bylines and date labels select exactly what their reference patterns do."""

from __future__ import annotations

import pytest
from lxml import etree
from lxml import html as lxml_html

from crawler.extract import authors
from crawler.extract.date_labels import PUBLISHED, label_after_tag

PAGES = [
    # Every attribute kind the XPath reads, an element with two matching attributes, one that only looks alike.
    """<html><body><div class="byline" id="Author-box"><span itemprop="name">A</span></div>
    <a href="/authors/x" rel="author">X</a><p data-writer="w" title="submitted-by">t</p>
    <p class="AUTHOR">no</p><meta itemprop="names"></body></html>""",
    # <author> elements: the XPath's union places them.
    """<html><body><author>Jane</author><p class="author">B</p></body></html>""",
    # Past the cap: the first MAX_BYLINE_CANDIDATES only, page order.
    "<html><body>" + "".join(f'<i class="author-{n}" data-x="byline">{n}</i>' for n in range(700)) + "</body></html>",
]


@pytest.mark.parametrize("page", PAGES)
def test_byline_candidates_are_the_xpaths(page: str) -> None:
    root = lxml_html.fromstring(page)
    expected = authors._BYLINE_CANDIDATES(root)
    assert expected  # the page has candidates to compare
    assert authors._byline_candidates(root) == expected


@pytest.mark.parametrize("label", sorted({label for labels in PUBLISHED.values() for label in labels}))
def test_every_published_label_is_found_after_a_tag(label: str) -> None:
    # The search skips a tag whose text does not start with a label's first letter: each label, any case, still
    # counts.
    for spelt in (label, label.upper(), label.capitalize()):
        match = label_after_tag.search(f"<p>x</p><span>\n {spelt}: 14.03.2025</span>")
        assert match is not None and match["label"] == spelt


def test_each_byline_word_alone_makes_a_candidate_for_both_readers() -> None:
    # One element per word of the list (the XPath is built from the same list): a word added to one reader only
    # would be missed by the other here.
    words = authors._BYLINE_WORD_LIST
    page = "<html><body>" + "".join(f'<p data-n="{n}" title="x{word}y">{n}</p>' for n, word in enumerate(words))
    root = lxml_html.fromstring(page + "</body></html>")
    found = authors._byline_candidates(root)
    assert found == authors._BYLINE_CANDIDATES(root)
    assert [element.get("data-n") for element in found] == [str(n) for n in range(len(words))]


BY_LINE_PAGES = [
    # First words of every kind: a colon, a run of list words joined by "|" ("By|By:"), a list word's start alone
    # ("Written about"), white space normalize-space() keeps (no-break space, form feed), tails, script text, the
    # head's text.
    """<html><head><title>By the head</title></head><body>By Anna Kim<p>by: Ivan</p><p> \\t\\n By\\nJohn</p>
    <p>By|By: Anna</p><p>Written about</p><p>Written by Jane</p><p>\\xa0By nobody</p><p>\\x0cBy nobody</p>
    <p>x<b>y</b> By the tail</p><script>By script</script><p>Bylines</p><p>Text: Anna</p><p>Text Anna</p>
    <p>Text:: x</p><p>Author(s): A B</p><p>Автор: Анна Ким</p><p>Подготовила Анна</p><p>Muallif: X</p>
    <p>   </p><p></p><p>Byby</p><p>By</p></body></html>""".replace("\\t", "\t").replace("\\n", "\n")
    .replace("\\xa0", "\xa0").replace("\\x0c", "\x0c"),
    # Past the cap: the first 20 nodes whose first word matches, each followed by one that only starts alike.
    "<html><body>" + "".join(f"<p>By {n}</p><p>Bypass {n}</p>" for n in range(40)) + "</body></html>",
    # No byline word at all.
    "<html><body><p>Nothing here</p></body></html>",
]


# The reference reader of "By …" lines: the body's text nodes whose first word (after normalize-space()) is one of
# the byline words, as libxml2 alone selects them (too slow for the product: one normalize-space() per node).
_FIRST_WORD = "substring-before(concat(normalize-space(.), ' '), ' ')"
BY_LINE = etree.XPath(f"(//body//text()[contains('{authors._FIRST_WORDS}', concat('|', {_FIRST_WORD}, '|'))])"
                      f"[position() <= {authors.MAX_BY_LINES}]")


@pytest.mark.parametrize("page", BY_LINE_PAGES)
def test_by_lines_are_the_xpaths(page: str) -> None:
    root = lxml_html.fromstring(page)
    expected = [(str(t), t.getparent(), t.is_tail) for t in BY_LINE(root)]
    assert expected or "Nothing here" in page  # the reference finds lines to compare on every page but the last
    assert [(str(t), t.getparent(), t.is_tail) for t in authors._by_lines(root)] == expected


@pytest.mark.parametrize("node", ["<p>Bypass {}</p>", "<p>x</p> Bylaw {}", "<p>Something {}</p>"])
def test_by_lines_of_100000_text_nodes_stay_linear(node: str) -> None:
    # 100,000 text nodes (half of them tails), each opening with a byline word's start or not: one pass over the
    # page's strings and a test of each node that starts alike, never a look at the page per node.
    import time

    root = lxml_html.fromstring("<html><body>" + "".join(node.format(n) for n in range(100_000))
                                + "<p>By Anna Kim</p></body></html>")
    started = time.process_time()
    found = authors._by_lines(root)
    assert time.process_time() - started < 1.5
    assert [str(t) for t in found] == ["By Anna Kim"]
