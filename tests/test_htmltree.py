"""How much of a page's markup is there to read: a page cut short in transfer (:func:`is_truncated`), and one
that extraction reads only in part because it holds ``MAX_TAGS`` "<" or more (:func:`is_cut`), and one that
closes its document early (:func:`parser_markup` reads on past an early ``</html>`` or ``</body>``)."""

from __future__ import annotations

import pytest

from crawler.htmltree import MAX_TAGS, html_selector, is_cut, is_truncated, parser_markup

PAGE = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Text</p>"


@pytest.mark.parametrize(("body", "truncated"), [
    (PAGE + b"</body></html>", False),
    (PAGE + b"</BODY>\n", False),  # </html> is optional
    (PAGE + b"</body></html>\n<!-- served in 12 ms -->\n", False),
    (PAGE, True),
    (PAGE[:40], True),
    (b"", True),
])
def test_a_page_is_truncated_when_no_closing_body_or_html_ends_it(body: bytes, truncated: bool) -> None:
    assert is_truncated(body) is truncated


@pytest.mark.parametrize(("body", "cut"), [
    (PAGE + b"</body></html>", False),
    (PAGE, False),  # a minified page without its optional end tags is read whole
    (b"<p>" + b"<br>" * (MAX_TAGS - 2), False),  # one "<" short
    (b"<p>" + b"<br>" * (MAX_TAGS - 1), True),
    (b"<script>" + b"if (a<b) a++;" * MAX_TAGS + b"</script>", True),  # any "<" counts, in a script's text too
])
def test_a_page_is_cut_from_its_max_tags_th_less_than_sign(body: bytes, cut: bool) -> None:
    assert is_cut(body) is cut


@pytest.mark.parametrize(("html", "headline"), [
    # A template closes the document before the article (libxml2 alone stops reading at "</html>").
    ("<html><head><title>Жаңалықтар</title></head><body><nav>Басты бет</nav></body></html>\n"
     "<article><h1>Астанада жаңа мектеп ашылды</h1><p>Мектеп 1200 оқушыға арналған.</p></article></body></html>",
     "Астанада жаңа мектеп ашылды"),
    # A second document pasted after the first, its "</html>" in any case and with a space.
    ("<html><body><p>Реклама</p></body></HTML >"
     "<html><body><h1>Парламент принял бюджет на 2026 год</h1><p>Депутаты одобрили документ.</p></body></html>",
     "Парламент принял бюджет на 2026 год"),
])
def test_markup_after_an_early_html_end_tag_is_read_into_the_body(html: str, headline: str) -> None:
    body = html_selector(html).root.find("body")
    assert body is not None
    assert body.findtext(".//h1") == headline
    assert body.xpath("string(.//p[last()])")  # the paragraph after the headline is read too


@pytest.mark.parametrize(("html", "headline"), [
    # A template closes the body before the article; libxml2 alone puts what follows beside the body.
    ("<html><head><title>Новости</title></head><body><nav>Главная</nav></div></body>\n"
     "<article><h1>В Бишкеке открыли новую школу</h1><p>Школа рассчитана на 1200 учеников.</p></article>\n"
     "<script>track()</script></html>",
     "В Бишкеке открыли новую школу"),
    # No "</html>" at all, the "</body>" in capitals and with a space; a script and a comment before the article.
    ("<html><body><p>Жарнама</p></BODY >\n<script>track()</script><!-- article -->"
     "<h1>Парламент 2026 жылғы бюджетті қабылдады</h1><p>Депутаттар құжатты мақұлдады.</p>",
     "Парламент 2026 жылғы бюджетті қабылдады"),
    # Only text follows it, no element.
    ("<html><body><h1>Алматыда жаңбыр жауады</h1></body>\n<p>Синоптиктер ескертті.</p></html>",
     "Алматыда жаңбыр жауады"),
])
def test_text_after_an_early_body_end_tag_is_read_into_the_body(html: str, headline: str) -> None:
    root = html_selector(html).root
    body = root.find("body")
    assert body is not None
    assert [child.tag for child in root] in (["head", "body"], ["body"])  # nothing is left beside the body
    assert body.xpath("string(.//h1)") == headline
    assert body.xpath("string(.//p[last()])")  # the paragraph after the headline is read too


@pytest.mark.parametrize("html", [
    PAGE.decode() + "</body></html>\n<!-- served in 12 ms -->\n",  # only a comment after it
    PAGE.decode() + '<script>document.write("</html><p>x</p>")</script></body></html>',  # in a script's text
    PAGE.decode() + "<!-- </html><p>x</p> --></body></html>",  # in a comment
    PAGE.decode() + '<script>document.write("</body><p>x</p>")</script><p>Мәтін</p></body></html>',  # "</body" too
    PAGE.decode() + "<!-- </body><p>x</p> --><p>Мәтін</p></body>\n</html>",
    PAGE.decode() + '<textarea></body><p>x</p></textarea></body></html>',  # in a textarea's text
    PAGE.decode() + "</body></div></section>\n</html>",  # stray end tags after it: a browser ignores them too
])
def test_a_page_whose_html_end_tag_ends_it_is_given_to_the_parser_as_it_is(html: str) -> None:
    assert parser_markup(html) == html


@pytest.mark.parametrize("html", [
    PAGE.decode() + "</body><script>ga('send', 'pageview')</script></html>",
    PAGE.decode() + '</body>\n<script src="/chat.js" async></script>\n<!-- cached -->\n'
                    '<SCRIPT type="application/ld+json">{"headline": "</p><p>x"}</SCRIPT>\n</html>\n',
    PAGE.decode() + "</body>\n<script>var a = '<div>x</div>';</script>",  # no "</html>"
])
def test_a_page_with_only_scripts_after_its_body_end_tag_is_given_to_the_parser_as_it_is(html: str) -> None:
    # Scripts after "</body>" are common and hold nothing a reader of the body looks for: the page is parsed as it
    # always was, the scripts beside the body, where JSON-LD is still found.
    assert parser_markup(html) == html
