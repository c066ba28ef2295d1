"""Stored HTML is inert but still extractable."""

import pytest
from lxml.html import document_fromstring

from crawler import sanitize
from crawler.extract.article import extract_article
from crawler.sanitize import _css_runs, inert_html

HOSTILE = """<html><head><script>steal(document.cookie)</script>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Border talks",
 "datePublished": "2025-03-14T10:00:00+05:00"}</script></head>
<body onload="evil()"><article><h1>Border talks</h1>
<p onclick="x()">Officials met in Dushanbe on Friday to discuss the border. <a href="javascript:evil()">more</a></p>
<iframe src="https://tracker.example/"></iframe><object data="x.swf"></object>
<p>The talks will continue next month in Bishkek, both ministries said in statements.</p></article></body></html>"""


def test_nothing_that_runs_is_kept() -> None:
    clean = inert_html(HOSTILE)
    for needle in ("steal(", "onload", "onclick", "javascript:", "<iframe", "<object"):
        assert needle not in clean, needle


def test_obfuscated_script_urls_and_handlers_are_removed() -> None:
    clean = inert_html('<html><body><!-- kept --><a href="java\tscript:alert(1)" onMouseOver="x()">a</a>'
                       '<img src=" data:text/html;base64,PHNjcmlwdD4="><form action="vbscript:x"></form>'
                       '<a href="/news/ok/">ok</a></body></html>')
    for needle in ("script:", "data:text/html", "onmouseover", "x()"):
        assert needle not in clean.lower(), needle
    assert '<a href="/news/ok/">ok</a>' in clean and "<!-- kept -->" in clean


def test_what_extraction_reads_is_kept() -> None:
    # Extraction reads the inert page as it reads the original: the same record (which paragraphs of a two-paragraph
    # page the body model keeps is the model's call, not the sanitizer's), and every paragraph's text is still there.
    url = "https://example.tj/2025/03/14/border-talks/"
    clean = inert_html(HOSTILE)
    record, original = extract_article(clean, url), extract_article(HOSTILE, url)
    assert record.title == original.title == "Border talks"
    assert record.published == original.published
    assert record.published.isoformat() == "2025-03-14T05:00:00+00:00"
    assert record.paragraphs == original.paragraphs and record.paragraphs
    assert "Officials met in Dushanbe on Friday to discuss the border." in clean
    assert "The talks will continue next month in Bishkek" in clean


def test_unparseable_input_gives_empty_output() -> None:
    assert inert_html("") == ""


# CSS that a browser may run, found through comments, escapes, skipped characters and non-ASCII text around it
# (the check reads UTF-8 bytes, so a character outside ASCII must neither hide a word nor make one).
CSS_CASES = [
    ("a{color:red}", False),
    ("a{color:red} /* é */ b{width:expres\\73 ion(alert(1))}", True),
    ("é{x:1} b{width:expres/**/sion(1)}", True),
    ("b{background:url(java\tscript:x)} /* ünïcode */", True),
    ("b{background:url(java\\\nscript:x)}", True),  # an escaped newline is a newline, skipped
    ("\\D800 b{-moz-\\62inding:url(x)}", True),  # an escaped surrogate before the word
    ("/* unclosed expression( é", False),
    ("ſcript; expres sion(", True),
    ("@İmport url(x.css); /* ß */", False),  # İ lowercases to "i" and a combining dot
    ("@IMPORT url(x.css); /* ß */", True),
    ("b{behaviour :url(x.htc)} ✓", True),
    ("b{behavior-x:url(x.htc)} ✓", False),
]


@pytest.mark.parametrize(("css", "runs"), CSS_CASES)
def test_css_that_runs_is_found(css: str, runs: bool) -> None:
    assert _css_runs(css) is runs
    styled = inert_html(f"<html><head><style>{css}</style></head><body><p style='{css}'>x</p></body></html>")
    assert ("<style>" in styled) is not runs and ("style=" in styled) is not runs


def test_a_page_of_many_attribute_names_is_scrubbed_and_the_names_remembered_are_bounded() -> None:
    tags = "".join("<p " + " ".join(f"data-n{k}-{j}='1'" for j in range(250)) + f" on{k}x='evil()'>t{k}</p>"
                   for k in range(40))
    clean = inert_html(f"<html><body>{tags}</body></html>")
    assert "evil()" not in clean and clean.count("data-n39-249") == 1
    assert len(sanitize._NAME_KIND) <= sanitize._NAMES_KEPT


PAGES = {
    "cyrillic and emoji": "<html lang='ru'><head><meta charset='utf-8'><title>Новости — «Жаңалықтар»</title>"
                          "</head><body><p title='Ўзбекистон ✓'>Текст 🎉 \u2028 end &nbsp;&amp;&lt;</p></body></html>",
    "declared windows-1251": "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>"
                             "</head><body><p>Душанбе</p></body></html>",
    "hostile": HOSTILE,
    "svg, entities, JSON-LD with </": "<html><body><svg><title>ж</title><a xlink:href='javascript:x()'>a</a></svg>"
                                      "<script type='application/ld+json'>{\"a\": \"</p> ü\"}</script>"
                                      "<p data-x='&#1046;&#x1F600;'>&copy; 2025</p></body></html>",
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_the_utf8_an_extraction_worker_sends_is_the_stored_text(page: str) -> None:
    """What a worker sends (lxml's UTF-8, not decoded) decodes to the very text the store is given inline."""
    from lxml.html import document_fromstring

    from crawler.htmltree import HtmlParser

    text = sanitize.inert_document(document_fromstring(page, parser=HtmlParser()))
    sent = sanitize.inert_document_utf8(document_fromstring(page, parser=HtmlParser()))
    assert isinstance(sent, bytes) and sent.decode("utf-8") == text and "javascript" not in text


def test_a_stored_page_keeps_what_follows_an_early_html_end_tag() -> None:
    # The sanitizer parses as extraction does: what follows the first "</html>" is read into the body, not dropped.
    html = ("<html><head><title>Жаңалықтар</title></head><body><nav>Басты бет</nav></body></html>"
            "<article><h1>Астанада жаңа мектеп ашылды</h1><script>track()</script></article>")
    stored = inert_html(html)
    assert "<h1>Астанада жаңа мектеп ашылды</h1>" in stored
    assert "track()" not in stored
    assert extract_article(stored, "https://egemen.kz/article/1").title == "Астанада жаңа мектеп ашылды"


def test_a_stored_page_holds_what_follows_an_early_body_end_tag_in_its_body() -> None:
    # libxml2 alone leaves what follows the first "</body>" beside the body; stored as a browser reads it, the
    # article is in the body of the stored page, for any reader of it.
    html = ("<html><head><title>Новости</title></head><body><nav>Главная</nav></body>\n"
            "<article><h1>В Бишкеке открыли новую школу</h1><p>Школа рассчитана на 1200 учеников.</p>"
            "<script>track()</script></article></html>")
    stored = inert_html(html)
    body = document_fromstring(stored).find("body")
    assert body is not None and body.findtext(".//h1") == "В Бишкеке открыли новую школу"
    assert "track()" not in stored
    assert extract_article(stored, "https://24.kg/obschestvo/1/").title == "В Бишкеке открыли новую школу"
