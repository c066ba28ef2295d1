"""Extraction time on generated hostile pages, and the cost of extracting off the event loop.

    .venv/bin/python scripts/bench_hostile_extract.py [--timeout 120] [--shapes paragraphs,links]
                                                      [--overhead-pages 200]

Each hostile shape of ``tests/hostile_shapes.py`` (150,000 paragraphs, 5,000 nested divs,
100,000 links, a 5 MB text node, 20,000 dates, 50,000 JSON-LD blocks, a million JSON-LD
keywords, a 20,000-row table) is extracted once with a site's rules and once by the generic
extractor alone, each in a fresh process (so a run that takes minutes can be cut at
``--timeout``), after a warm-up; prints seconds per page and what came out. Then a normal
150 KB article page is extracted ``--overhead-pages`` times in this process and through an
:class:`~crawler.extract.pool.ExtractionPool` worker, and the per-page difference is printed
(wall time, and CPU of this process: the event loop's share). A development tool: it imports
the test page generators.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_SHAPE = """
import sys, time
sys.path.insert(0, {root!r})
from crawler.bench.hostile_shapes import CONFIG, SHAPES, URL, paragraphs
from crawler.sites import GENERIC, load_site_file
from crawler.extract.article import extract_article
build, size = SHAPES[{shape!r}]
site = GENERIC
if {with_site!r}:
    with open({config!r}, "w", encoding="utf-8") as out:
        out.write(CONFIG)
    site = load_site_file({config!r})
extract_article(paragraphs(50), URL, site)  # warm: models load once per process
html = build(size)
started = time.perf_counter()
record = extract_article(html, URL, site)
seconds = time.perf_counter() - started
print(f"{{seconds:.2f}} {{len(html) / 1e6:.1f}} {{len(record.paragraphs)}} {{sum(map(len, record.paragraphs))}} "
      f"{{len(record.tags)}}")
"""


def shape_row(shape: str, with_site: bool, timeout: float, config: str) -> str:
    code = ONE_SHAPE.format(root=str(ROOT), shape=shape, with_site=with_site, config=config)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s (cut)"
    if done.returncode:
        return "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:80]
    seconds, megabytes, paragraphs, chars, tags = done.stdout.split()
    return f"{seconds:>6} s  ({megabytes} MB page; {paragraphs} paragraphs, {chars} chars, {tags} tags)"


def normal_page() -> str:
    """A 150 KB article page: a real body among a theme's menus, teasers and scripts."""
    from crawler.bench.hostile_shapes import SENTENCE, page

    body = "".join(f"<p>{SENTENCE} {n}</p>" for n in range(40))
    chrome = "".join(f"<li class='menu-item'><a href='/news/{n}/'>Новость номер {n} о событиях дня</a></li>"
                     for n in range(1_400))
    script = "<script>" + "var x = 1;" * 2_000 + "</script>"
    return page(body, outside=f"<nav><ul>{chrome}</ul></nav>{script}")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def compare(html: str, pages: int) -> tuple[list[float], list[float], float, float, float]:
    """Per-page wall times in this process and through a worker, alternating (the host's load drifts),
    and the CPU seconds of in-process pages, of this process for worker pages, and of the worker."""
    from crawler.bench.hostile_shapes import URL
    from crawler.extract.article import extract_article
    from crawler.extract.pool import ExtractionPool
    from crawler.limits import RecordLimits

    pool = ExtractionPool(None, RecordLimits(), workers=1, budget=60)
    try:
        await pool.extract(html, URL, datetime.now(UTC))  # started and warm
        extract_article(html, URL)
        (worker,) = pool.pids
        inline, pooled, inline_cpu, parent_cpu = [], [], 0.0, 0.0
        worker_cpu = _cpu_seconds(worker)
        for _ in range(pages):
            started, cpu = time.perf_counter(), time.process_time()
            extract_article(html, URL)
            inline.append(time.perf_counter() - started)
            inline_cpu += time.process_time() - cpu
            started, cpu = time.perf_counter(), time.process_time()
            await pool.extract(html, URL, datetime.now(UTC))
            pooled.append(time.perf_counter() - started)
            parent_cpu += time.process_time() - cpu
        return inline, pooled, inline_cpu, parent_cpu, _cpu_seconds(worker) - worker_cpu
    finally:
        pool.close()


def overhead(pages: int) -> None:
    html = normal_page()
    inline, pooled, inline_cpu, parent_cpu, worker_cpu = asyncio.run(compare(html, pages))
    inline_ms, pool_ms = statistics.median(inline) * 1000, statistics.median(pooled) * 1000
    print(f"normal page ({len(html) / 1024:.0f} KB), median of {pages}: in process {inline_ms:.1f} ms, "
          f"through a worker {pool_ms:.1f} ms ({pool_ms - inline_ms:+.2f} ms per page)")
    print(f"CPU per page: in process {inline_cpu * 1000 / pages:.1f} ms; with a worker "
          f"{parent_cpu * 1000 / pages:.2f} ms in the crawl process + {worker_cpu * 1000 / pages:.1f} ms in the worker")


def main() -> int:
    from crawler.bench.hostile_shapes import SHAPES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before one extraction is cut")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shapes")
    parser.add_argument("--overhead-pages", type=int, default=200, help="normal pages for the overhead (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = str(Path(tmp) / "hostile.toml")
        for shape in args.shapes.split(","):
            for with_site in (True, False):
                row = shape_row(shape, with_site, args.timeout, config)
                print(f"{shape:16} {'site rules' if with_site else 'generic':10} {row}", flush=True)
    if args.overhead_pages:
        overhead(args.overhead_pages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
