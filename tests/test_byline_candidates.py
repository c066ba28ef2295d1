"""The fast readers of bylines and date labels select exactly what their reference patterns do."""

from __future__ import annotations

import pytest
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
