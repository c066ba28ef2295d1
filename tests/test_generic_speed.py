"""The generic path's speed: the bench's per-stage CPU profile, and cheaper stages that give the same answers."""

from __future__ import annotations

import gzip
import json
import runpy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import CountCalls

ROOT = Path(__file__).resolve().parent.parent


def _bench_set(folder: Path, pages: dict[str, str]) -> None:
    (folder / "html").mkdir(parents=True)
    truth = {}
    for page_id, html in pages.items():
        (folder / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[page_id] = {"url": f"https://news.example.com/{page_id}", "articleBody": "", "title": "T"}
    (folder / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")


def test_profile_lists_cpu_ms_of_each_stage_that_add_up_to_the_total(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import crawler.extract.article as article
    from crawler.bench.extraction import STAGES, main

    body = "<p>" + "Water talks between the two countries resumed on Monday in the capital. " * 5 + "</p>"
    _bench_set(tmp_path / "set", {
        "1": f"<html><body><article><h1>Water talks resume</h1><p>14 March 2025</p>{body}</article></body></html>",
        "2": f"<html><body><h1>Snow closes the pass</h1>{body * 2}</body></html>",
    })
    before = article._published
    assert main(["--data", str(tmp_path), "--sets", "set", "--profile"]) == 0
    assert article._published is before  # the timing wrappers are gone
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("set (2 pages): CPU ms per page")
    rows = {line.split()[0]: [float(v) for v in line.split()[1:3]] for line in lines[1:]}
    assert set(rows) == {name for _, name, _ in STAGES} | {"other", "total"}
    assert rows["_body"][1] > 0 and rows["header_date"][1] > 0 and rows["cleaned"][1] > 0
    assert all(value >= 0 for values in rows.values() for value in values)  # no stage counted twice
    top = [rows[name][1] for _, name, depth in STAGES if depth == 0] + [rows["other"][1]]
    # The means of the top stages and the rest make the total, up to the rounding of each printed mean.
    assert sum(top) == pytest.approx(rows["total"][1], abs=0.005 * (len(top) + 1))


def test_the_crawl_benchs_stage_table_counts_the_timed_pages_only() -> None:
    """``scripts/bench_crawl.py --profile`` runs the pages again under cProfile: the stage clock is taken out
    first (its table counted both runs against one run's total, a stage rest of -29 ms an article)."""
    import crawler.cleaning

    clock = runpy.run_path(str(ROOT / "scripts" / "bench_crawl.py"))["StageClock"]()
    before = crawler.cleaning.signature
    clock.install()
    crawler.cleaning.signature("Water talks between the two countries resumed on Monday in the capital")
    counted = clock.ms["MinHash, LSH bands"]
    assert counted > 0
    clock.uninstall()
    assert crawler.cleaning.signature is before
    crawler.cleaning.signature("Snow closes the pass between the two valleys for the third day")
    assert clock.ms["MinHash, LSH bands"] == counted


def test_the_crawl_benchs_report_takes_a_single_timed_page(capsys: pytest.CaptureFixture[str]) -> None:
    """``--sample 1`` times one page: its median and p95 are that page's (there are no quantiles of one)."""
    bench = runpy.run_path(str(ROOT / "scripts" / "bench_crawl.py"))
    run = bench["Run"](wall=2.0, cpu=1.0, peak_rss_mb=150)
    bench["report"]([(0, 100, run)], 100, bench["Run"](wall=1.0, cpu=0.5), 10.0, [7.5])
    assert "CPU ms median 7.5, p95 7.5" in capsys.readouterr().out


# The rules as they were written before the shortcuts: each shortcut must answer exactly as they do.
_JS_NOTICE_FULL = (r"(?=.*javascript)(?=.*(?:enable|turn on|включ|yoqing|иштет|қос|фаъол|açyň|işjeňleşdir)).{0,200}")


@pytest.mark.parametrize("line", [
    "Please enable JavaScript to view this site.", "JavaScript включите, пожалуйста",
    "Enable " + "x" * 180 + " JavaScript", "Enable " + "x" * 200 + " JavaScript",  # 201+ chars: no notice
    "JavaScript is a language; " * 20 + "enable it",
])
def test_a_javascript_notice_is_judged_as_the_full_rule_judges_it(line: str) -> None:
    import re

    from crawler.extract.boilerplate import is_ui_line, plain

    want = re.fullmatch(_JS_NOTICE_FULL, plain(line), re.IGNORECASE | re.DOTALL) is not None
    assert is_ui_line(line) is want


@pytest.mark.parametrize("line", [
    "Фото: Asia-Plus", "Рогунская ГЭС. Фото: Asia-Plus", "Photo by Jane Doe", "PHOTO BY Jane Doe", "photo bY Jane",
    "© Sputnik / Name", "Image: Reuters", "Photo — AP", "Photo/AP", "A caption with no credit at all",
    "Сурат манбаси Facebook", "Фото пресс-службы", "Bylines are not credits", "Standby power returned",
])
def test_a_credit_line_is_split_as_the_full_rule_splits_it(line: str) -> None:
    from crawler.extract import boilerplate

    match = boilerplate._CREDIT.match(line) or boilerplate._BARE_CREDIT.match(line)  # a mark, else a known source
    want = ((match.group("caption") or "").strip(" .,;") or None, match.group("credit").strip(" .") or None) \
        if match else (line, None)
    assert boilerplate.split_credit(line) == want
    # the quick tests never turn a credit away
    bare_words = any(word in line.lower() for word in boilerplate._BARE_CREDIT_WORDS)
    assert boilerplate._may_credit(line) or (bare_words and boilerplate._BARE_CREDIT.match(line)) or match is None


def test_cleaning_tests_each_paragraph_once_made_plain() -> None:
    from crawler.extract.boilerplate import is_cross_link, is_plain_cross_link, is_plain_ui_line, is_ui_line, plain
    from crawler.extract.cleanup import clean_paragraphs

    lines = ["Share:", "Read also: Water talks", "Shuningdek o‘qing: suv", "Popular", "A paragraph of the story.",
             "Фото: Asia-Plus"]
    for line in lines:
        assert is_plain_ui_line(plain(line)) is is_ui_line(line)
        assert is_plain_cross_link(plain(line)) is is_cross_link(line)
    images = [{"url": "https://e.com/a.jpg", "_position": 0}]
    kept, counts = clean_paragraphs(lines, images)
    assert kept == ["A paragraph of the story."]
    assert counts == {"removed/ui": 2, "removed/cross_link": 2, "credit_moved": 1}
    assert images == [{"url": "https://e.com/a.jpg", "credit": "Asia-Plus"}]


def _shows_first_of_month_full_search(html: str, url: str, day: str) -> bool:
    """The rule as one search of the whole page (the reference the quicker search must agree with)."""
    import re

    year, month = day[:4], day[5:7]
    pattern = (rf"(?<!\d){year}(?P<s>[-/.]?){month}(?P=s)01(?!\d)"
               rf"|(?<!\d)0?1(?P<t>[-/.])0?{int(month)}(?P=t){year}(?!\d)")
    return re.search(pattern, url) is not None or re.search(pattern, html) is not None


@pytest.mark.parametrize("html", [
    "<p>2025-12-01</p>", "<p>20251201</p>", "<p>2025/12-01</p>", "<p>120251201</p>", "<p>2025-12-011</p>",
    "<p>01.12.2025</p>", "<p>1/12/2025</p>", "<p>01.012.2025</p>", "<p>101.12.2025</p>", "<p>01.12.20251</p>",
    "<p>2025 2025 01.12.2025</p>", "2025-12-01", "01.12.2025", "<p>December 2025</p>", "",
    "<p>01.12.2025-12-01</p>", "<p>x" + "2025" * 50 + "-12-01</p>",
])
def test_a_first_of_the_month_is_found_where_the_whole_page_search_finds_it(html: str) -> None:
    from crawler.extract.article import _shows_first_of_month

    assert _shows_first_of_month(html, "https://e.com/a", "2025-12-01") is \
        _shows_first_of_month_full_search(html, "https://e.com/a", "2025-12-01")


def test_a_first_of_the_month_in_the_url_counts() -> None:
    from crawler.extract.article import _shows_first_of_month

    assert _shows_first_of_month("<p>no date</p>", "https://e.com/2025/03/01/a", "2025-03-01")
    assert not _shows_first_of_month("<p>no date</p>", "https://e.com/2025/03/a", "2025-03-01")


def _page(head: str, body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}<p>{'Text of the story. ' * 20}</p></body></html>"


def test_structured_data_reads_the_first_json_ld_blocks_and_meta_tags_in_document_order() -> None:
    from crawler.extract.structured import read_structured
    from crawler.htmltree import html_selector
    from crawler.limits import MAX_JSON_LD_BLOCKS, MAX_META_TAGS

    blocks = "".join(f'<script type="application/ld+json">{{"@type": "Thing", "@id": "#{n}"}}</script>'
                     for n in range(MAX_JSON_LD_BLOCKS + 3))
    html = _page(
        '<script type="application/json">{"@type": "NewsArticle", "headline": "not JSON-LD"}</script>'
        '<meta property="og:title" content="First"><meta name="OG:Title" content="Second">'
        + "".join(f'<meta name="k{n}" content="{n}">' for n in range(MAX_META_TAGS + 5)),
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Body block"}</script>' + blocks)
    data = read_structured(html_selector(html))
    assert data.article == {"@type": "NewsArticle", "headline": "Body block"}
    assert data.meta["og:title"] == ["First", "Second"]
    assert len([k for k in data.meta if k.startswith("k")]) == MAX_META_TAGS - 2  # the first tags only
    assert set(data.nodes) == {f"#{n}" for n in range(MAX_JSON_LD_BLOCKS - 1)}  # the first blocks only


@pytest.mark.parametrize(("links", "canonical", "translations"), [
    ('<link rel="canonical"><link rel="canonical" href="/b"><link rel="canonical" href="/c">', "/b", []),
    ('<link rel="alternate" hreflang="ru" href="/ru"><link rel="alternate" hreflang="x-default" href="/">'
     '<link rel="alternate" href="/feed"><link rel="alternate" hreflang="" href="/und">'
     '<link rel="Alternate" hreflang="kk" href="/kk"><link rel="alternate" hreflang="uz">', None, ["/ru", "/und"]),
    ('<link rel="canonical stylesheet" href="/x">', None, []),
])
def test_canonical_and_translation_links_are_read_as_their_selectors_read_them(
        links: str, canonical: str | None, translations: list[str]) -> None:
    from crawler.extract.article import _Page
    from crawler.limits import RecordLimits

    page = _Page(_page(links), "https://e.com/a", None, datetime.now(UTC), RecordLimits())
    assert page.links == (canonical, translations)
    assert page.css('link[rel="canonical"]::attr(href)', 1).get() == canonical
    assert page.css('link[rel="alternate"][hreflang]:not([hreflang="x-default"])::attr(href)').getall() == translations


def test_translations_stop_at_the_cap_however_many_other_links_come_first() -> None:
    from crawler.extract.article import extract_article
    from crawler.limits import MAX_MATCHES
    from crawler.sites import GENERIC

    links = '<link rel="stylesheet" href="/s.css">' * (MAX_MATCHES + 10) + "".join(
        f'<link rel="alternate" hreflang="l{n}" href="/l{n}">' for n in range(MAX_MATCHES + 10))
    extraction = extract_article(_page(links + '<link rel="canonical" href="/a">'), "https://e.com/a", GENERIC)
    assert extraction.url == "https://e.com/a"
    assert extraction.translations[:2] == ["https://e.com/l0", "https://e.com/l1"]


def test_chrome_is_dropped_whole_and_a_block_holding_the_headline_keeps_only_its_own_text() -> None:
    from lxml import html as lxml_html

    from crawler.extract.header_date import drop_chrome

    root = lxml_html.fromstring(
        "<html><body><nav>Menu <aside>Ad 1 March 2025 <div class='related'>Teaser 2 March 2025</div></aside> end</nav>"
        "<div class='has-sidebar'><h1>Headline</h1><div class='sidebar'>Side 3 March 2025</div><p>Body</p>"
        "<footer>Footer 4 March 2025</footer></div><aside>Other 5 March 2025</aside><footer>Page footer</footer>"
        "<article><footer>Article footer 6 March 2025</footer></article> tail</body></html>")
    kept = " ".join(" ".join(drop_chrome(root).itertext()).split())
    assert kept == "Headline Body Article footer 6 March 2025 tail"


def test_profile_run_as_a_module_times_the_bench_cleaning(tmp_path: Path) -> None:
    import subprocess
    import sys

    body = "<p>" + "Water talks between the two countries resumed on Monday in the capital. " * 5 + "</p>"
    _bench_set(tmp_path / "set", {"1": f"<html><body><h1>Water talks resume</h1>{body * 3}</body></html>"})
    command = [sys.executable, "-m", "crawler.bench.extraction", "--data", str(tmp_path), "--sets", "set", "--profile"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]).stdout
    rows = {line.split()[0]: float(line.split()[2]) for line in out.splitlines()[1:]}
    assert rows["cleaned"] > 0  # under ``python -m`` the bench module is __main__: its cleaning is timed there


def test_a_page_only_the_whole_page_date_search_dates_never_loads_dateparser() -> None:
    import subprocess
    import sys

    # A fresh process. htmldate hands the strings its patterns do not read to an external parser: dateparser, which
    # loads and compiles its locales on first use (a second of CPU within a page's budget), unless ours stands in.
    body = "<p>" + "Talks between the two countries resumed. " * 5 + "</p>"
    page = (f"<html><body><h1>Water talks resume</h1>{body * 2}<p>Between 2015 and 2018, 13% of schools closed.</p>"
            "<div class='x'><span>Staff</span> <span>2025 жылғы 14 наурыз, 10:15</span></div></body></html>")
    code = ("import sys\nfrom crawler.extract.article import extract_article, warm_up\nwarm_up()\n"
            f"e = extract_article({page!r}, 'https://example.kz/a/', None)\n"
            "print(e.published.date() if e.published else None, 'dateparser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[1]).stdout
    assert out.split() == ["2025-03-14", "False"], out


def _class_names() -> list[str]:
    """Class names that begin, end, hold and overlap the groups' words, and random ones built from their pieces."""
    import random

    from crawler.extract.blocks import _WORD_GROUPS

    names = ["contents-list", "table-of-contents", "ads", "ad", "bad", "ads-top", "top_ad", "headline", "hed",
             "dek-hed", "shed", "para", "para_1", "paragraph", "sidebar-aside", "col-md-6", "x", "", "sr-only-ad",
             "entry-content", "comment-respond", "d-none", "nav", "submit-btn", "post__body"]
    pieces = [*_WORD_GROUPS, "ad", "ads", "hed", "para", "-", "_", " "]
    rng = random.Random(16)
    for _ in range(20_000):
        names.append("".join(rng.choice(pieces) if rng.random() < 0.3 else rng.choice("abcdehlmnoprstx-_0")
                             for _ in range(rng.randint(1, 10))))
    return names


def test_a_class_name_is_put_in_the_groups_whose_patterns_it_holds() -> None:
    from crawler.extract.blocks import _CLASS_RES, _name_mask

    for name in _class_names():
        want = sum(1 << n for n, pattern in enumerate(_CLASS_RES) if pattern.search(name))
        assert _name_mask(name) == want, name


def test_an_element_is_put_in_the_groups_of_its_class_and_id_together() -> None:
    from crawler.extract.blocks import _attribute_mask, class_mask

    names = _class_names()
    for classes, ident in zip(names[:5000], reversed(names[-5000:]), strict=True):
        classes, ident = classes.upper() if len(classes) % 3 == 0 else classes, ident.title()
        want = class_mask(f"{classes} {ident}".lower())
        assert (_attribute_mask(classes) if classes else 0) | (_attribute_mask(ident) if ident else 0) == want
    assert _attribute_mask("ΑΣ") | _attribute_mask("Σα") == class_mask("ΑΣ Σα".lower())  # final sigma


@pytest.mark.parametrize("texts", [
    ["Hello, world. It's 2025!", "Привет, мир. Ёлка — 12 шт.", "x"],
    ["١٢٣ digits ٤ and 𝟙𝟚 (mathematical)", "Ends with a stop.\n", "Stop.\u3000Ideographic。space", "ÀÖØÞ×ß"],
    ["a\u00a0b\u2009c  d\te", " lead and trail ", "...", "\ud800 lone surrogate? yes!", "«Цитата» — “quote”"],
    ["\u0130STANBUL SHARE", "ſhare this", "\u1c80ОДПИСКА", "Subscribe to the newsletter", "ФОТО: Reuters"],
    [],
])
def test_a_blocks_characters_are_counted_as_the_patterns_count_them(texts: list[str]) -> None:
    import numpy as np

    from crawler.extract import blocks

    counts = blocks._character_counts(texts, np.asarray([len(t) for t in texts], dtype=np.float64))
    for i, text in enumerate(texts):
        assert counts[blocks._PUNCT_BIT][i] == len(blocks._PUNCT.findall(text))
        assert counts[blocks._DIGIT_BIT][i] == len(blocks._DIGIT.findall(text))
        assert counts[blocks._UPPER_BIT][i] == len(blocks._UPPER.findall(text))
        assert counts[blocks._COMMA_BIT][i] == text.count(",")
        assert counts[blocks._STOP_BIT][i] == len(blocks._SENTENCE.findall(text))
        assert counts[0][i] == len(text.split())
        assert bool(counts[blocks._CASE_ODD_BIT][i]) == (blocks._CASE_ODD.search(text) is not None)
        assert blocks._boiler_known(text, counts[blocks._CASE_ODD_BIT][i]) == blocks._boiler(text)


@pytest.mark.parametrize(("attributes", "hidden", "own"), [
    ("", False, ""),
    ('href="/a"', False, ""),  # attributes, none of them read
    ('class="entry-content"', False, "content"),
    ('id="comments"', False, "comment"),
    ('class="" id=""', False, ""),
    ('style="color: red"', False, ""),
    ('style="display: none"', True, ""),
    ('style=""', False, ""),
    ("hidden", True, ""),
    ('hidden=""', True, ""),
    ('aria-hidden="true"', True, ""),
    ('aria-hidden="false"', False, ""),
    ('aria-hidden=""', False, ""),
    ('data-class="share" xml:lang="en" data-style="display:none"', False, ""),  # other names holding the words
])
def test_a_blocks_element_is_read_by_the_attributes_it_has(attributes: str, hidden: bool, own: str) -> None:
    """The walk lists an element's attribute names before reading any: an absent one reads as ``get`` gives it."""
    import lxml.html

    from crawler.extract.blocks import _CLASS_WORDS, segment

    root = lxml.html.document_fromstring(f"<html><body><div><p {attributes}>Some words here.</p></div></body></html>")
    [block] = segment(root)[0]
    assert block.hidden is hidden
    groups = [name for n, (name, _) in enumerate(_CLASS_WORDS) if block.own_mask >> n & 1]
    assert groups == ([own] if own else [])


def test_ascii_text_is_normalised_as_through_nfc_and_the_invisible_characters() -> None:
    """ASCII text skips NFC and the invisible-character pass: the same text as through them."""
    import unicodedata

    from crawler.text import _INVISIBLE, normalize_text

    every = "".join(map(chr, range(128)))
    for text in (every, every[::-1] * 3, " a\tb \x1c c\x0b\x85 ", "", "   "):
        assert normalize_text(text) == " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text)).split())


@pytest.mark.parametrize("line", [
    "Share this article:", "Read more", "spot_img" * 30, "Spot_imgSPOT_IMG",
    "Teswirler (123456789012345678901234567890)",
    "teswirler (12):", "Save my name, email, and website in this browser for the next time I comment.",
    "Save my name, email, and website in this browser for the next time I comment. Or not.",
    "A paragraph of the story that is longer than any line of the interface and ends with popular", "",
])
def test_a_ui_line_is_judged_as_the_whole_rule_judges_it_at_any_length(line: str) -> None:
    from crawler.extract.boilerplate import _JS_NOTICE, _UI_LINE, is_plain_ui_line

    want = _UI_LINE.fullmatch(line) is not None or (len(line) <= 200 and _JS_NOTICE.fullmatch(line) is not None)
    assert is_plain_ui_line(line) is want


@pytest.mark.parametrize("classes", [
    "related-posts", "RELATED", "Most-Read box", "mostread", "ſidebar", "ſidebar-widget", "ТИКЕР ticker",
    "\u212aelated", "content", "", "td_block_related_posts", "also", "a-l-s-o",
])
def test_a_teaser_class_is_found_as_the_case_insensitive_rule_finds_it(classes: str) -> None:
    from lxml.html import fragment_fromstring

    from crawler.extract.page_regions import TEASER_CLASS, is_chrome_mark

    node = fragment_fromstring("<div></div>")
    node.set("class", classes)
    node.set("id", "Main")
    assert is_chrome_mark(node) is (TEASER_CLASS.search(f"{classes} Main") is not None)


@pytest.mark.parametrize("text", ["login", "log in", "catalog inside", "prologin", "blog index", "log\u00a0in",
                                  "all rights reserved", "reuters", "нет", "©", "photos", ""])
def test_the_furniture_words_trie_matches_where_the_lowercased_rule_does(text: str) -> None:
    import re

    from crawler.extract.blocks import _BOILER_LOWER, _BOILER_TEXT

    assert (_BOILER_LOWER.search(text) is None) is (re.search(_BOILER_TEXT.pattern.lower(), text) is None)


_STORY = "Water talks between the two countries resumed on Monday in the capital of the region. "


@pytest.mark.parametrize("paragraphs", [
    [_STORY * 3] * 12,  # a repeated paragraph past the sample is dropped as a duplicate either way
    [_STORY * 9, "Share:", _STORY * 9, "Read also: Snow closes the pass", _STORY * 9, _STORY * 9],
    ["Фото: Asia-Plus", *(f"{n}. {_STORY}" for n in range(40))],
    [_STORY * 23, _STORY * 23, "Share:", "  "],  # the first paragraph alone fills the sample
    ["Share:", "Popular", _STORY],  # shorter than the sample: every paragraph is cleaned
])
def test_the_judged_start_of_a_body_is_cleaned_as_the_whole_body_is(paragraphs: list[str]) -> None:
    from crawler.browser import SHELL_BODY_CHARS
    from crawler.extract.cleanup import kept_paragraphs
    from crawler.extract.language import SAMPLE_CHARS, detect_language

    whole, start = kept_paragraphs(paragraphs), kept_paragraphs(paragraphs, enough=SAMPLE_CHARS)
    assert whole[:len(start)] == start
    assert start == whole or sum(map(len, start)) >= SAMPLE_CHARS > sum(map(len, start[:-1]))
    # What extraction judges of them: the language of title and body, and a script shell's short body.
    for title in ("", "Water talks resume"):
        assert detect_language("\n".join([title, *start])) == detect_language("\n".join([title, *whole]))
    assert (sum(map(len, start)) < SHELL_BODY_CHARS) is (sum(map(len, whole)) < SHELL_BODY_CHARS)


def test_extraction_cleans_only_the_start_of_a_long_body(count_calls: CountCalls) -> None:
    import crawler.extract.cleanup as cleanup
    from crawler.extract.article import extract_article

    cleaned = count_calls(cleanup, "normalize_text")
    body = "".join(f"<p>{n}. {_STORY * 2}</p>" for n in range(60))
    extraction = extract_article(f"<html><body><article><h1>Water talks resume</h1>{body}</article></body></html>",
                                 "https://news.example.com/a", None)
    assert len(extraction.paragraphs) == 60 and extraction.language == "en"
    assert 0 < len(cleaned) < 20  # the paragraphs that fill the language sample, not all 60


def test_a_page_finds_its_headline_once_for_its_byline_and_date_readers(count_calls: CountCalls) -> None:
    from crawler.extract import header_date
    from crawler.extract.article import extract_article

    found = count_calls(header_date, "_headline")
    # No declared author or date: the bylines beside the headline and its dated meta line are read.
    html = ("<html><body><article><div class='meta'>Politics</div><h1>Water talks resume</h1>"
            "<div class='byline'>14 March 2025 · Anna Kim</div>" + f"<p>{_STORY * 3}</p>" * 3
            + "</article></body></html>")
    extraction = extract_article(html, "https://news.example.com/a", None)
    assert extraction.published is not None and extraction.published.date().isoformat() == "2025-03-14"
    assert len(found) == 1


# Page-wide searches with a predicate are written "/descendant::x[p]" (one walk of the tree), not "//x[p]" (a
# child step from every node): with no positional predicate the two select the same nodes.
_PAGE_WIDE = [
    ("crawler.extract.labelled_date", "_PUBDATE", "//time[@pubdate]/@datetime"),
    ("crawler.extract.date_noise", "_DATE_FIELDS",
     "//meta[@name or @property or @itemprop or @http-equiv] | //*[@itemprop][not(self::meta)]"),
    ("crawler.extract.date_noise", "_MARKED_UPDATED",
     "//*[@class][contains(@class, 'pdat') or contains(@class, 'odif')]"),
    ("crawler.extract.date_noise", "_WITH_URLS", "//*[@*[starts-with(., 'http') or starts-with(., '//')]]"),
    ("crawler.extract.date_noise", "_JSON_LD", "//script[contains(@type, 'ld+json')]"),
    ("crawler.extract.date_noise", "_UNSEEN",
     "//comment() | //style | //script[not(contains(@type, 'ld+json'))] | //noscript | //template"),
    ("crawler.extract.generic", "_LONG_VALUED", "//*[@*[string-length() > 1000]]"),
    ("crawler.extract.header_date", "_MARKED_HEADLINE", "(//*[@itemprop='headline'][not(self::meta)])[1]"),
    ("crawler.extract.shown_text", "_SHOWN",
     "(/html/body//text()[not(parent::script or parent::style or parent::noscript or parent::template)])"
     "[position() <= 20000]"),
]


@pytest.mark.parametrize(("module", "name", "written"), _PAGE_WIDE)
def test_a_page_wide_search_selects_what_its_descendant_or_self_form_does(module: str, name: str,
                                                                         written: str) -> None:
    import importlib

    from lxml import etree
    from lxml import html as lxml_html

    long_value = "x" * 1001
    root = lxml_html.fromstring(
        "<html><head><meta name='date' content='2025-03-14'><meta itemprop='datePublished' content='2025'>"
        "<script type='application/ld+json'>{}</script><script>var a;</script><style>p {}</style></head><body>"
        f"<div itemprop='headline'><span itemprop='headline'><time pubdate datetime='2025-03-14'>14</time></span>"
        f"</div><div class='updated pdate'><a href='https://e.com/' title='{long_value}'>a</a><!-- c -->"
        "<time pubdate datetime='2025-03-15'>15</time><noscript>n</noscript><template>t</template>"
        "<div class='modified'><img src='//e.com/i.jpg'></div></div></body></html>")
    found = getattr(importlib.import_module(module), name)(root)
    assert found and found == etree.XPath(written)(root)


def test_labelled_date_candidates_select_what_their_descendant_or_self_form_does() -> None:
    from lxml import etree
    from lxml import html as lxml_html

    from crawler.extract.labelled_date import _EXCLUDED, _candidates, _variables

    root = lxml_html.fromstring("<html><body><p>Published 14 March 2025</p><script>Published</script>"
                                "<div><span> Published: 15 March</span> Published tail</div></body></html>")
    forms = ("Published",)
    written = etree.XPath(f"//text()[(starts-with(normalize-space(.), $l0)) and {_EXCLUDED}]")
    found = _candidates(forms)(root, **_variables(forms))
    assert len(found) == 3 and found == written(root, **_variables(forms))
