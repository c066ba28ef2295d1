"""Whether a learned chooser between our headline and the declared title would beat the rules, held out.

``python scripts/title_chooser_eval.py [--data DIR]`` takes the wcxb-dev pages where our title and the
declared title most declared sources agree on (site names stripped) say different words and the truth is one
of the two, computes features of the pair (the ``<h1>``'s count, class and place, word overlap, years, colons,
the URL slug's words, whether the page shows the declared title), and scores a logistic regression by leaving
one page out at a time, at several regularisations and thresholds, beside "keep ours". Nothing ships from
here: it prints how many pages each choice gets right (session 13: 119-121 of 154 against 119 for ours).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.bench.extraction import DEFAULT_DATA, load_pages
from crawler.bench.scoring import _plain
from crawler.extract import article, titles
from crawler.extract.page import PageView, declared_site_names
from crawler.extract.shown_text import NOT_SHOWN, bounded_text
from crawler.sites import GENERIC

_YEAR = re.compile(r"\b20\d\d\b")
_HEADLINE_CLASS = ("title", "headline", "entry", "post")


def _slug_share(title: str, url: str) -> float:
    """The share of the title's and the URL's last path segment's words they have in common."""
    slug = re.sub(r"\.\w+$", "", urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]).lower()
    words, slug_words = set(titles.key(title).split()), {w for w in re.split(r"[-_]+", slug) if w}
    return len(words & slug_words) / len(words | slug_words) if words and slug_words else 0.0


def _features(page: PageView, ours: str, best: str, agreeing: int) -> list[float]:
    body = page.sel.root.find("body")
    text = titles.key(bounded_text(body, 200_000, hidden=NOT_SHOWN)) if body is not None else ""
    ours_key, best_key = titles.key(ours), titles.key(best)
    h1s = page.sel.root.xpath("//h1")
    h1 = next((h for h in h1s if titles.key(titles.shown_text(h)) == ours_key), None)
    classes = (h1.get("class") or "").lower() if h1 is not None else ""
    ours_words, best_words = titles._content_words(ours), titles._content_words(best)
    return [
        float(np.log1p(len(h1s))), len(ours.split()) / 10, len(best.split()) / 10,
        len(ours_words & best_words) / max(1, len(ours_words | best_words)),
        float(bool(_YEAR.search(best)) and not _YEAR.search(ours)),
        float(bool(_YEAR.search(ours)) and not _YEAR.search(best)),
        float(h1 is not None and bool(h1.xpath("ancestor::article or ancestor::main"))),
        float(any(word in classes for word in _HEADLINE_CLASS)), float(bool(best_key) and best_key in text),
        text.find(ours_key) / max(1, len(text)) if ours_key in text else 1.0, agreeing / 4,
        float(ours_key in best_key or best_key in ours_key), float(":" in best), float(":" in ours),
        _slug_share(ours, page.url), _slug_share(best, page.url),
    ]


def dataset(data: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1: the truth is the declared title, 0: it is ours) of the pages in dispute."""
    seen: dict[str, PageView] = {}
    read = article.page_title

    def spy(page: PageView) -> titles.Candidate | None:
        seen["page"] = page
        return read(page)

    article.page_title = spy  # the parsed page, as the extractor saw it
    rows, labels = [], []
    try:
        for item in load_pages(data / "wcxb-dev"):
            if not item.title:
                continue
            ours = article.extract_article(item.html, item.url, GENERIC).title or ""
            page = seen["page"]
            names = titles.site_name_keys(declared_site_names(page), page.url)
            headline = page.data.article.get("headline")
            declared = [headline if isinstance(headline, str) else "", page.data.first_meta("og:title") or "",
                        page.data.first_meta("twitter:title") or "", *page.css("title::text", 1).getall()]
            stripped = [titles.strip_title(d, names) for d in declared if d.strip()]
            keys = [titles.key(s) for s in stripped]
            if not stripped:
                continue
            best = stripped[max(range(len(keys)), key=lambda i: (keys.count(keys[i]), -i))]
            truth = _plain(item.title)
            if titles.key(best) == titles.key(ours) or truth not in (_plain(best), _plain(ours)):
                continue
            rows.append(_features(page, ours, best, keys.count(titles.key(best))))
            labels.append(int(truth == _plain(best)))
    finally:
        article.page_title = read
    return np.array(rows, dtype=float), np.array(labels)


def _fit(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Logistic regression weights (bias last) by Newton's method."""
    xb = np.c_[x, np.ones(len(x))]
    w = np.zeros(xb.shape[1])
    penalty = np.r_[np.ones(len(w) - 1), 0.0] * l2 / len(y)
    for _ in range(50):
        p = 1 / (1 + np.exp(-xb @ w))
        gradient = xb.T @ (p - y) / len(y) + penalty * w
        hessian = (xb.T * (p * (1 - p))) @ xb / len(y) + np.diag(penalty)
        w -= np.linalg.solve(hessian, gradient)
    return w


def leave_one_out(x: np.ndarray, y: np.ndarray, l2: float, threshold: float) -> tuple[int, int, int]:
    """Pages chosen right when each is scored by a model fitted on all the others, and of the pages where it
    takes the declared title, how many that wins and loses."""
    right = won = lost = 0
    for i in range(len(y)):
        rest = np.arange(len(y)) != i
        w = _fit(x[rest], y[rest], l2)
        declared = int(1 / (1 + np.exp(-np.r_[x[i], 1.0] @ w)) > threshold)
        right += declared == y[i]
        won, lost = won + (declared and y[i] == 1), lost + (declared and y[i] == 0)
    return right, won, lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    x, y = dataset(args.data)
    print(f"pages in dispute: {len(y)}; keep ours: {int((y == 0).sum())} right")
    for l2 in (1.0, 10.0):
        for threshold in (0.5, 0.6, 0.7):
            right, won, lost = leave_one_out(x, y, l2, threshold)
            print(f"logistic l2={l2:g} threshold={threshold}: {right} right (declared taken: {won} won, {lost} lost)")


if __name__ == "__main__":
    main()
