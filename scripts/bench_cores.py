"""``scrapy reextract`` and ``scrapy export`` with 1 and 2 (``--processes 1,2``) processes, on one generated store.

    .venv/bin/python scripts/bench_cores.py [--pages 1000] [--articles 20000] [--processes 1,2]
                                            [--formats jsonl,csv,parquet]

The store (embedded, in a temporary DATA_DIR) holds ``--pages`` articles of a generated site (the crawl
benchmark's tagDiv-style pages, 100-200 KB each) with their stored pages, a quarter of them with a
stale title so re-extraction writes revisions; re-extraction runs on a fresh copy of that store for
each N. The export runs over ``--articles`` records (the extracted ones repeated under other URLs and
dates). Prints wall seconds, speed-up over the first N, CPU seconds of the whole process tree and of
the command's own process (sampled from /proc: the serial part, which no worker shares), their ratio
("bound": the most N processes could speed it up on idle cores), peak RSS of the largest process
(``/usr/bin/time -f %M``) and the load average before and after each run (other work on the machine
slows the runs and understates the speed-up), and checks that every N gives the same output (export:
the same bytes; reextract: the same records, reextraction times aside).
A development tool: it imports the crawl benchmark's page generator.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from bench_crawl import article_page, site_config  # noqa: E402

SITE, LANGUAGE = "benchcores", "ru"


@dataclass
class Timed:
    wall: float
    cpu: float
    parent_cpu: float  # of the command's own process: the part the workers cannot share
    rss_mb: float
    load: str


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(args: list[str], data_dir: Path, stdout: Path) -> Timed:
    """Run ``scrapy ARGS`` on the store in ``data_dir`` under ``/usr/bin/time``, its stdout into ``stdout``."""
    report = stdout.with_suffix(".time")
    before = loadavg()
    with stdout.open("wb") as out:
        timer = subprocess.Popen(["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(report), sys.executable, "-m",
                                  "scrapy", *args, "-s", f"DATA_DIR={data_dir}"], cwd=ROOT, stdout=out,
                                 stdin=subprocess.DEVNULL)
        parent = 0.0
        while timer.poll() is None:  # the command's own CPU (not its workers'), sampled until it ends
            parent = max(parent, own_cpu(timer.pid))
            time.sleep(0.05)
    if timer.returncode:
        raise SystemExit(f"scrapy {' '.join(args)} exited {timer.returncode}")
    wall, user, system, rss = report.read_text().split()[-4:]
    return Timed(float(wall), float(user) + float(system), parent, int(rss) / 1024, f"{before} -> {loadavg()}")


def own_cpu(timer: int) -> float:
    """CPU seconds so far of the child of process ``timer`` (``/usr/bin/time``'s command), without its children."""
    try:
        child = Path(f"/proc/{timer}/task/{timer}/children").read_text().split()[0]
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def build_store(data_dir: Path, config: Path, pages: int, articles: int) -> Path:
    """The re-extraction store in ``data_dir``; returns the export store (a copy with ``articles`` records)."""
    from crawler.reextract import Reextractor
    from crawler.sites import load_site_file
    from crawler.storage.store import ArticleStore, StoreTarget

    site, rng = load_site_file(config), random.Random(5)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    store = ArticleStore.connect(StoreTarget("", "news", str(data_dir)))
    try:
        for n in range(pages):
            published = now - timedelta(minutes=37 * n + 5)
            url = f"https://{SITE}.test/{published:%Y/%m/%d}/{SITE}-news-{n}/"
            html = article_page(SITE, LANGUAGE, n, url, published, rng)
            stub = {"url": url, "urls": [url], "site": SITE, "fetched_at": published + timedelta(minutes=3)}
            doc = Reextractor().fresh_document(stub, html, site, now)
            assert doc is not None, url
            if n % 4 == 0:
                doc["title"] = "Stale title"
            store.write_articles([doc], {doc["_id"]: html})
        records = [{k: v for k, v in d.items() if k != "html"} for d in store.db["articles"].find({})]
    finally:
        store.close()
    export_dir = data_dir.parent / "export"
    shutil.copytree(data_dir, export_dir)
    store = ArticleStore.connect(StoreTarget("", "news", str(export_dir)))
    try:
        for first in range(len(records), articles, 1000):
            copies = [_copy(records[k % len(records)], k) for k in range(first, min(first + 1000, articles))]
            store.db["articles"].insert_many(copies)
    finally:
        store.close()
    return export_dir


def _copy(record: dict[str, Any], k: int) -> dict[str, Any]:
    url = f"{record['url']}copy-{k}/"
    shift = timedelta(hours=k)
    return {**record, "_id": hashlib.sha256(url.encode()).hexdigest(), "url": url, "urls": [url],
            "published": record["published"] - shift, "fetched_at": record["fetched_at"] - shift,
            "first_seen": record["first_seen"] - shift, "story_cluster": url}


def stored_records(data_dir: Path) -> str:
    """Every stored record, reextraction times left out: the same text for the same re-extraction."""
    from crawler.export.records import plain
    from crawler.reextract import records_as_reextracted
    from crawler.storage.store import ArticleStore, StoreTarget

    store = ArticleStore.connect(StoreTarget("", "news", str(data_dir)))
    try:
        return str(plain(records_as_reextracted(store)))
    finally:
        store.close()


def line(name: str, n: int, run: Timed, first: Timed, same: bool) -> str:
    return (f"{name:<16} {n:>2} {run.wall:7.1f} s {first.wall / run.wall:5.2f}x {run.cpu:7.1f} s "
            f"{run.parent_cpu:7.1f} s {run.cpu / max(run.parent_cpu, 0.01):5.2f}x {run.rss_mb:6.0f} MB  "
            f"{'same' if same else 'DIFFERENT'}  load {run.load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="articles with a stored page (re-extracted)")
    parser.add_argument("--articles", type=int, default=20000, help="articles exported")
    parser.add_argument("--processes", default="1,2", help="comma-separated process counts")
    parser.add_argument("--formats", default="jsonl,csv,parquet", help="export formats")
    parser.add_argument("--store", type=Path, metavar="DIR",
                        help="keep the built stores in DIR and reuse them when there (compare two trees on one store)")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / f"{SITE}.toml"
        config.write_text(site_config(SITE, LANGUAGE), encoding="utf-8")
        kept = args.store / f"{args.pages}-{args.articles}" if args.store else None
        if kept is not None and (kept / "export").is_dir():
            shutil.copytree(kept / "store", work / "store")
            export_dir = kept / "export"  # only read
        else:
            export_dir = build_store(work / "store", config, args.pages, args.articles)
            if kept is not None:
                shutil.copytree(work / "store", kept / "store")
                shutil.copytree(export_dir, kept / "export")
        print(f"store: {args.pages} articles with pages (re-extracted), {args.articles} exported; "
              f"load average {loadavg()}\n{'command':<16} {'N':>2} {'wall':>9} {'speed-up':>6} {'CPU':>9} "
              f"{'parent':>9} {'bound':>6} {'peak RSS':>9}", flush=True)
        for name in ["reextract", *args.formats.split(",")]:
            first, reference = None, None
            for n in counts:
                out = work / f"{name}-{n}.out"
                if name == "reextract":
                    data_dir = work / f"reextract-{n}"
                    shutil.copytree(work / "store", data_dir)
                    run = timed(["reextract", f"--config={config}", f"--processes={n}"], data_dir, out)
                    result = stored_records(data_dir)
                else:
                    run = timed(["export", f"--format={name}", f"--processes={n}"], export_dir, out)
                    result = hashlib.sha256(out.read_bytes()).hexdigest()
                first, reference = first or run, reference or result
                print(line(name if name == "reextract" else f"export {name}", n, run, first, result == reference),
                      flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
