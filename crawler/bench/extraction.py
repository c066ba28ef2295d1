"""Score body extraction on a benchmark folder, ours beside trafilatura and newspaper4k.

``python -m crawler.bench.extraction [--data DIR] [--sets aeb-dev,wcxb-dev]
[--extractors ours,trafilatura,newspaper4k] [--limit N]`` prints, per set and
extractor: pages, precision, recall, F1, exact-match accuracy, median and mean
milliseconds per page, for ours the share of correct publication days, and for
extractors that give them title and author exact matches (on the pages whose truth
has a title / names authors; :mod:`crawler.bench.scoring` says how they compare).
A publication day is the day in the offset the page states (:func:`local_day`); ``--date-misses``
lists, instead of scores, the pages whose day ours gets wrong (id, URL, truth, ours, source, raw string);
``--title-misses`` the pages whose title ours gets wrong (id, kind of miss, truth, ours, the candidates).
``--author-misses`` the pages that name authors whose names ours gets wrong (id, kind of miss, truth, ours, source);
``--profile`` the CPU milliseconds (process time, robust to a loaded machine) ours spends per page in each
stage of extraction, median and mean (:data:`STAGES`; indented stages run inside the one above them).
The data is ``../shared/benchmarks/article-extraction`` beside the development
checkout, or ``$BENCHMARK_DATA`` (``<set>/ground-truth.json``, ``<set>/html/<id>.html.gz``).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.bench.scoring import Matches, Score

if TYPE_CHECKING:
    from crawler.extract.result import Extraction

DEFAULT_DATA = Path(os.environ.get("BENCHMARK_DATA") or
                    Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "article-extraction")


@dataclass
class Page:
    id: str
    url: str
    html: str
    body: str
    published: str | None
    title: str | None = None
    author: str | None = None  # several names joined as the page shows them


# An extractor gives (body text, publication day) or (body, day, title, authors).
Extractor = Callable[[Page], tuple[Any, ...]]


def load_pages(folder: Path, limit: int | None = None) -> Iterator[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for n, (page_id, record) in enumerate(sorted(truth.items())):
        if limit is not None and n >= limit:
            return
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        yield Page(page_id, record.get("url", ""), html, record.get("articleBody", ""), record.get("datePublished"),
                   record.get("title"), record.get("author"))


def ours(page: Page) -> tuple[str, str | None, str | None, list[str]]:
    from crawler.extract.article import extract_article
    from crawler.sites import GENERIC

    # The generic path alone, even for a page of a configured site (a benchmark measures the generic rules).
    extraction = extract_article(page.html, page.url, GENERIC)
    paragraphs = cleaned(extraction)
    return "\n".join(paragraphs), local_day(extraction.published, extraction.published_raw), extraction.title, \
        extraction.authors


def cleaned(extraction: Extraction) -> list[str]:
    """The body paragraphs cleaning keeps (as the crawl stores them)."""
    from crawler.extract.cleanup import clean_paragraphs

    return clean_paragraphs(extraction.paragraphs, [dict(image) for image in extraction.images],
                            authors=extraction.authors)[0]


def local_day(published: datetime | None, raw: str | None) -> str | None:
    """The publication's calendar day where it was published: in the offset its raw ISO string states
    ("2025-12-19T01:00:00+05:30" is the 19th, though 18 December in UTC), else in UTC."""
    if published is None:
        return None
    try:
        stated = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return published.date().isoformat()
    return (stated if stated.tzinfo is not None and stated == published else published).date().isoformat()


def trafilatura_default(page: Page) -> tuple[str, str | None]:
    import trafilatura

    return trafilatura.extract(page.html, url=page.url) or "", None


def newspaper4k(page: Page) -> tuple[str, str | None, str | None, list[str]]:
    import newspaper

    config = newspaper.Config()
    config.fetch_images = False  # otherwise it downloads images to rank them
    config.memoize_articles = False
    article = newspaper.Article(page.url or "http://example.com/", config=config)
    article.download(input_html=page.html)
    article.parse()
    published = article.publish_date.date().isoformat() if article.publish_date else None
    return article.text or "", published, article.title, list(article.authors)


EXTRACTORS: dict[str, Extractor] = {
    "ours": ours, "trafilatura": trafilatura_default, "newspaper4k": newspaper4k,
}
LIBRARIES = {"trafilatura": "trafilatura", "newspaper4k": "newspaper"}  # what each peer imports


def missing_libraries(extractors: list[str]) -> list[str]:
    """The peers among ``extractors`` whose library is not installed (they would score zero on every page)."""
    return [name for name in extractors if name in LIBRARIES and importlib.util.find_spec(LIBRARIES[name]) is None]


@dataclass
class Result:
    score: Score = field(default_factory=Score)
    millis: list[float] = field(default_factory=list)
    dates_right: int = 0
    dates_found: int = 0
    dates_total: int = 0
    titles: Matches = field(default_factory=Matches)
    authors: Matches = field(default_factory=Matches)

    def add(self, page: Page, extractor: Extractor) -> None:
        started = time.perf_counter()
        try:
            text, published, *meta = extractor(page)
        except Exception:  # a crashing extractor scores an empty prediction on that page
            text, published, meta = "", None, [None, []]
        self.millis.append((time.perf_counter() - started) * 1000)
        if meta and page.title:
            self.titles.add(meta[0] or "", page.title)
        if meta and page.author:
            self.authors.add(", ".join(meta[1] or []), page.author, names=True)
        self.score.add(text, page.body)
        if page.published:
            self.dates_total += 1
            self.dates_found += published is not None
            self.dates_right += published == page.published[:10]

    def row(self) -> dict[str, Any]:
        s = self.score
        row = {"pages": s.pages, "precision": s.precision, "recall": s.recall, "f1": s.f1, "accuracy": s.accuracy,
               "median_ms": statistics.median(self.millis), "mean_ms": statistics.fmean(self.millis)}
        if self.dates_total:
            row |= {"date_accuracy": self.dates_right / self.dates_total,
                    "date_coverage": self.dates_found / self.dates_total}
        for name, matches in (("title", self.titles), ("author", self.authors)):
            if matches.pages:
                row |= {f"{name}_exact": matches.exact_share, f"{name}_f1": matches.f1, f"{name}_pages": matches.pages}
        return row


def run(data: Path, sets: list[str], extractors: list[str], limit: int | None) -> dict[str, dict[str, Result]]:
    results: dict[str, dict[str, Result]] = {}
    for name in sets:
        results[name] = {e: Result() for e in extractors}
        for page in load_pages(data / name, limit):
            for extractor in extractors:
                results[name][extractor].add(page, EXTRACTORS[extractor])
    return results


def date_misses(data: Path, sets: list[str], limit: int | None) -> Iterator[str]:
    """One tab-separated line per page whose publication day ours gets wrong: set, id, URL, truth, ours,
    the source of ours and its raw string."""
    from crawler.extract.article import extract_article
    from crawler.sites import GENERIC

    for name in sets:
        for page in load_pages(data / name, limit):
            if not page.published:
                continue
            extraction = extract_article(page.html, page.url, GENERIC)
            day = local_day(extraction.published, extraction.published_raw)
            if day != page.published[:10]:
                yield "\t".join((name, page.id, page.url, page.published, day or "-",
                                 extraction.sources.get("published", "-"), extraction.published_raw or "-"))


def _title_miss_kind(truth: str, ours: str, candidates: list[str]) -> str:
    """What kind of miss: ``norm`` (same words, other quotes/dashes/case), ``extra`` (ours holds the truth plus
    a site name or label), ``short`` (ours is part of the truth), ``candidate`` (a candidate says the truth but
    another was chosen), ``absent`` (no candidate holds the truth), else ``other``."""
    from crawler.extract.titles import key

    true, got = key(truth), key(ours)
    if true == got:
        return "norm"
    if got and true and true in got:
        return "extra"
    if got and true and got in true:
        return "short"
    if any(key(c) == true for c in candidates):
        return "candidate"
    if not any(true in key(c) for c in candidates):
        return "absent"
    return "other"


def title_misses(data: Path, sets: list[str], limit: int | None) -> Iterator[str]:
    """One tab-separated line per page whose title ours gets wrong: set, id, kind of miss (see
    :func:`_title_miss_kind`), truth, ours, its source, then the candidates: each ``<h1>``, og:title,
    the JSON-LD headline and ``<title>``."""
    from crawler.bench.scoring import Matches
    from crawler.extract.article import extract_article
    from crawler.extract.structured import read_structured
    from crawler.extract.titles import shown_text
    from crawler.htmltree import html_selector
    from crawler.sites import GENERIC

    for name in sets:
        for page in load_pages(data / name, limit):
            if not page.title:
                continue
            extraction = extract_article(page.html, page.url, GENERIC)
            check = Matches()
            check.add(extraction.title or "", page.title)
            if check.exact:
                continue
            sel = html_selector(page.html)
            structured = read_structured(sel)
            headline = structured.article.get("headline")
            candidates = {
                "h1": [shown_text(node.root) for node in sel.css("h1")[:8]],
                "og": [structured.first_meta("og:title") or ""],
                "jsonld": [headline if isinstance(headline, str) else ""],
                "title": sel.css("title::text").getall()[:1],
            }
            texts = [text for values in candidates.values() for text in values if text]
            kind = _title_miss_kind(page.title, extraction.title or "", texts)
            shown = " ".join(f"{k}={values!r}" for k, values in candidates.items())
            yield "\t".join((name, page.id, kind, repr(page.title), repr(extraction.title),
                              extraction.sources.get("title", "-"), shown))


# (module, function, depth) of each stage timed by --profile: names looked up at call time in their module,
# so replacing the module's attribute times every call; a deeper stage runs inside the shallower one above it.
STAGES: tuple[tuple[str, str, int], ...] = (
    ("crawler.extract.article", "html_selector", 0),
    ("crawler.extract.article", "read_structured", 0),
    ("crawler.extract.article", "_title", 0),
    ("crawler.extract.article", "page_authors", 0),
    ("crawler.extract.article", "_published", 0),
    ("crawler.extract.article", "header_date", 1),
    ("crawler.extract.article", "labelled_date", 1),
    ("crawler.extract.article", "_overrules", 1),
    ("crawler.extract.article", "load_html", 1),
    ("crawler.extract.article", "drop_chrome", 1),
    ("crawler.extract.article", "_htmldate", 1),
    ("crawler.extract.article", "_generic_dates", 1),
    ("crawler.extract.article", "_modified", 0),
    ("crawler.extract.article", "_featured_image", 0),
    ("crawler.extract.article", "_body", 0),
    ("crawler.extract.generic", "segment", 1),  # the generic body model: blocks, their features, the forests
    ("crawler.extract.generic", "features", 1),
    ("crawler.extract.generic", "body_probabilities", 1),
    ("crawler.extract.generic", "choose", 1),
    ("crawler.extract.article", "kept_paragraphs", 0),
    ("crawler.extract.article", "looks_like_script_shell", 0),
    ("crawler.extract.article", "_language", 0),
    ("crawler.extract.article", "_canonical", 0),
    ("crawler.extract.article", "_translations", 0),
    # This module's own name: ``__main__`` under ``python -m``, whose ``ours`` is the one that runs.
    (__name__, "cleaned", 0),  # kept_paragraphs runs the same cleaning inside extraction
)


def profile(data: Path, sets: list[str], limit: int | None) -> Iterator[str]:
    """Per set, one line per stage of ours (:data:`STAGES`, then ``other`` and ``total``): CPU milliseconds
    per page, median and mean, and the share of the total."""
    import importlib

    from crawler.extract.article import warm_up

    warm_up()
    spent: dict[str, float] = {}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.process_time() - started) * 1000
        return run

    originals = [(importlib.import_module(module), name) for module, name, _ in STAGES]
    saved = [getattr(module, name) for module, name in originals]
    for (module, name), function in zip(originals, saved, strict=True):
        setattr(module, name, timed(name, function))
    try:
        for set_name in sets:
            per_page: dict[str, list[float]] = {name: [] for name in [*(n for _, n, _ in STAGES), "other", "total"]}
            for page in load_pages(data / set_name, limit):
                spent.clear()
                started = time.process_time()
                ours(page)
                total = (time.process_time() - started) * 1000
                for _, name, _ in STAGES:
                    per_page[name].append(spent.get(name, 0.0))
                per_page["other"].append(total - sum(spent.get(name, 0.0) for _, name, depth in STAGES if depth == 0))
                per_page["total"].append(total)
            mean_total = statistics.fmean(per_page["total"])
            yield f"{set_name} ({len(per_page['total'])} pages): CPU ms per page   median     mean   share"
            depths = {name: depth for _, name, depth in STAGES}
            for name, values in per_page.items():
                label = "  " * depths.get(name, 0) + name
                yield (f"  {label:34} {statistics.median(values):8.2f} {statistics.fmean(values):8.2f} "
                       f"{statistics.fmean(values) / mean_total:7.1%}")
    finally:
        for (module, name), function in zip(originals, saved, strict=True):
            setattr(module, name, function)
def author_misses(data: Path, sets: list[str], limit: int | None) -> Iterator[str]:
    """One tab-separated line per page naming authors whose names ours gets wrong: set, id, the kind of
    miss, truth, ours (names joined with " | ") and the method ours came from."""
    from crawler.bench.scoring import author_names
    from crawler.extract.article import extract_article
    from crawler.sites import GENERIC

    for name in sets:
        for page in load_pages(data / name, limit):
            if not page.author:
                continue
            extraction = extract_article(page.html, page.url, GENERIC)
            truth, got = author_names(page.author), author_names(", ".join(extraction.authors))
            if truth != got:
                yield "\t".join((name, page.id, _author_miss_kind(truth, got), page.author,
                                 " | ".join(extraction.authors) or "-", extraction.sources.get("authors", "-")))


def _author_miss_kind(truth: list[str], got: list[str]) -> str:
    """What went wrong, roughly: none found, extra or missing names, the same names in another order or
    case, duplicates, or other names."""
    fold = [n.casefold() for n in got]
    if not got:
        return "none"
    if len(set(fold)) < len(fold):
        return "duplicate"
    if sorted(fold) == sorted(n.casefold() for n in truth):
        return "order" if fold != [n.casefold() for n in truth] else "case"
    if set(truth) < set(got):
        return "extra"
    if set(got) < set(truth):
        return "missing"
    joined, found = " ".join(truth).casefold(), " ".join(got).casefold()
    if joined in found or found in joined:
        return "partial"
    return "other"


def _format(results: dict[str, dict[str, Result]]) -> str:
    lines = [f"{'set':10} {'extractor':12} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'exact':>6} "
             f"{'ms med':>7} {'ms mean':>7} {'date ok':>7} {'date cov':>8} {'title':>6} {'author':>6}"]
    for name, by_extractor in results.items():
        for extractor, result in by_extractor.items():
            r = result.row()
            dates = (f"{r['date_accuracy']:7.3f} {r['date_coverage']:8.3f}" if "date_accuracy" in r else f"{'–':>16}")
            meta = " ".join(f"{r[f'{k}_exact']:6.3f}" if f"{k}_exact" in r else f"{'–':>6}"
                            for k in ("title", "author"))
            lines.append(f"{name:10} {extractor:12} {r['pages']:5d} {r['precision']:6.3f} {r['recall']:6.3f} "
                         f"{r['f1']:6.3f} {r['accuracy']:6.3f} {r['median_ms']:7.1f} {r['mean_ms']:7.1f} "
                         f"{dates} {meta}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", default="aeb-dev,wcxb-dev")
    parser.add_argument("--extractors", default="ours,trafilatura,newspaper4k")
    parser.add_argument("--limit", type=int, default=None, help="pages per set")
    parser.add_argument("--date-misses", action="store_true", help="list the pages whose publication day ours misses")
    parser.add_argument("--title-misses", action="store_true", help="list the pages whose title ours misses")
    parser.add_argument("--profile", action="store_true", help="CPU ms per page of each stage of ours")
    parser.add_argument("--author-misses", action="store_true", help="list the pages whose authors ours misses")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no benchmark data at {args.data}")
    listings = {"date_misses": date_misses, "title_misses": title_misses, "author_misses": author_misses,
                "profile": profile}  # each prints its lines instead of the scores
    for option, lines in listings.items():
        if getattr(args, option):
            sys.stdout.writelines(line + "\n" for line in lines(args.data, args.sets.split(","), args.limit))
            return 0
    extractors = args.extractors.split(",")
    if unknown := [name for name in extractors if name not in EXTRACTORS]:
        parser.error(f"unknown extractor {', '.join(unknown)}: choose from {', '.join(EXTRACTORS)}")
    if missing := missing_libraries(extractors):
        parser.error(f"{', '.join(missing)} not installed: pip install -e '.[bench]' (or leave it out of --extractors)")
    results = run(args.data, args.sets.split(","), extractors, args.limit)
    sys.stdout.write(_format(results) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
