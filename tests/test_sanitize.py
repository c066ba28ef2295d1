"""Stored HTML is inert but still extractable."""

from crawler.extract.article import extract_article
from crawler.sanitize import inert_html

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
