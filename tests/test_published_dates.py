"""Publication dates through the whole extraction path (``extract_article``): the date printed in the
article's header on pages no date rule names, the edition's time zone as it was on that day, and no
date invented from a year, a month or an archive URL."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from crawler.extract.article import extract_article
from crawler.extract.header_date import header_date
from crawler.extract.visible_dates import find_visible_date
from crawler.items import article_item
from crawler.rules import ValidationConfig
from crawler.sites import SiteConfig, load_site
from crawler.validation import validate
from tests.replicas import expected_articles, page_file, replica_sites

FETCHED = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)  # days after every article below: never its date

PARAGRAPHS = {
    "ru": ["Правительство утвердило программу строительства новых школ в регионах страны до 2030 года.",
           "По словам министра просвещения, в первую очередь школы появятся в быстрорастущих пригородах.",
           "Финансирование программы предусмотрено в республиканском бюджете на ближайшие три года."],
    "kk": ["Үкімет өңірлерде жаңа мектептер салу бағдарламасын бекітті, құрылыс 2030 жылға дейін жүреді.",
           "Оқу-ағарту министрінің айтуынша, мектептер ең алдымен тез өсіп келе жатқан елді мекендерде салынады.",
           "Бағдарламаны қаржыландыру алдағы үш жылға арналған республикалық бюджетте қарастырылған."],
    "ky": ["Өкмөт региондордо жаңы мектептерди куруу программасын бекитти, курулуш 2030-жылга чейин улантылат.",
           "Билим берүү министринин айтымында, мектептер биринчи кезекте тез өсүп жаткан конуштарда курулат.",
           "Программаны каржылоо алдыдагы үч жылга республикалык бюджетте каралган."],
    "tg": ["Ҳукумат барномаи сохтмони мактабҳои навро дар минтақаҳои кишвар то соли 2030 тасдиқ кард.",
           "Ба гуфтаи вазири маориф, мактабҳо пеш аз ҳама дар шаҳракҳои босуръат рушдёбанда сохта мешаванд.",
           "Маблағгузории барнома дар буҷети ҷумҳуриявӣ барои се соли оянда пешбинӣ шудааст."],
    "uz": ["Hukumat viloyatlarda yangi maktablar qurish dasturini tasdiqladi, qurilish 2030-yilgacha davom etadi.",
           "Xalq ta'limi vazirining so'zlariga ko'ra, maktablar avvalo tez o'sayotgan shaharchalarda quriladi.",
           "Dasturni moliyalashtirish kelgusi uch yil uchun respublika byudjetida nazarda tutilgan."],
    "uz-Cyrl": ["Ҳукумат вилоятларда янги мактаблар қуриш дастурини тасдиқлади, қурилиш 2030 йилгача давом этади.",
                "Халқ таълими вазирининг сўзларига кўра, мактаблар аввало тез ўсаётган шаҳарчаларда қурилади.",
                "Дастурни молиялаштириш келгуси уч йил учун республика бюджетида назарда тутилган."],
    "en": ["The government approved a programme to build new schools in the regions until 2030.",
           "According to the education minister, the schools will first appear in fast-growing suburbs.",
           "The programme is funded in the national budget for the next three years."],
    "tk": ["Hökümet welaýatlarda täze mekdepleri gurmak boýunça maksatnamany tassyklady, gurluşyk 2030-njy "
           "ýyla çenli dowam eder.",
           "Bilim ministriniň aýtmagyna görä, mekdepler ilki bilen çalt ösýän şäherçelerde gurlar.",
           "Maksatnamany maliýeleşdirmek geljek üç ýyl üçin döwlet býudjetinde göz öňünde tutulýar."],
}


TITLES = {
    "ru": "Правительство утвердило программу строительства школ",
    "kk": "Үкімет мектеп салу бағдарламасын бекітті",
    "ky": "Өкмөт мектеп куруу программасын бекитти",
    "tg": "Ҳукумат барномаи сохтмони мактабҳоро тасдиқ кард",
    "uz": "Hukumat maktablar qurish dasturini tasdiqladi",
    "uz-Cyrl": "Ҳукумат мактаблар қуриш дастурини тасдиқлади",
    "en": "Government approves school building programme",
    "tk": "Hökümet mekdep gurluşygy boýunça maksatnamany tassyklady",
}
LATEST = """<div class="latest-news"><h3>Последние новости</h3>
  <ul><li><a href="/news/1/">Курс валют на сегодня</a> <span class="date">12.03.2025 18:00</span></li>
      <li><a href="/news/2/">Погода на выходные</a> <span class="date">11.03.2025 09:30</span></li></ul></div>"""


FOOTER = "© 2018–2025 News Agency. <span>Обновлено 19.03.2025</span>"


def page(lang: str, header: str, *, before_headline: str = "", latest: str = LATEST, footer: str = FOOTER,
         head: str = "") -> str:
    """An article page as a typical regional CMS renders it: menu, a "latest news" block with its own
    dates, the headline with its byline, the body, related stories, a footer with a copyright year."""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[lang])
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{TITLES[lang]} | News</title>{head}</head>
<body>
<header class="site-header"><a href="/" class="logo">News</a>
  <nav><a href="/politics/">Politics</a> <a href="/economy/">Economy</a> <span>13.03.2025</span></nav></header>
{latest}
<div class="content"><div class="article-head">{before_headline}
  <h1>{TITLES[lang]}</h1>
  {header}</div>
  <div class="article-body">{body}</div>
  <div class="related"><h4>Читайте также</h4><a href="/news/3/">Старое решение</a> <span>05.01.2024</span></div>
</div>
<footer>{footer}</footer>
</body></html>"""


def local(*parts: int) -> datetime:
    """A naive wall-clock time, as printed."""
    return datetime(*parts)


# (edition language, the byline as the site prints it, the permalink, the wall-clock time it prints)
HEADERS: list[tuple[str, str, str, datetime]] = [
    ("ru", '<div class="meta">14 марта 2025, 10:15 | Политика</div>', "https://example.kz/ru/news/1001/",
     local(2025, 3, 14, 10, 15)),
    ("ru", "<p>Опубликовано: 14.03.2025 в 10:15</p>", "https://example.kz/2024/01/05/schools/",  # URL says otherwise
     local(2025, 3, 14, 10, 15)),
    ("ru", "<div>14-го марта 2025 года</div>", "https://example.kz/ru/news/1002/", local(2025, 3, 14)),
    ("kk", "<div><span>2025 жылғы 14 наурыз, 10:15</span> <span>👁 1 245</span></div>",
     "https://example.kz/kz/news/1001/", local(2025, 3, 14, 10, 15)),
    ("kk", "<div>14:30, 14 наурыз 2025</div>", "https://example.kz/kz/news/1002/", local(2025, 3, 14, 14, 30)),
    ("kk", "<div>Жарияланды: 2025 жылғы наурыздың 14-і</div>", "https://example.kz/kz/news/1003/",
     local(2025, 3, 14)),
    ("kk", "<div>2025 ж. 14 наурыз, сағат 10:15</div>", "https://example.kz/kz/news/1004/", local(2025, 3, 14, 10, 15)),
    ("ky", "<div>2025-жылдын 14-марты, саат 10:15</div>", "https://example.kg/ky/news/1001/",
     local(2025, 3, 14, 10, 15)),
    ("ky", "<span>14-март, 2025-ж.</span><span>Саясат</span>", "https://example.kg/ky/news/1002/", local(2025, 3, 14)),
    ("tg", "<div>14 марти 2025, 10:15</div>", "https://example.tj/tj/news/1001/", local(2025, 3, 14, 10, 15)),
    ("tg", "<div>Сиёсат / 14-уми марти соли 2025</div>", "https://example.tj/tj/news/1002/", local(2025, 3, 14)),
    ("uz", "<div>14 mart 2025, soat 10:15</div>", "https://example.uz/uz/news/1001/", local(2025, 3, 14, 10, 15)),
    ("uz-Cyrl", "<div>2025 йил 14 март, 10:15</div>", "https://example.uz/oz/news/1001/", local(2025, 3, 14, 10, 15)),
    ("en", "<p class='byline'>By Staff Writer · Mar 14, 2025 at 10:15 AM</p>", "https://example.uz/en/news/1001/",
     local(2025, 3, 14, 10, 15)),
    ("tk", "<div>2025-nji ýylyň 14-nji marty, sagat 10:15</div>", "https://example.tm/tk/news/1001/",
     local(2025, 3, 14, 10, 15)),
    ("tk", "<div><span>14.03.2025 ý.</span> <span>Jemgyýet</span></div>", "https://example.tm/tk/news/1002/",
     local(2025, 3, 14)),
    ("tk", "<div>14-nji mart 2025</div>", "https://example.tm/2025/03/02/news/", local(2025, 3, 14)),
    ("ru", '<time datetime="2025-03-14T10:15:00+03:00">14 марта</time>', "https://example.kz/ru/news/1004/",
     datetime(2025, 3, 14, 7, 15, tzinfo=UTC)),  # a printed offset wins over the edition's zone
]
ZONES = {"ru": "Asia/Almaty", "kk": "Asia/Almaty", "ky": "Asia/Bishkek", "tg": "Asia/Dushanbe", "uz": "Asia/Tashkent",
         "uz-Cyrl": "Asia/Tashkent", "en": "Asia/Tashkent", "tk": "Asia/Ashgabat"}


@pytest.mark.parametrize(("lang", "header", "url", "printed"), HEADERS, ids=[h[1] for h in HEADERS])
@pytest.mark.parametrize("configured", [False, True], ids=["site=None", "site without date selectors"])
def test_the_headers_printed_date_beats_teasers_urls_and_footers(lang: str, header: str, url: str, printed: datetime,
                                                                 configured: bool) -> None:
    zone = ZoneInfo(ZONES[lang]) if configured else UTC  # no site: naive times are UTC
    site = _site_without_date_rules(ZONES[lang], lang) if configured else None
    extraction = extract_article(page(lang, header), url, site, FETCHED)
    expected = printed if printed.tzinfo else printed.replace(tzinfo=zone).astimezone(UTC)
    assert extraction.published == expected
    assert extraction.sources["published"] == "generic"
    assert extraction.published_raw and extraction.published_raw in " ".join(header.split())


def _site_without_date_rules(tz: str, lang: str) -> SiteConfig:
    """A configured site (kazinform's shape), its one edition ``lang`` in ``tz``, with no date or body selectors."""
    site = load_site("kazinform")
    edition = dataclasses.replace(site.editions[0], language=lang, timezone=tz, home="https://example.kz/")
    selectors = dataclasses.replace(site.selectors, published=(), modified=(), title=(), body=())
    return dataclasses.replace(site, editions=(edition,), selectors=selectors)


def undated_page(lang: str, header: str, head: str = "") -> str:
    """The same page with no other day on it: no dated teasers, a footer with only a copyright year."""
    return page(lang, header, latest="", footer="© 2018–2025 News Agency.", head=head)


# --- time zones by date: Kazakhstan moved from UTC+6 to UTC+5 on 1 March 2024 -------------------------------------

KAZINFORM = load_site("kazinform")
RECORDED = Path(__file__).parent / "replica" / "kazinform" / "_rendered"
KK_URL = "https://www.inform.kz/kz/turkistan-oblysynda-12-zhana-mektep-salynady-a4272104"
RU_URL = "https://www.inform.kz/ru/v-astane-otkryli-novyy-most-cherez-reku-esil-a4271835"


def kazinform_page(recorded: str, stamp: str) -> str:
    """A recorded Kazinform page with no structured date, its header's date element replaced by ``stamp``."""
    html = (RECORDED / recorded).read_text(encoding="utf-8")
    html = re.sub(r'<meta property="article:(?:published|modified)_time"[^>]*>', "", html)
    html = re.sub(r'"date(?:Published|Modified)": "[^"]*",\s*', "", html)
    html, replaced = re.subn(r'<time class="article__date"[^>]*>[^<]*</time>', stamp, html, count=1)
    assert replaced == 1 and "datePublished" not in html
    return html


# (recorded page, URL, header date element, UTC time): either side of the change, in both editions
CHANGE: list[tuple[str, str, str, datetime]] = [
    ("4272104.html", KK_URL, '<span class="article__stamp">10:00, 29 ақпан 2024</span>',
     datetime(2024, 2, 29, 4, 0, tzinfo=UTC)),  # UTC+6
    ("4272104.html", KK_URL, '<span class="article__stamp">10:00, 1 наурыз 2024</span>',
     datetime(2024, 3, 1, 5, 0, tzinfo=UTC)),  # UTC+5
    ("4272104.html", KK_URL, '<span class="article__stamp">2024 жылғы 29 ақпан, 23:30</span>',
     datetime(2024, 2, 29, 17, 30, tzinfo=UTC)),
    ("4272104.html", KK_URL, '<span class="article__stamp">2024 жылғы 1 наурыз, 00:30</span>',
     datetime(2024, 2, 29, 19, 30, tzinfo=UTC)),
    ("4271835.html", RU_URL, '<span class="article__stamp">29 февраля 2024, 10:00</span>',
     datetime(2024, 2, 29, 4, 0, tzinfo=UTC)),
    ("4271835.html", RU_URL, '<span class="article__stamp">01.03.2024 в 10:00</span>',
     datetime(2024, 3, 1, 5, 0, tzinfo=UTC)),
    ("4271835.html", RU_URL, '<span class="article__stamp">15 декабря 2023</span>',  # a day: local midnight
     datetime(2023, 12, 14, 18, 0, tzinfo=UTC)),
    ("4271835.html", RU_URL, '<span class="article__stamp">15 декабря 2024</span>',
     datetime(2024, 12, 14, 19, 0, tzinfo=UTC)),
    # the site's own date selector, with a naive machine-readable value
    ("4272104.html", KK_URL, '<time class="article__date" datetime="2024-02-29T10:00:00">10:00</time>',
     datetime(2024, 2, 29, 4, 0, tzinfo=UTC)),
    ("4272104.html", KK_URL, '<time class="article__date" datetime="2024-03-01T10:00:00">10:00</time>',
     datetime(2024, 3, 1, 5, 0, tzinfo=UTC)),
]


def test_naive_times_are_read_in_the_offset_of_their_day_in_any_order() -> None:
    pages = [(kazinform_page(recorded, stamp), url, expected) for recorded, url, stamp, expected in CHANGE]
    # Both orders through the same site object: nothing may keep the offset of the first date it read.
    for ordered in (pages, pages[::-1]):
        got = [extract_article(html, url, KAZINFORM, FETCHED).published for html, url, _ in ordered]
        assert got == [expected for _, _, expected in ordered]


@pytest.mark.parametrize(("recorded", "url", "stamp", "expected"), CHANGE, ids=[c[2] for c in CHANGE])
def test_the_kazakh_zone_change_through_extraction(recorded: str, url: str, stamp: str, expected: datetime) -> None:
    extraction = extract_article(kazinform_page(recorded, stamp), url, KAZINFORM, FETCHED)
    assert extraction.published == expected
    assert extraction.sources["published"] == ("site" if "article__date" in stamp else "generic")


# --- never invent a date -----------------------------------------------------------------------------------------

# Pages that know their date only to the month or the year: the permalink's month, a "March 2025"
# byline, a "2025 жыл" stamp, a copyright line. None of them names a day.
UNDATED: list[tuple[str, str, str, str]] = [
    ("tk", "<div>Mart 2025</div>", "https://example.tm/2025/03/habar-1001/", ""),
    ("kk", "<div>2025 жыл</div>", "https://example.kz/kz/2025/03/news-1001/", ""),
    ("en", "<p class='byline'>By Staff Writer, March 2025</p>", "https://example.uz/en/news/1001/", ""),
    ("ru", "<div class='date'>Март 2025 г.</div>", "https://example.kz/ru/archive/2025-03/1001/", ""),
    ("ky", "<div>Саясат</div>", "https://example.kg/ky/news/1001/", ""),
    ("ru", "<div>Политика</div>", "https://example.kz/ru/news/1001/",
     '<meta name="copyright" content="2025"><meta itemprop="copyrightYear" content="2025">'),
]


@pytest.mark.parametrize(("lang", "header", "url", "head"), UNDATED, ids=[u[1] for u in UNDATED])
def test_a_date_known_only_to_its_month_or_year_is_not_stored(lang: str, header: str, url: str, head: str) -> None:
    extraction = extract_article(undated_page(lang, header, head), url, None, FETCHED)
    assert extraction.published is None
    assert "published" not in extraction.sources


@pytest.mark.parametrize("declared", ["2025-03", "2025", "2025-W11", "March 2025"])
def test_a_structured_date_without_a_day_is_not_stored_but_its_raw_string_is(declared: str) -> None:
    jsonld = f'<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "{declared}"}}</script>'
    extraction = extract_article(undated_page("ru", "<div>Политика</div>", jsonld),
                                 "https://example.kz/ru/news/1001/", None, FETCHED)
    assert extraction.published is None
    assert extraction.published_raw == declared


@pytest.mark.parametrize(("head", "header"), [
    ('<meta name="date" content="2025-03-01">', "<div>Политика</div>"),  # htmldate reads it; the page shows the day
    ("", "<div>01.03.2025</div>"),
    ("", "<div>1 марта 2025 года</div>"),
])
def test_the_first_of_the_month_is_kept_when_the_page_names_that_day(head: str, header: str) -> None:
    extraction = extract_article(undated_page("ru", header, head), "https://example.kz/ru/news/1001/",
                                 _site_without_date_rules("Asia/Almaty", "ru"), FETCHED)
    assert extraction.published == datetime(2025, 2, 28, 19, 0, tzinfo=UTC)


def test_an_article_without_a_date_is_kept_by_validation() -> None:
    extraction = extract_article(undated_page("tk", "<div>Mart 2025</div>"), "https://example.tm/2025/03/habar/",
                                 None, FETCHED)
    item = article_item(extraction, url="https://example.tm/2025/03/habar/", urls=[], site="example", edition="tk",
                        fetched_at=FETCHED)
    validated, report = validate(item, ValidationConfig(), FETCHED)
    assert validated.published is None and validated.paragraphs
    assert report.passed and report.cleared == ()


# --- every replica: the header's printed date alone gives the record's publication time -----------------------------

def _without_date_markup(html: str) -> str:
    """The page with no machine-readable publication date left: no date meta, JSON-LD dates or itemprops."""
    html = re.sub(r"<meta[^>]+(?:published_time|modified_time|datePublished|dateModified|pubdate)[^>]*>", "", html,
                  flags=re.IGNORECASE)
    html = re.sub(r'"date(?:Published|Modified|Created)"\s*:\s*"[^"]*",?', "", html)
    return re.sub(r'itemprop="date(?:Published|Modified)"', "", html)


REPLICA_ARTICLES = [(site, url, fields["published"]) for site in replica_sites()
                    for url, fields in expected_articles(site).items() if fields.get("published")]


# Fetched a day after the newest replica article, as the crawl would be: a date printed without its
# year ("25 ноября") is read as the latest such day.
REPLICA_FETCHED = max(datetime.fromisoformat(published) for _, _, published in REPLICA_ARTICLES) + timedelta(days=1)


@pytest.mark.parametrize(("site", "url", "published"), REPLICA_ARTICLES, ids=[u for _, u, _ in REPLICA_ARTICLES])
def test_every_replica_articles_printed_date_is_found_without_date_rules(site: str, url: str, published: str) -> None:
    config = load_site(site)
    bare = dataclasses.replace(config, selectors=dataclasses.replace(config.selectors, published=(), modified=()))
    html = _without_date_markup(page_file(site, url).read_text(encoding="utf-8", errors="replace"))
    assert "datePublished" not in html and "published_time" not in html
    extraction = extract_article(html, url, bare, REPLICA_FETCHED)
    assert extraction.published == datetime.fromisoformat(published)
    assert extraction.sources["published"] == "generic"


# --- page shapes around the headline -------------------------------------------------------------------------------

BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS["ru"])
SHAPES: list[tuple[str, str, datetime | None]] = [
    # a logo <h1> in the site header: the article's own headline is the one in <article>
    ('<header><h1 class="logo">News <span>13.03.2025</span></h1></header><article><h1>Школы</h1>'
     f"<div>14.03.2025 10:15</div>{BODY}</article>", "logo h1", local(2025, 3, 14, 10, 15)),
    # ASP.NET wraps the whole page in a <form>; WordPress puts "has-sidebar" on a wrapper
    (f'<form id="aspnetForm"><div class="page has-sidebar"><h1>Школы</h1><span>14.03.2025 10:15</span>{BODY}'
     "</div></form>", "page-wide form", local(2025, 3, 14, 10, 15)),
    # a "read also" block between the headline and its byline is another article's
    ('<article><h1>Школы</h1><div class="read-also"><a href="/x/">Старое</a> 01.02.2025</div>'
     f"<div>Автор: Иван Петров · 14 марта 2025, 10:15</div>{BODY}</article>", "teaser between",
     local(2025, 3, 14, 10, 15)),
    # a lead, then the byline
    ('<article><h1>Школы</h1><h4 class="lead">В период каникул министерство проверит все школы страны, '
     'а в новых районах откроют ещё двенадцать зданий к сентябрю.</h4>'
     f"<div>14 марта 2025, 10:15</div>{BODY}</article>", "lead first", local(2025, 3, 14, 10, 15)),
    # the body has begun: a date in it is news, not the article's date
    (f"<article><h1>Школы</h1>{BODY}<p>Заседание прошло 10 марта 2025.</p></article>", "date in body", None),
    # category and date above the headline, in its header block
    ('<div class="content"><div class="head"><div><a href="/p/">Политика</a> | 2025 жылғы 14 наурыз</div>'
     f"<h1>Школы</h1></div>{BODY}</div>", "above", local(2025, 3, 14)),
    # a long list of teasers just before the headline is not its header
    ('<div class="content">' + "".join(f'<div><a href="/{n}/">Новость номер {n} о разном</a> 0{n}.03.2025</div>'
                                       for n in range(1, 10)) + f"<h1>Школы</h1>{BODY}</div>", "teasers above", None),
]


@pytest.mark.parametrize(("body", "name", "printed"), SHAPES, ids=[s[1] for s in SHAPES])
def test_the_header_is_the_headlines_neighbourhood(body: str, name: str, printed: datetime | None) -> None:
    html = f'<!DOCTYPE html><html lang="ru"><head><title>Школы</title></head><body>{body}</body></html>'
    site = _site_without_date_rules("Asia/Almaty", "ru")
    if printed is None:  # no date beside the headline: the header finds none (the fallbacks are htmldate's)
        zone = ZoneInfo("Asia/Almaty")
        assert header_date(lxml.html.fromstring(html), lambda text: find_visible_date(text, zone, FETCHED)) is None
        return
    extraction = extract_article(html, "https://example.kz/ru/news/1001/", site, FETCHED)
    assert extraction.published == printed.replace(tzinfo=ZoneInfo("Asia/Almaty")).astimezone(UTC)


def _meta_page(*metas: str) -> str:
    tags = "".join(f"<meta name='{name}' content='{value}'>" for name, value in (m.split("=", 1) for m in metas))
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS["ru"])
    head = f"<head><title>Новые школы</title>{tags}</head>"
    return f"<html lang='ru'>{head}<body><h1>Новые школы</h1>{body}</body></html>"


@pytest.mark.parametrize(("metas", "published", "raw"), [
    # a flag where a date belongs is no date, and no date's raw string: the next source is asked
    (("published=true",), None, None),
    (("pubdate=1", "dc.date=2025-03-14T10:00:00+05:00"), "2025-03-14T05:00:00+00:00", "2025-03-14T10:00:00+05:00"),
    (("publish_date=yes", "date=14.03.2025"), "2025-03-13T19:00:00+00:00", "14.03.2025"),
])
def test_a_declared_date_that_is_no_date_gives_way(metas: tuple[str, ...], published: str | None,
                                                    raw: str | None) -> None:
    found = extract_article(_meta_page(*metas), "https://example.tj/news/schools/", load_site("asiaplus"),
                            fetched_at=FETCHED)
    assert (found.published.isoformat() if found.published else None, found.published_raw) == (published, raw)
