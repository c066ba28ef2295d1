"""Title and author cases of the kind peers' test suites check, on our own small pages."""

from __future__ import annotations

import pytest

from crawler.extract.article import extract_article
from crawler.sites import GENERIC

URL = "https://news.example.kz/2025/03/river-levels-rise/"
STORY = "".join(f"<p>Paragraph {i}: the river rose again overnight and the district council opened two more "
                "shelters for families from the low-lying streets near the bridge.</p>" for i in range(4))


def authors_of(head: str, byline: str) -> list[str]:
    html = (f"<html><head><title>River levels rise in the north</title>{head}</head><body><article>"
            f"<h1>River levels rise in the north</h1>{byline}{STORY}</article></body></html>")
    return extract_article(html, URL, GENERIC).authors


@pytest.mark.parametrize(("head", "byline", "want"), [
    # the outlet's own name credited after the last name, in capitals like a credential ("Jane Doe, MD")
    ('<meta property="og:site_name" content="KNB">',
     '<div class="byline">By <a href="/p/1">Aliya Nurpeisova</a> and <a href="/p/2">Daniyar Seitkali</a>, KNB</div>',
     ["Aliya Nurpeisova", "Daniyar Seitkali"]),
    # a wire agency credited so
    ("", '<div class="byline">By Timur Osmonov, AFP</div>', ["Timur Osmonov"]),
    # a credential stays
    ("", '<div class="byline">By Nodira Karimova, MD</div>', ["Nodira Karimova, MD"]),
])
def test_the_outlet_after_a_bylines_names_is_no_part_of_a_name(head: str, byline: str, want: list[str]) -> None:
    assert authors_of(head, byline) == want


def test_itemprop_author_among_other_properties_is_a_byline() -> None:
    # itemprop holds a list of properties: "name author" names the author as "author" alone does
    byline = '<p class="meta">Text: <span itemprop="name author">Bakyt Asanov</span></p>'
    assert authors_of("", byline) == ["Bakyt Asanov"]


@pytest.mark.parametrize(("content", "want"), [
    ("Gulnara Ibraimova", ["Gulnara Ibraimova"]),
    # markup left in the value by the CMS
    ("By &lt;a href=&quot;/people/gulnara&quot;&gt;Gulnara Ibraimova&lt;/a&gt; and Erlan Abdyldaev",
     ["Gulnara Ibraimova", "Erlan Abdyldaev"]),
])
def test_open_graph_author_meta_names_the_author(content: str, want: list[str]) -> None:
    assert authors_of(f'<meta property="og:author" content="{content}">', "") == want


@pytest.mark.parametrize(("head", "want"), [
    # emoji and symbols decorating a name are no part of it
    ('<meta name="author" content="Aigerim Bekova ✨🌷">', ["Aigerim Bekova"]),
    # a scholarly citation_author, written last name first or as a list
    ('<meta name="citation_author" content="Bekova, Aigerim">', ["Aigerim Bekova"]),
    ('<meta name="citation_author" content="Aigerim Bekova and Timur Osmonov">', ["Aigerim Bekova", "Timur Osmonov"]),
    # "und" joins two names as "and" does
    ('<meta itemprop="author" content="Aigerim Bekova und Timur Osmonov">', ["Aigerim Bekova", "Timur Osmonov"]),
])
def test_declared_authors_in_other_fields_and_shapes(head: str, want: list[str]) -> None:
    assert authors_of(head, "") == want


@pytest.mark.parametrize(("byline", "want"), [
    # bylines in elements named so by id, data attributes, a writer class, Drupal's submitted-by, <author>
    ('<span id="author">Aigerim Bekova</span>', ["Aigerim Bekova"]),
    ('<span id="author-name">Aigerim Bekova</span>', ["Aigerim Bekova"]),
    ('<div data-component="Byline">Aigerim Bekova</div>', ["Aigerim Bekova"]),
    ('<div><strong><a data-testid="AuthorLink" href="/by/a1">Aigerim Bekova</a></strong></div>', ["Aigerim Bekova"]),
    ('<span class="detail__writer">Aigerim Bekova</span>', ["Aigerim Bekova"]),
    ('<div class="submitted-by"><a href="/u/7">Aigerim Bekova</a></div>', ["Aigerim Bekova"]),
    ("<author>Aigerim Bekova</author>", ["Aigerim Bekova"]),
    # a tagline, an outlet after "For"/"from", a handle and a time are no part of the name
    ('<span id="author">Aigerim Bekova – Steppe Notes</span>', ["Aigerim Bekova"]),
    ('<p class="byline">By <a class="author">Aigerim Bekova For Steppe Weekly</a></p>', ["Aigerim Bekova"]),
    ('<a class="author">Aigerim Bekova from Steppe Weekly</a>', ["Aigerim Bekova"]),
    ('<div class="author"><span class="profile__name"> Aigerim Bekova </span> <a href="https://x.example/ab"> @abekova '
     '</a> <span class="profile__time"> 11:57AM </span></div>', ["Aigerim Bekova"]),
    # a name with a quoted nickname (kept as printed), and a name written as a handle of capitalised words
    ('<a href="/p/1" rel="author">Rustam "Rusik" Aliev</a>', ['Rustam "Rusik" Aliev']),
    ('<span id="author">Aigerim_Bekova</span>', ["Aigerim Bekova"]),
    # a photographer's credit in a figure, and an author box in a sidebar, are not the article's byline
    ('<figure><img src="/a.jpg" alt=""><figcaption><span class="author">Aigerim Bekova</span></figcaption></figure>',
     []),
    ('<div class="sidebar"><div class="author">Aigerim Bekova</div></div>', []),
])
def test_bylines_of_other_shapes(byline: str, want: list[str]) -> None:
    assert authors_of("", byline) == want


def title_of(head: str, h1: str) -> str | None:
    html = f"<html><head>{head}</head><body><header>{h1}</header><article>{STORY}</article></body></html>"
    return extract_article(html, URL, GENERIC).title


@pytest.mark.parametrize(("head", "h1", "want"), [
    # the headline and the site's home link set side by side in one <h1>, shown glued
    ('<meta name="twitter:title" content="Bishkek opens three new schools">',
     '<h1><span class="headline">Bishkek opens three new schools</span><a href="/">Kabar Daily</a></h1>',
     "Bishkek opens three new schools"),
    # the headline and, after a line break, its writer
    ("<title>Tashkent metro extends its yellow line (photo: press office) : Metro Herald</title>",
     "<h1><span>Tashkent metro extends its yellow line</span><br><span>Senior editor Rustam Aliev</span></h1>",
     "Tashkent metro extends its yellow line"),
    # a headline whose parts make one line keeps them all
    ('<meta property="og:title" content="Floods: Almaty district evacuates 200 families">',
     "<h1><span>Floods:</span> <span>Almaty district evacuates 200 families</span></h1>",
     "Floods: Almaty district evacuates 200 families"),
])
def test_the_headline_part_of_a_composite_h1(head: str, h1: str, want: str) -> None:
    assert title_of(head, h1) == want


@pytest.mark.parametrize("meta", ['<meta itemprop="headline" content="Dushanbe hosts water summit">',
                                  '<meta name="DC.title" content="Dushanbe hosts water summit">'])
def test_a_microdata_or_dublin_core_headline_is_a_declared_title(meta: str) -> None:
    assert title_of(meta, "") == "Dushanbe hosts water summit"


@pytest.mark.parametrize(("times", "want"), [
    # the update's time printed first, the publication's after it
    ('<time class="post-updated" datetime="2024-04-11T09:00:00+05:00">11.04.2024</time>'
     '<time class="post-date" datetime="2024-04-10T18:30:00+05:00">10.04.2024</time>', "2024-04-10"),
    # an unchanged post's one time, marked both published and updated, is the publication
    ('<time class="entry-date published updated" datetime="2024-04-10T18:30:00+05:00">10.04.2024</time>',
     "2024-04-10"),
])
def test_a_time_marked_as_the_update_is_not_the_publication(times: str, want: str) -> None:
    html = (f"<html><head><title>River levels rise in the north</title></head><body><article>"
            f"<h1>River levels rise in the north</h1><div class='meta'>{times}</div>{STORY}</article></body></html>")
    published = extract_article(html, "https://news.example.kz/river-levels-rise/", GENERIC).published
    assert published is not None and published.date().isoformat() == want


@pytest.mark.parametrize(("body", "want"), [
    # a page that declares no title: its first <h1>, even of one word
    ("<h1>Ceasefire</h1><h1>Markets</h1>", "Ceasefire"),
    # an empty <h1>, the headline marked by class or microdata instead
    ('<h1> </h1><div class="post-title">Dushanbe hosts water summit</div>', "Dushanbe hosts water summit"),
    ('<h1></h1><span itemprop="headline">Dushanbe hosts water summit</span>', "Dushanbe hosts water summit"),
    # no <h1> at all: its first <h2>
    ("<h2>Dushanbe hosts water summit</h2><h2>Related stories</h2>", "Dushanbe hosts water summit"),
])
def test_the_headline_of_a_page_that_declares_no_title(body: str, want: str) -> None:
    assert title_of("", body) == want


@pytest.mark.parametrize(("declared", "want"), [
    # "Headline » Site" with the site named nowhere else: the name after the arrow is no part of the headline
    ("Dushanbe hosts water summit » Pamir Notes", "Dushanbe hosts water summit"),
    ("Water talks › Steppe Blog", "Water talks"),
    # the arrow before a longer headline is a breadcrumb's; «» quotes in a headline are no separator
    ("Pamir Notes » Dushanbe hosts the water summit", "Pamir Notes » Dushanbe hosts the water summit"),
    ("«Кайрат» обыграл «Астану» в Алматы", "«Кайрат» обыграл «Астану» в Алматы"),
    # a dash is a headline's own punctuation: what follows it stays unless the page names its site so
    ("Токаев: «Реформы продолжатся» — Ак Орда", "Токаев: «Реформы продолжатся» — Ак Орда"),
])
def test_a_site_name_after_an_arrow_is_no_part_of_the_title(declared: str, want: str) -> None:
    assert title_of(f"<title>{declared}</title>", "") == want


def test_a_one_word_h1_does_not_overrule_a_declared_title() -> None:
    # "News" set in an <h1> is a section's banner; the page's declared title is its headline
    assert title_of("<title>Dushanbe hosts water summit</title>", "<h1>News</h1>") == "Dushanbe hosts water summit"
