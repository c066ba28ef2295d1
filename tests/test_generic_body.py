"""The generic body: the learned block classifier keeps an article's text in order and leaves page chrome out."""

from __future__ import annotations

import json
import runpy
import time

import numpy as np
import pytest
from lxml import html as lxml_html

from crawler.extract.article import extract_article
from crawler.extract.blocks import FEATURES, segment
from crawler.extract.cleanup import clean_paragraphs
from crawler.extract.generic import MODEL_PATH, Forest, choose, classified_paragraphs, forests
from crawler.sites import GENERIC
from tests.crawling import ROOT

TITLE = "Regional water council agrees on a new irrigation schedule for the summer"
PARAGRAPHS = [
    "The regional water council agreed on Tuesday to a new irrigation schedule that will govern how farmers in "
    "the valley draw water from the main canal during the summer months, officials said after a long meeting.",
    "Under the plan, upstream districts will receive their allocation in the first half of each week, while "
    "downstream districts, which complained of shortages last year, will be served first at the weekend.",
    "Farmers' associations welcomed the decision but warned that the canal itself needs urgent repairs, "
    "since leaks along its older sections lose a significant share of the water before it reaches the fields.",
    "The council said it would ask the ministry for funds to line the worst sections with concrete, a project "
    "engineers estimate would take two seasons to complete and would reduce losses by almost a third.",
]
SUBHEADING = "What changes for farmers this season"
LIST_ITEMS = ["Upstream districts draw water from Monday to Wednesday.",
              "Downstream districts are served from Friday to Sunday.",
              "Thursday is kept for repairs and emergencies along the canal."]
QUOTE = ("We have waited for a fair schedule for years, and this one finally treats the villages at the end of the "
         "canal as equals, said the head of a farmers' association from the lower valley.")
TABLE = [("District", "Days"), ("Upper valley", "Monday to Wednesday"), ("Lower valley", "Friday to Sunday")]
LAST = ("The new schedule takes effect on the first of June and will be reviewed by the council in September, "
        "after the harvest, when districts will report how much water actually reached their fields.")
CHROME = ["Share on Facebook", "Subscribe to our newsletter to get the latest news every morning",
          "We use cookies to improve your experience. By continuing you accept our cookie policy.",
          "Photo: Regional water council press service", "Read also: Drought warning issued for the valley",
          "Great article, thanks for writing about our village!", "Leave a comment",
          "Copyright 2026 Valley News. All rights reserved."]


def _article_page() -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    rest = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    items = "".join(f"<li>{item}</li>" for item in LIST_ITEMS)
    rows = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in TABLE)
    nav = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(12))
    teasers = "".join(f'<li><a href="/news/{n}">Another story about the valley number {n} today</a></li>'
                      for n in range(8))
    return f"""<!doctype html><html lang="en"><head><title>{TITLE} | Valley News</title>
<meta property="og:title" content="{TITLE}"></head><body>
<header class="site-header"><a class="logo" href="/">Valley News</a><nav class="main-menu"><ul>{nav}</ul></nav></header>
<div class="cookie-notice">{CHROME[2]}</div>
<main><article class="post">
<h1 class="entry-title">{TITLE}</h1>
<div class="byline">By Aziza Karimova, 3 May 2026</div>
<div class="share-buttons"><a href="#">{CHROME[0]}</a> <a href="#">Share on X</a></div>
<figure><img src="/img/canal.jpg"><figcaption>The main canal in spring. {CHROME[3]}</figcaption></figure>
<div class="entry-content">{paragraphs}<h2>{SUBHEADING}</h2><ul>{items}</ul>
<blockquote><p>{QUOTE}</p></blockquote><table>{rows}</table>
<p><a href="/news/drought">{CHROME[4]}</a></p>{rest}<p>{LAST}</p></div>
<div class="newsletter-box"><p>{CHROME[1]}</p><button>Sign up</button></div>
</article>
<section class="related-posts"><h3>Related posts</h3><ul>{teasers}</ul></section>
<section id="comments" class="comments-area"><h3>2 comments</h3>
<div class="comment"><p class="comment-author">Farid</p><p>{CHROME[5]}</p></div>
<h3 class="comment-reply-title">{CHROME[6]}</h3></section></main>
<footer class="site-footer"><p>{CHROME[7]}</p></footer></body></html>"""


def _body(html: str) -> list[str]:
    extraction = extract_article(html, "https://valley-news.example/2026/05/03/irrigation-schedule/", GENERIC)
    assert extraction.sources["body"] == "generic"
    return clean_paragraphs(extraction.paragraphs, [dict(image) for image in extraction.images])[0]


def test_the_body_keeps_the_article_in_order_and_leaves_chrome_out() -> None:
    body = _body(_article_page())
    text = "\n".join(body)
    assert body[0] != TITLE and TITLE not in body  # the headline is the record's title, not a paragraph
    expected = [*PARAGRAPHS[:2], SUBHEADING, *LIST_ITEMS, QUOTE, *(cell for row in TABLE for cell in row),
                *PARAGRAPHS[2:], LAST]
    at = 0
    for part in expected:  # lists, quotes, table text and subheadings kept, in reading order
        found = text.find(part, at)
        assert found >= 0, (part, text[at:])
        at = found + len(part)
    assert body[-1] == LAST  # the last paragraph of a long article is kept
    for chrome in CHROME:
        assert chrome not in text, chrome
    assert "The main canal in spring" not in text  # captions stay with the image


def test_a_table_keeps_one_line_per_row_with_its_cells_in_order() -> None:
    body = _body(_article_page())
    lines = [" | ".join(row) for row in TABLE]
    start = body.index(lines[0])  # not a paragraph per cell
    assert body[start:start + len(TABLE)] == lines


def test_the_body_does_not_start_with_the_headline_when_the_page_repeats_it() -> None:
    page = _article_page().replace("<div class=\"entry-content\">", f"<div class=\"entry-content\"><p>{TITLE}</p>")
    assert _body(page)[0] == PARAGRAPHS[0]


def test_segmentation_keeps_every_text_block_once_in_document_order() -> None:
    root = lxml_html.fromstring("<html><body><div>Intro <b>bold</b> text<p>First para</p>tail text"
                                "<ul><li>one</li><li>two <a href='#'>link</a></li></ul>"
                                "<script>var x = 1;</script><p>Last<br>line</p></div></body></html>")
    blocks, _ = segment(root)
    assert [b.text for b in blocks] == ["Intro bold text", "First para", "tail text", "one", "two link", "Last line"]
    assert [b.tag for b in blocks] == ["div", "p", "div", "li", "li", "p"]
    assert blocks[4].link_chars == len("link")


def test_an_inline_element_without_children_is_read_as_one_with_them() -> None:
    # Inline leaves (links, icons, images) take segmenting's short way: their text joins the open block, a link's
    # counted as link text; one whose text opens a block describes it (its class, hiding, the link it is).
    root = lxml_html.fromstring("<html><body><p>Read <a href='/x'>the report</a><img src='x.png'> now"
                                "<i class='icon'></i></p><div><span class='byline' style='display:none'>By Anna"
                                "</span> Kim</div><div><a class='share-link' href='/s'>Share</a><em> it</em></div>"
                                "</body></html>")
    blocks, _ = segment(root)
    assert [b.text for b in blocks] == ["Read the report now", "By Anna Kim", "Share it"]
    assert [b.link_chars for b in blocks] == [len("the report"), 0, len("Share")]
    meta_bit, share_bit = 1 << 12, 1 << 2  # _CLASS_WORDS' "meta" and "share" groups
    assert blocks[1].own_mask == meta_bit and blocks[1].hidden
    assert blocks[2].own_mask & share_bit and not blocks[2].hidden and blocks[2].context & 1


def test_a_page_the_parser_put_inside_a_button_is_still_read() -> None:
    # An unclosed <div> in a <button> keeps libxml2 from closing the button: the rest of the page is inside it.
    menu = '<header><button class="menu"><span>Menu</span><div></button></header>'
    page = _article_page().replace('<header class="site-header">', menu + '<header class="site-header">')
    root = lxml_html.fromstring(page)
    assert root.xpath("count(//button//p)") > 5  # the parser did swallow the article
    blocks, _ = segment(root)
    assert LAST in [b.text for b in blocks]
    assert _body(page)[-1] == LAST
    options = "".join(f"<option>Country {n}</option>" for n in range(100))
    small = lxml_html.fromstring(f"<html><body><p>Text</p><button><span>Sign</span> up</button><select>{options}"
                                 "</select></body></html>")
    assert [b.text for b in segment(small)[0]] == ["Text"]  # a real control's label is still not text


def test_text_after_a_second_html_element_is_read() -> None:
    # A page (or a CMS template) that opens a second <html> after the first: the parser makes it a sibling of
    # the root, and browsers show it.
    root = lxml_html.fromstring("<html><head></head><body><nav>Menu</nav></body></html>"
                                "<html><div class='post'><p>The article text.</p></div></html>")
    assert [b.text for b in segment(root)[0]] == ["Menu", "The article text."]


def test_the_shipped_model_reads_the_features_the_code_computes() -> None:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model["first"]["features"] == list(FEATURES)
    assert MODEL_PATH.stat().st_size < 1_000_000  # small enough to ship in the package
    first, second = forests()
    assert len(first.roots) > 10 and len(second.roots) > 10


def test_forest_walks_each_tree_to_its_leaf() -> None:
    # One stump on the first feature (x <= 2 is left, worth -1; else +1) and one constant tree worth 0.5.
    stump = {"feature": [0, -1, -1], "threshold": [2.0, 0.0, 0.0], "left": [1, -1, -1], "right": [2, -1, -1],
             "value": [0.0, -1.0, 1.0]}
    constant = {"feature": [-1], "threshold": [0.0], "left": [-1], "right": [-1], "value": [0.5]}
    forest = Forest({"features": list(FEATURES), "trees": [stump, constant]})
    X = np.zeros((3, len(FEATURES)))
    X[:, 0] = [1.0, 2.0, 3.0]
    expected = 1 / (1 + np.exp(-np.array([-0.5, -0.5, 1.5])))
    assert np.allclose(forest.predict(X), expected)
    with pytest.raises(ValueError, match="other features"):
        Forest({"features": ["something else"], "trees": []})


def test_the_generic_body_is_cheap() -> None:
    """The model costs a few milliseconds per page (trafilatura twice cost tens): a generous bound, the
    machine may be busy."""
    root = lxml_html.fromstring(_article_page())
    classified_paragraphs(root, TITLE, None, None)  # load the model
    started = time.process_time()
    for _ in range(20):
        classified_paragraphs(root, TITLE, None, None)
    assert (time.process_time() - started) / 20 < 0.05


_STORY = "".join(
    f"<p>Paragraph {i} of the story tells how the regional council met on Tuesday and agreed, after a long "
    "debate, to fund the new water pipeline for the northern districts.</p>" for i in range(4))


@pytest.mark.parametrize("figure", [
    # a short label above the image, of the kind galleries print (the model half believes it, between paragraphs)
    '<figure class="text-asset"><figcaption class="figure-title">Pipeline route</figcaption>'
    '<img src="/a.jpg" alt="Pipeline route"></figure>',
    # a sentence-long caption below the image
    '<figure><img src="/a.jpg" alt=""><figcaption><p>The new pipeline will run along the northern road to the '
    "districts.</p></figcaption></figure>",
])
def test_an_image_caption_between_paragraphs_is_not_body(figure: str) -> None:
    half = len(_STORY) // 2
    cut = _STORY.index("<p>", half)
    html = (f"<html><head><title>Council funds pipeline</title></head><body><article><h1>Council funds pipeline</h1>"
            f'<div class="article-content">{_STORY[:cut]}{figure}{_STORY[cut:]}</div></article></body></html>')
    extraction = extract_article(html, "https://example.com/news/2024/05/council-funds-pipeline", GENERIC)
    assert len(extraction.paragraphs) == 4
    assert all(p.startswith("Paragraph") for p in extraction.paragraphs)


def test_training_labels_a_short_block_by_its_place_in_the_true_text() -> None:
    """A menu item whose word the article happens to use is not body text; a subheading or a table cell
    where the article has it is (``scripts/train_body_model.py`` labels the blocks the model learns from)."""
    labels = runpy.run_path(str(ROOT / "scripts" / "train_body_model.py"))["_labels"]
    truth = ("Water news\nThe council agreed on a new irrigation schedule for the valley.\n"
             "What changes\nUpstream districts draw water first.")
    texts = ["Home", "Water", "Sports", "The council agreed on a new irrigation schedule for the valley.",
             "What changes", "Upstream districts draw water first.", "Sports news today"]
    assert labels(texts, truth).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    assert labels(["Water"], "Water").tolist() == [1.0]  # the whole true text


COMMENTS = [
    "I have farmed in the valley for thirty years and the canal has never been repaired properly, so I doubt it.",
    "Good news for the downstream districts at last, though the weekend schedule will be hard for small farms.",
]


@pytest.mark.parametrize("heading", ["Comments", "[ 2 comments ]", "Leave a Reply", "Комментарии:"])
def test_paragraph_shaped_comments_after_a_comments_heading_are_not_body(heading: str) -> None:
    """Readers' comments the model scores like the article's paragraphs end at the heading that opens them."""
    texts = [*PARAGRAPHS, heading, *COMMENTS]
    probabilities = np.asarray([0.9] * len(PARAGRAPHS) + [0.1] + [0.9] * len(COMMENTS))
    kept = choose(texts, probabilities, TITLE, np.zeros((len(texts), len(FEATURES))))
    assert kept == PARAGRAPHS


def test_a_comments_link_before_most_of_the_article_does_not_end_it() -> None:
    texts = [PARAGRAPHS[0], "3 comments", *PARAGRAPHS[1:]]
    probabilities = np.asarray([0.9, 0.1, 0.9, 0.9, 0.9])
    assert choose(texts, probabilities, TITLE, np.zeros((len(texts), len(FEATURES)))) == PARAGRAPHS


def test_the_headline_repeated_first_is_dropped_whatever_its_apostrophes() -> None:
    """The title can take the declared titles' straight apostrophes where the page prints curly ones: the
    headline block is still the title, not the first paragraph."""
    texts = ["Farmers’ guide to the valley’s new irrigation schedule", *PARAGRAPHS]
    probabilities = np.asarray([0.9] * len(texts))
    kept = choose(texts, probabilities, "Farmers' guide to the valley's new irrigation schedule",
                  np.zeros((len(texts), len(FEATURES))))
    assert kept == PARAGRAPHS
