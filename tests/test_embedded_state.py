"""A script-built page (Next.js rendered in the browser) whose article is only in its embedded state: the body is
read from ``__NEXT_DATA__``, not from the skeleton's menu, and the page is no script shell to render in Chromium."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crawler.extract.article import extract_article
from crawler.sites import GENERIC

TITLE = "Toshkentda yangi metro bekatlari ochildi"
PARAGRAPHS = [
    "Poytaxtda Yer usti halqa metro liniyasining yangi uchastkasi foydalanishga topshirildi. Uchastka to‘rtta "
    "bekatdan iborat bo‘lib, uning umumiy uzunligi 7,1 kilometrni tashkil etadi.",
    "Yangi bekatlar Sergeli va Yangihayot tumanlarida joylashgan. Ular orqali kuniga 40 mingdan ortiq yo‘lovchi "
    "tashilishi kutilmoqda.",
    "Toshkent metropoliteni ma’lumotiga ko‘ra, bekatlarda nogironligi bo‘lgan shaxslar uchun liftlar va pandus "
    "o‘rnatilgan.",
]
RELATED = "".join(f"<p>Boshqa yangilik: Samarqandda yangi aeroport terminali qurilmoqda, {n}-qism.</p>"
                  for n in range(12))  # a longer teaser's HTML, of another story


def next_page(state: Any, main: str = '<div class="Skeleton_line__z"></div>') -> str:
    data = state if isinstance(state, str) else json.dumps(state, ensure_ascii=False)
    return (f'<!DOCTYPE html><html lang="uz"><head><meta charSet="utf-8"/><title>{TITLE} | UzA</title>'
            f'<meta property="og:title" content="{TITLE}"/><meta property="og:type" content="article"/>'
            '<script src="/_next/static/chunks/main-456.js" defer=""></script></head><body><div id="__next">'
            '<header><a href="/">UzA</a><nav><a href="/uz/category/jamiyat">Jamiyat</a>'
            '<a href="/uz/category/iqtisodiyot">Iqtisodiyot</a></nav></header>'
            f'<main>{main}</main><footer>© 2025 O‘zbekiston milliy axborot agentligi</footer></div>'
            f'<script id="__NEXT_DATA__" type="application/json">{data}</script></body></html>')


def state(content: str = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)) -> dict[str, Any]:
    return {"props": {"pageProps": {
        "related": [{"title": "Samarqandda yangi aeroport", "content": RELATED}],
        "news": {"id": 87123, "title": TITLE, "content": content, "author": {"full_name": "Dilshod Rahimov"}},
    }}, "page": "/[lang]/news/[slug]", "buildId": "abc123"}


def extract(html: str) -> Any:
    return extract_article(html, "https://uza.example.uz/uz/posts/87123", GENERIC)


def test_the_body_of_a_script_built_page_is_read_from_its_embedded_state() -> None:
    extraction = extract(next_page(state()))
    assert extraction.paragraphs == PARAGRAPHS  # the story the page names, not the longer teaser
    assert extraction.sources["body"] == "state" and not extraction.script_shell


def test_a_page_rendered_on_the_server_is_read_from_its_html() -> None:
    shown = "".join(f"<p>{p}</p>" for p in [*PARAGRAPHS, "Qurilish ishlari 2023-yilda boshlangan edi."])
    extraction = extract(next_page(state(), f"<article><h1>{TITLE}</h1>{shown}</article>"))
    assert extraction.sources["body"] == "generic" and extraction.paragraphs[-1].startswith("Qurilish")


@pytest.mark.parametrize("data", [
    '{"props": {"pageProps": {"news": {"content": "<p>cut',  # broken JSON
    "[" * 100_000 + "]" * 100_000,  # nested past the parser's recursion limit
    {"props": {"pageProps": {"news": {"title": TITLE, "content": "<p>Qisqa.</p>"}}}},  # no article in it
], ids=["broken", "deep", "no-article"])
def test_a_state_without_an_article_changes_nothing(data: Any) -> None:
    extraction = extract(next_page(data))
    assert extraction.sources.get("body") != "state" and extraction.script_shell
