"""Headline and author rules of the generic path, on small pages shaped like real ones."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.extraction import author_misses
from crawler.bench.scoring import Matches, author_names
from crawler.extract.article import extract_article
from crawler.extract.authors import names_in
from crawler.extract.titles import strip_title
from crawler.sites import GENERIC


def page(head: str = "", body: str = "", jsonld: dict | None = None) -> str:
    script = f'<script type="application/ld+json">{json.dumps(jsonld)}</script>' if jsonld else ""
    text = "<p>" + "Жители города обсуждали новый бюджет на встрече с депутатами. " * 8 + "</p>"
    return f"<html><head>{head}{script}</head><body>{body}<article>{text}</article></body></html>"


def extract(html: str, url: str = "https://news.example.com/2025/12/story/") -> tuple[str | None, list[str], dict]:
    record = extract_article(html, url, GENERIC)
    return record.title, record.authors, record.sources


TITLES = [
    # A site-name suffix on og:title, the site named by og:site_name.
    ('<meta property="og:title" content="Rogun dam fills its second unit - Daily Monitor News">'
     '<meta property="og:site_name" content="Daily Monitor News">', "<h1>Rogun dam fills its second unit</h1>",
     None, "Rogun dam fills its second unit"),
    # A site-name prefix on <title> and no <h1>: the name comes from the host.
    ("<title>Example — Parliament passes the budget</title>", "", None, "Parliament passes the budget"),
    # The logo is an <h1> too; the headline is the <h1> a declared title agrees with.
    ('<meta property="og:title" content="Floods close the Pamir highway | Monitor">',
     '<header><h1 class="logo">Monitor</h1></header><h1>Floods close the Pamir highway</h1>', None,
     "Floods close the Pamir highway"),
    # JSON-LD written with HTML entities; the page shows the characters.
    ("", "<h1>M&amp;A roundup: 45 deals in October</h1>", {"@type": "NewsArticle",
                                                          "headline": "M&#038;A roundup: 45 deals in October"},
     "M&A roundup: 45 deals in October"),
    # A "| Photo" label added by the CMS to a declared title, no <h1>.
    ('<meta property="og:title" content="Snow in Dushanbe | Photo">', "", None, "Snow in Dushanbe"),
    # A "(video)" tail on og:title that the shown headline does not have.
    ('<meta property="og:title" content="Avalanche blocks the highway (video)">',
     "<h1>Avalanche blocks the highway</h1>", None, "Avalanche blocks the highway"),
    # ... and kept when the page shows it in its headline.
    ('<meta property="og:title" content="Avalanche blocks the highway (video)">',
     "<h1>Avalanche blocks the highway (video)</h1>", None, "Avalanche blocks the highway (video)"),
    # The <h1> swallowed the post's date line.
    ('<meta property="og:title" content="Preparing a transition in Debian">',
     "<h1><span>Dec 18 2025</span> Preparing a transition in Debian</h1>", None, "Preparing a transition in Debian"),
    # The <h1> as shown: a <br> is a space, not nothing.
    ("", "<h1>Top programs of 2025<br>Your guide to business schools</h1>", None,
     "Top programs of 2025 Your guide to business schools"),
    # The visible headline wins over a different SEO title about the same thing.
    ('<meta property="og:title" content="Fitness trends 2025: 9 things to watch">',
     "<h1>Nine fitness trends to keep an eye on</h1>", None, "Nine fitness trends to keep an eye on"),
    # ... and over one in Russian, whose words change their endings ("Бишкека", "Бишкеке").
    ('<meta property="og:title" content="В Бишкеке запустили новые автобусы - Вечерний Бишкек">',
     "<h1>Новые электробусы Бишкека вышли на линию</h1>", None, "Новые электробусы Бишкека вышли на линию"),
]

# An <h1> about something else than the page gives way to the headline two declared titles agree on and the page
# shows elsewhere (an <h2>, the lead).
OFF_TOPIC = [
    # A section's banner <h1> (Russian, " - Site").
    ('<meta property="og:title" content="Нацбанк снизил базовую ставку до 14 процентов - Zakon.kz">'
     "<title>Нацбанк снизил базовую ставку до 14 процентов - Zakon.kz</title>",
     "<div class=banner><h1>Экономика Казахстана</h1></div><h2>Нацбанк снизил базовую ставку до 14 процентов</h2>",
     "https://www.zakon.kz/finansy/6051234-natsbank.html", "Нацбанк снизил базовую ставку до 14 процентов"),
    # A widget's heading (Kazakh, " | Site").
    ('<title>Астанада жаңа мектеп ашылды | Egemen Qazaqstan</title>'
     '<meta property="og:title" content="Астанада жаңа мектеп ашылды">',
     "<h1>Бізбен байланысыңыз</h1><h2>Астанада жаңа мектеп ашылды</h2>",
     "https://egemen.kz/article/371234-astanada-zhana-mektep", "Астанада жаңа мектеп ашылды"),
    # The footer's "Contact us" (Uzbek, "Site :: ").
    ('<title>Kun.uz :: Toshkentda yangi metro bekati ochildi</title>'
     '<meta name="twitter:title" content="Toshkentda yangi metro bekati ochildi">',
     "<p class=lead>Toshkentda yangi metro bekati ochildi</p><div class=foot><h1>Biz bilan bog'laning</h1></div>",
     "https://kun.uz/news/2025/12/18/toshkent-metro", "Toshkentda yangi metro bekati ochildi"),
    # A paragraph set in headline type (English): more words than any headline.
    ('<meta property="og:title" content="The 10 best home improvement projects of 2025 | Houzz">',
     "<h1>" + "Learn which home renovations pay back the most and how to plan them. " * 3 + "</h1>",
     "https://www.houzz.com/magazine/home-improvement-roi", "The 10 best home improvement projects of 2025"),
]


@pytest.mark.parametrize(("head", "body", "url", "want"), OFF_TOPIC)
def test_an_h1_about_something_else_gives_way_to_the_declared_headline(head: str, body: str, url: str,
                                                                        want: str) -> None:
    assert extract(page(head, body), url)[0] == want


# The article's headline set in another element than <h1>, marked by a CMS's class or microdata.
MARKED = [
    # A widget's <h1> ("A message from ...") before the headline in a classed <h3>, which says more than the
    # declared titles (Russian, " - Site"): the headline as the page shows it.
    ('<meta property="og:title" content="Нацбанк снизил ставку - Zakon.kz">'
     "<title>Нацбанк снизил ставку - Zakon.kz</title>",
     "<aside><h1>Сообщение от главного редактора сайта:</h1></aside>"
     '<h3 class="sa-post-title">Нацбанк снизил базовую ставку до 14 процентов</h3>',
     "https://www.zakon.kz/finansy/6051234-natsbank.html", "Нацбанк снизил базовую ставку до 14 процентов"),
    # A teaser's link classed as a post title, on a page with no <h1>: a link is never the page's headline.
    ('<meta property="og:title" content="Toshkentda yangi metro bekati ochildi">',
     '<div class=related><a class="post-title" href="/news/other">Samarqandda yangi aeroport terminali</a></div>',
     "https://kun.uz/news/2025/12/18/toshkent-metro", "Toshkentda yangi metro bekati ochildi"),
    # A label element glued to the headline ("<span>Title:</span>Headline", as arXiv prints it): the declared title.
    ('<meta property="og:title" content="AlignMerge - Merging Language Models Without Losing Alignment">',
     '<h1 class="title"><span class="descriptor">Title:</span>AlignMerge - Merging Language Models Without '
     "Losing Alignment</h1>", "https://arxiv.org/abs/2512.16245",
     "AlignMerge - Merging Language Models Without Losing Alignment"),
]


@pytest.mark.parametrize(("head", "body", "url", "want"), MARKED)
def test_a_headline_marked_by_class_or_a_label(head: str, body: str, url: str, want: str) -> None:
    assert extract(page(head, body), url)[0] == want


SHOWN_FORMS = [
    # A headline set in capitals takes the case of the declared title that says the same (Russian).
    ('<meta property="og:title" content="Курс тенге укрепился к доллару | Tengrinews.kz">',
     "<h1>КУРС ТЕНГЕ УКРЕПИЛСЯ К ДОЛЛАРУ</h1>", "https://tengrinews.kz/money/kurs-tenge-123/",
     "Курс тенге укрепился к доллару"),
    # ... also in English, from <title> ("Headline | Site").
    ("<title>Weekend coding agent | TheFocus.AI Labs</title>", "<h1>WEEKEND CODING AGENT</h1>",
     "https://thefocus.ai/posts/weekend-coding-agent/", "Weekend coding agent"),
    # A page whose UTF-8 was read as Latin-1 before it was served: "â\x80\x99" is "’".
    ("", "<h1>A DIY Investor\u00e2\u0080\u0099s Guide to Retirement Calculators</h1>",
     "https://www.example.com/retirement", "A DIY Investor’s Guide to Retirement Calculators"),
    # ... in Russian: "Ð\x9d" and the like are Cyrillic letters read as Latin-1.
    ("", "<h1>" + "Новый мост через Иртыш".encode().decode("latin-1") + "</h1>",
     "https://www.example.kz/news/most", "Новый мост через Иртыш"),
    # Of two <h1>, the one the declared title starts with (Russian; "(хроника дня)" is no label we know).
    ("<title>Паводок в Семее отступил (хроника дня)</title>",
     "<h1>Главные события недели</h1><h1>Паводок в Семее отступил</h1>", "https://www.example.kz/news/semey",
     "Паводок в Семее отступил"),
    # A bar in the visible headline: the page printed its SEO title; the headline is before the bar (Tajik).
    ('<meta property="og:title" content="Дар Душанбе пули нав сохта шуд | Рӯйхати пурра | Asia-Plus">',
     "<h1>Дар Душанбе пули нав сохта шуд | Рӯйхати пурра</h1>", "https://asiaplustj.info/tj/news/123",
     "Дар Душанбе пули нав сохта шуд"),
]


@pytest.mark.parametrize(("head", "body", "url", "want"), SHOWN_FORMS)
def test_the_shown_headline_in_its_written_form(head: str, body: str, url: str, want: str) -> None:
    assert extract(page(head, body), url)[0] == want


def test_a_site_wide_or_stale_declared_title_never_overrules_the_shown_headline() -> None:
    # og:title and <title> both the site's slogan, shown nowhere else: the <h1> stays.
    slogan = "Kun.uz - O'zbekiston va jahon yangiliklari"
    html = page(f'<meta property="og:title" content="{slogan}"><title>{slogan}</title>',
                "<h1>Toshkentda yangi metro bekati ochildi</h1>")
    assert extract(html, "https://kun.uz/news/2025/12/18/toshkent-metro")[0] == "Toshkentda yangi metro bekati ochildi"


def test_a_headline_with_a_bar_of_its_own_stays_whole_when_the_part_before_is_no_headline() -> None:
    html = page("", "<h1>2025 | The year in pictures from Central Asia</h1>")
    assert extract(html)[0] == "2025 | The year in pictures from Central Asia"


@pytest.mark.parametrize(("head", "body", "jsonld", "want"), TITLES)
def test_title_is_the_headline_as_shown(head: str, body: str, jsonld: dict | None, want: str) -> None:
    assert extract(page(head, body, jsonld))[0] == want


def test_the_site_name_is_known_from_the_host() -> None:
    html = page("<title>Top 5 HR management tools in 2026 | DianaHR</title>")
    assert extract(html, "https://www.getdianahr.com/blog/hr-tools")[0] == "Top 5 HR management tools in 2026"


def test_title_provenance_names_the_most_trusted_source_that_says_it() -> None:
    html = page('<meta property="og:title" content="Water talks resume | Site">', "<h1>Water talks resume</h1>",
                {"@type": "NewsArticle", "headline": "Water talks resume"})
    assert extract(html)[2]["title"] == "jsonld"
    html = page('<meta property="og:title" content="Old SEO title">', "<h1>Water talks resume</h1>")
    assert extract(html)[2]["title"] == "generic"


def test_strip_title_keeps_a_hyphenated_headline_whole() -> None:
    assert strip_title("Long-Distance & Cross-Country Movers 2026 - Moveit", {"moveit"}) == \
        "Long-Distance & Cross-Country Movers 2026"


BYLINES = [
    ("By John Smith and Jane Doe", ["John Smith", "Jane Doe"]),
    ("Sara Brown, Staff Writer | Dec 3, 2025", ["Sara Brown"]),
    # Credentials stay with the name they follow.
    ("By Jane Doe, MD · 5 min read", ["Jane Doe, MD"]),
    ("Ellen Lindell, DVM, PhD & Gary Landsberg, DVM", ["Ellen Lindell, DVM, PhD", "Gary Landsberg, DVM"]),
    ("Автор: Анна Каримова и Бахтиёр Рахимов", ["Анна Каримова", "Бахтиёр Рахимов"]),
    ("Автор материала: Ирина Петрова", ["Ирина Петрова"]),
    ("Авторы: Азамат Токтогулов, Айгуль Сыдыкова", ["Азамат Токтогулов", "Айгуль Сыдыкова"]),
    ("Муаллиф: Дилшод Саидов", ["Дилшод Саидов"]),
    ("Muallif: Alisher Karimov va Nodira Yusupova", ["Alisher Karimov", "Nodira Yusupova"]),
    ("Наш корреспондент", []),
    ("Photo: Reuters", []),
    ("By\nMaria Lopez\nUpdated January 5, 2026", ["Maria Lopez"]),
    ("john.doe@example.com", []),
    ("ByDaryl Austin", ["Daryl Austin"]),  # "By" and the name in adjacent elements
    ("page.head.extra.author", []),  # a template placeholder
    ("Genevieve Carlton, Ph.D.", ["Genevieve Carlton, Ph.D."]),
]


@pytest.mark.parametrize(("byline", "want"), BYLINES)
def test_names_in_a_byline(byline: str, want: list[str]) -> None:
    assert names_in(byline, strict=True) == want


def test_an_organisation_author_gives_way_to_the_byline() -> None:
    html = page(body='<div class="byline">By <a rel="author" href="/author/k">Kamila Usmonova</a></div>',
                jsonld={"@type": "NewsArticle", "headline": "X",
                        "author": {"@type": "Organization", "name": "Example Media"}})
    _, authors, sources = extract(html)
    assert authors == ["Kamila Usmonova"] and sources["authors"] == "generic"


def test_jsonld_people_in_order_each_once() -> None:
    html = page(jsonld={"@type": "NewsArticle", "headline": "X", "author": [
        {"@type": "Person", "name": "Anna Karimova"}, {"@type": "Person", "name": "Timur Aliev"},
        {"@type": "Person", "name": "Anna Karimova"}]})
    assert extract(html)[1] == ["Anna Karimova", "Timur Aliev"]


def test_meta_authors_skip_urls_and_the_site_name() -> None:
    html = page('<meta property="article:author" content="https://facebook.com/examplenews">'
                '<meta property="og:site_name" content="Example News">'
                '<meta name="author" content="Example News">'
                '<meta name="parsely-author" content="Rustam Nazarov">')
    _, authors, sources = extract(html)
    assert authors == ["Rustam Nazarov"] and sources["authors"] == "meta"


def test_labelled_meta_names_the_writer() -> None:
    html = page('<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Albert Swann">')
    assert extract(html)[1] == ["Albert Swann"]


def test_a_by_line_without_byline_markup() -> None:
    html = page(body='<h1>Headline here</h1><p class="meta"><span>Apr 17, 2025</span></p>'
                     '<p class="text-faded">By Jerry Chu</p>')
    assert extract(html)[1] == ["Jerry Chu"]


def test_a_sentence_starting_with_by_and_comment_authors_are_not_bylines() -> None:
    html = page(body='<p>By using this site you agree to the Privacy Policy of Example Group.</p>'
                     '<div id="comments"><span class="comment-author">Random Reader</span></div>')
    assert extract(html)[1] == []


def test_benchmark_compares_authors_name_by_name() -> None:
    assert author_names("Danielle DeSiato, Donna Enzmann, and Natalie Nguyen") == \
        ["Danielle DeSiato", "Donna Enzmann", "Natalie Nguyen"]
    matches = Matches()
    matches.add("Maria, Katerina", "Maria & Katerina", names=True)
    matches.add("Headline", "Headline | Site")
    assert matches.exact == 1 and matches.pages == 2 and 0 < matches.f1 < 1


@pytest.mark.parametrize(("host", "head", "jsonld", "want"), [
    # A personal site goes by its author's name, and its address carries it: the name declared as the
    # author is still a person.
    ("sam.bossley.com", '<meta property="og:site_name" content="Sam Bossley">'
     '<meta name="author" content="Sam Bossley">', None, ["Sam Bossley"]),
    ("www.ricksteves.com", '<meta property="og:site_name" content="Rick Steves">',
     {"@type": "NewsArticle", "author": "Rick Steves"}, ["Rick Steves"]),
    ("www.kristian-larsen.com", '<meta property="og:site_name" content="Kristian Larsen">',
     {"@type": "Article", "author": {"@type": "Person", "name": "Kristian Larsen"},
      "publisher": {"@type": "Organization", "name": "Kristian Larsen"}}, ["Kristian Larsen"]),
    # The owner's handle, where the site spells its name as the handle's words ...
    ("shawnhymel.com", '<meta property="og:site_name" content="Shawn Hymel"><meta name="author" content="ShawnHymel">',
     None, ["ShawnHymel"]),
    # ... but not a brand that writes its own name glued.
    ("cottagecare.com", '<meta property="og:site_name" content="CottageCare">'
     '<meta name="author" content="CottageCare">', None, []),
    ("kaktus.media", '<meta property="og:site_name" content="KaktusMedia"><meta name="author" content="KaktusMedia">',
     None, []),
    # A publication's name is not a person's, declared as the author or not.
    ("rus.azattyk.org", '<meta property="og:site_name" content="Radio Azattyk"><meta name="author" '
     'content="Radio Azattyk">', None, []),
    ("tengrinews.kz", '<meta property="og:site_name" content="Tengrinews"><meta name="author" content="Tengrinews">',
     None, []),
    ("www.hronikatm.com", '<meta property="og:site_name" content="Türkmenistanyň Hronikasy">'
     '<meta name="author" content="Türkmenistanyň Hronikasy">', None, []),
])
def test_a_personal_sites_author_is_kept(host: str, head: str, jsonld: dict | None, want: list[str]) -> None:
    assert extract(page(head, jsonld=jsonld), f"https://{host}/2025/12/story/")[1] == want


@pytest.mark.parametrize(("byline", "want"), [
    # Names in list items, each inside a link: lines of their own (the first is read), never one glued
    # "Emily WalkerCasey McDevitt".
    ('<span class="byline">Written by: <ul><li><a href="/a/e">Emily Walker</a></li>'
     '<li><a href="/a/c">Casey McDevitt</a></li></ul></span>', ["Emily Walker"]),
    # React's empty comments between the words of a byline.
    ('<p class="byline">by: <!-- -->Ziyi Xu<!-- -->,<!-- --> <!-- -->Dec 17, 2025<!-- --></p>', ["Ziyi Xu"]),
    # The date in a block of its own right after the name.
    ('<div class="author-intro"><a href="/authors/c"><div>Cazzy Magennis</div></a><div>Last updated 3 days ago</div>'
     '</div>', ["Cazzy Magennis"]),
])
def test_byline_markup_separates_names(byline: str, want: list[str]) -> None:
    assert extract(page(body=byline))[1] == want


def test_title_misses_lists_each_missed_page_with_its_kind_and_candidates(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from crawler.bench.extraction import main

    folder = tmp_path / "set"
    (folder / "html").mkdir(parents=True)
    pages = {
        "1": ("<title>Water talks resume | Site</title>", "<h1>Water talks resume</h1>", "Water talks resume"),
        "2": ("<title>Snow closes the pass | Site</title>", "<h1>SNOW CLOSES THE PASS TODAY</h1>",
              "Snow closes the pass"),
    }
    truth = {}
    for page_id, (head, body, title) in pages.items():
        (folder / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(page(head, body).encode()))
        truth[page_id] = {"url": f"https://news.example.com/{page_id}", "articleBody": "", "title": title}
    (folder / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    assert main(["--data", str(tmp_path), "--sets", "set", "--title-misses"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1  # page 1 is right
    fields = lines[0].split("\t")
    assert fields[:6] == ["set", "2", "extra", "'Snow closes the pass'", "'SNOW CLOSES THE PASS TODAY'", "generic"]
    assert "h1=['SNOW CLOSES THE PASS TODAY']" in fields[6] and "title=['Snow closes the pass | Site']" in fields[6]
@pytest.mark.parametrize(("byline", "want"), [
    # A team or desk the page credits by name is its stated author ...
    ("By the Lavazza Team", ["the Lavazza Team"]),
    ("Podium Staff", ["Podium Staff"]),
    ("By TOI Lifestyle Desk | Dec 3, 2025", ["TOI Lifestyle Desk"]),
    ("Thomas Broderick, Nalea Ko, and ACO Rankings Team", ["Thomas Broderick", "Nalea Ko", "ACO Rankings Team"]),
    ("Автор: Команда Kapital.kz", ["Команда Kapital.kz"]),
    ("Muallif: Daryo tahririyati", ["Daryo tahririyati"]),
    ("Муаллиф: Таҳририяи Азия-Плюс", ["Таҳририяи Азия-Плюс"]),
    ("Авторы: Кайрат Ахметов и редакция Vlast.kz", ["Кайрат Ахметов", "редакция Vlast.kz"]),
    # ... but a person's job, a bare label or a photo credit is not.
    ("Sara Brown, Staff Writer", ["Sara Brown"]),
    ("Staff Writer", []),
    ("Staff", []),
    ("Our Editors", []),
    ("Photo Desk", []),
    ("Наш корреспондент", []),
])
def test_a_named_team_or_desk_is_an_author(byline: str, want: list[str]) -> None:
    assert names_in(byline, strict=True) == want


@pytest.mark.parametrize(("byline", "element", "want"), [
    # One word after a prefix that says who wrote the text is a first name or a handle ...
    ("Posted by David at December 16, 2025 11:15 AM", False, ["David"]),
    ("Posted By: Kiersten", False, ["Kiersten"]),
    ("Автор: Дильназ", False, ["Дильназ"]),
    ("Muallif: Shohruh", False, ["Shohruh"]),
    ("Муаллиф: Фаридун", False, ["Фаридун"]),
    ("Posted\nby\nBeauHD\non Friday December 19, 2025 @08:00PM", True, ["BeauHD"]),
    ("by ibby", True, ["ibby"]),  # a plain "by" in a byline element
    # ... not a menu, a heading or a word of a longer phrase.
    ("By Industry", False, []),
    ("Author Spotlight", True, []),
    ("Written by Adrien Ramirez, 4+ years covering computer hardware, software, and science", False,
     ["Adrien Ramirez"]),
    # A reviewer is not the author (tests/test_authors.py reads the other roles).
    ("Reviewed by Jane Roe, Trial Attorney at Morgan & Morgan, on December 9, 2024.", False, []),
])
def test_one_word_after_an_authorship_prefix_is_a_name(byline: str, element: bool, want: list[str]) -> None:
    assert names_in(byline, strict=True, element=element) == want


def test_a_posted_by_line_names_its_author_past_a_by_menu() -> None:
    html = page(body='<nav><a href="/i">By Industry</a><a href="/r">By Role</a></nav>'
                     '<div class="post-meta">Posted by Kiersten on March 3, 2025</div>')
    assert extract(html)[1] == ["Kiersten"]


def test_a_named_team_in_author_meta_is_kept_and_the_site_name_is_not() -> None:
    html = page('<meta property="og:site_name" content="Podium"><meta name="author" content="Podium Staff">')
    assert extract(html)[1] == ["Podium Staff"]
    html = page('<meta property="og:site_name" content="Podium"><meta name="author" content="Podium">')
    assert extract(html)[1] == []


def test_a_site_name_listed_beside_the_jsonld_authors_is_dropped() -> None:
    html = page('<meta property="og:site_name" content="Memphis Commercial Appeal">',
                jsonld={"@type": "NewsArticle", "headline": "X",
                        "author": {"@type": "Person",
                                   "name": "Manoj Jain and Jagpreet Chhatwal, The Commercial Appeal"},
                        "publisher": {"@type": "Organization", "name": "The Commercial Appeal"}})
    assert extract(html, "https://www.commercialappeal.com/story/opinion/2025/12/19/x/")[1] == \
        ["Manoj Jain", "Jagpreet Chhatwal"]


@pytest.mark.parametrize(("declared", "byline", "want"), [
    # JSON-LD names the first author only; the byline shows all of them, with their titles.
    ("Marna van der Merwe",
     '<div class="byline">Written by Dr Marna van der Merwe, Dr Dieter Veldsman, Erik van Vulpen</div>',
     ["Dr Marna van der Merwe", "Dr Dieter Veldsman", "Erik van Vulpen"]),
    ("Анна Каримова", '<div class="byline">Авторы: Анна Каримова и Тимур Алиев</div>',
     ["Анна Каримова", "Тимур Алиев"]),
    # A byline naming someone else (a teaser's) does not replace the declared author the page shows.
    ("Anna Karimova",
     '<p class="credit">Anna Karimova</p><div class="byline">By Timur Aliev and Dilnoza Yusupova</div>',
     ["Anna Karimova"]),
])
def test_a_byline_that_extends_the_declared_authors_wins(declared: str, byline: str, want: list[str]) -> None:
    html = page(body=byline, jsonld={"@type": "NewsArticle", "headline": "X",
                                     "author": {"@type": "Person", "name": declared}})
    assert extract(html)[1] == want


@pytest.mark.parametrize(("byline", "want"), [
    # The date printed before the names, then a bullet or a bar.
    ("Dec. 19, 2025 · Niko Matsakis\non behalf of Vision Doc group", ["Niko Matsakis"]),
    ("19 декабря 2025 | Автор: Анна Каримова", ["Анна Каримова"]),
    ("2025-12-17 • Dilnoza Yusupova", ["Dilnoza Yusupova"]),
    ("19 желтоқсан 2025 | Автор: Айгерім Сейітқызы", ["Айгерім Сейітқызы"]),
    # A credential ending the sentence keeps its name.
    ("By Shelby Loos, DVM. Reviewed by Molly Price", ["Shelby Loos, DVM"]),
    # "Contributors:" labels the writers.
    ("Contributors: Janet Loughrey", ["Janet Loughrey"]),
    # The job printed after the name with no comma, in any language; a job alone is still nobody.
    ("Emma Ryan Writer", ["Emma Ryan"]),
    ("Анна Каримова корреспондент", ["Анна Каримова"]),
    ("Oliver Simpson Senior Research Executive", []),
    ("Podium Staff Writer", []),
    ("Paul Frew, Home and Digital Security Expert", ["Paul Frew"]),
])
def test_dates_jobs_and_labels_around_names(byline: str, want: list[str]) -> None:
    assert names_in(byline, strict=True) == want


def test_an_authors_page_link_names_the_author() -> None:
    html = page(body='<div class="meta"><a href="https://example.com/blog/authors/emmanuel-oyibo" '
                     'aria-label="Emmanuel Oyibo"><span>Emmanuel Oyibo</span></a></div>')
    assert extract(html)[1] == ["Emmanuel Oyibo"]


@pytest.mark.parametrize(("byline", "element", "want"), [
    # A desk alone after "Posted by"/"Автор:", or after "By" in a byline element, is the stated author ...
    ("Автор: Редакция", False, ["Редакция"]),
    ("Posted by: Staff", False, ["Staff"]),
    ("By News Desk", True, ["News Desk"]),
    # ... not after a "By" that may start anything, nor beside a person's name.
    ("By Staff", False, []),
    ("By Anna Karimova, Staff", True, ["Anna Karimova"]),
    # "written by" inside a sentence introduces the name.
    ("This post was written by Danielle Padula,\nHead of Marketing and Community Development", False,
     ["Danielle Padula"]),
])
def test_a_desk_named_as_the_author(byline: str, element: bool, want: list[str]) -> None:
    assert names_in(byline, strict=True, element=element) == want


@pytest.mark.parametrize(("meta", "want"), [
    ("Staff", ["Staff"]),
    ("Редакция", ["Редакция"]),
    ("Tahririyat", ["Tahririyat"]),
    ("Anna Karimova, Staff", ["Anna Karimova"]),
])
def test_a_desk_alone_in_the_author_field_is_the_author(meta: str, want: list[str]) -> None:
    assert extract(page(f'<meta name="author" content="{meta}">'))[1] == want


def test_author_misses_lists_each_wrong_page_with_its_kind_and_source(tmp_path: Path) -> None:
    folder = tmp_path / "set" / "html"
    folder.mkdir(parents=True)
    pages = {"1": ('<meta name="author" content="Anna Karimova">', "Anna Karimova"),
             "2": ('<meta name="author" content="Timur Aliev">', "Dilnoza Yusupova"),
             "3": ("", "Rustam Nazarov")}
    for page_id, (head, _) in pages.items():
        (folder / f"{page_id}.html.gz").write_bytes(gzip.compress(page(head).encode()))
    truth = {page_id: {"url": "https://news.example.com/a/", "articleBody": "x", "author": author}
             for page_id, (_, author) in pages.items()}
    (tmp_path / "set" / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    assert [line.split("\t") for line in author_misses(tmp_path, ["set"], None)] == [
        ["set", "2", "other", "Dilnoza Yusupova", "Timur Aliev", "meta"],
        ["set", "3", "none", "Rustam Nazarov", "-", "-"]]


def test_no_byline_search_when_the_page_never_shows_the_declared_name(byline_searches: list[tuple[Any, ...]]) -> None:
    """A byline that extends the declared names shows them: a page that does not (authors only in JSON-LD,
    as many CMS print them) is spared the byline search, a dozen passes over the tree."""
    searched = byline_searches
    declared = {"@type": "NewsArticle", "headline": "Budget", "author": {"@type": "Person", "name": "Aziza Karimova"}}
    assert extract(page(jsonld=declared, body="<h1>Budget</h1>"))[1] == ["Aziza Karimova"]
    assert searched == []
    shown = "<h1>Budget</h1><div class='byline'>By Dr Aziza Karimova and Timur Aliev</div>"
    assert extract(page(jsonld=declared, body=shown))[1] == ["Dr Aziza Karimova", "Timur Aliev"]
    assert len(searched) == 1
