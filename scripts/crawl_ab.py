"""A/B pairs of whole crawls: one generated site crawled by two source trees in turn, and their stores compared.

    .venv/bin/python scripts/crawl_ab.py run OUT base=/path/to/old/tree new=. [--rounds 2] [--articles 1000]
    .venv/bin/python scripts/crawl_ab.py compare OUT/data-base-0/news.db OUT/data-new-0/news.db

``run`` builds one site of ``scripts/bench_crawl.py`` (once, kept in ``OUT/site``), serves it on loopback, and
crawls it with ``scrapy crawl news`` from each tree in turn (base, new, base, new, ...: the machine's load then
weighs on both alike), each into a fresh ``OUT/data-<label>-<round>``, printing the CPU of the whole process tree
(the crawl process, its threads and its extraction worker) per article stored. A tree is any checkout of the
project (``git archive HEAD | tar -x -C DIR``); each runs with this checkout's ``.venv`` and none of the caller's
environment but PATH, HOME, LANG and TMPDIR (a shell's MONGO_URI or REDIS_URL never gets the benchmark's
articles). ``compare`` prints
whether two embedded stores hold the same records (less their fetch and check times), the same decompressed
pages, story clusters, key tables and full-text rows.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.bench.replica_server import serve  # noqa: E402
from scripts.bench_crawl import FAST, build_site, site_config  # noqa: E402

VOLATILE = {"fetched_at", "first_seen", "last_checked"}  # the times of this run's fetches


def run(out: Path, trees: list[tuple[str, str]], rounds: int, articles: int) -> None:
    site = out / "site"
    if not site.exists():
        build_site(site / "bench0", "bench0", "ru", articles, random.Random(7))
        (site / "bench0.toml").write_text(site_config("bench0", "ru"), encoding="utf-8")
    with serve(site / "bench0") as server:
        for n in range(rounds):
            for label, tree in trees:
                data = out / f"data-{label}-{n}"
                settings = [*FAST, f"DATA_DIR={data}"]
                command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"config={site / 'bench0.toml'}",
                           "-a", f"base_url=http://127.0.0.1:{server.server_port}",
                           *[x for s in settings for x in ("-s", s)]]
                load, started = os.getloadavg()[0], time.perf_counter()
                with (out / f"log-{label}-{n}.txt").open("w") as log:
                    child = subprocess.Popen(command, cwd=tree, env=clean_env(), stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT)
                    _, status, usage = os.wait4(child.pid, 0)
                cpu, stored = usage.ru_utime + usage.ru_stime, _count(data / "news.db")
                wall = time.perf_counter() - started
                print(f"{label} round {n}: exit {os.waitstatus_to_exitcode(status)}, {stored} articles, "
                      f"{cpu * 1000 / max(stored, 1):.2f} CPU ms/article (tree), {wall:.0f} s, load {load:.1f}",
                      flush=True)


def clean_env() -> dict[str, str]:
    """The crawls' environment, as ``scripts/demo`` gives its commands: none of the shell's deployment (an operator
    who sourced the env file has MONGO_URI, REDIS_URL, MONITOR_WEBHOOK_URL, a proxy...), so the benchmark's articles
    go to ``OUT/data-*`` and nowhere else, and no setting of the shell weighs on one tree's figures."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": os.environ.get("LANG", "C.UTF-8")}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def _count(path: Path) -> int:
    try:
        return int(sqlite3.connect(path).execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def _store(path: str) -> dict[str, Any]:
    db = sqlite3.connect(path)
    ids = dict(db.execute("SELECT id, _id FROM articles"))
    records = {i: {k: v for k, v in json.loads(d).items() if k not in VOLATILE}
               for i, d in db.execute("SELECT _id, data FROM articles")}
    pages = {}
    for i, d in db.execute("SELECT _id, data FROM pages"):
        page = json.loads(d)
        pages[i] = (page["url"], page["content_hash"], gzip.decompress(base64.b64decode(page["html_gz"]["data"])))
    found: dict[str, Any] = {"records": records, "pages": pages,
                             "story clusters": sorted((i, r.get("story_cluster"), r.get("story_original"))
                                                      for i, r in records.items())}
    for table in ("articles_urls_keys", "articles_lsh_bands_keys"):
        found[table] = sorted((key, ids[row]) for key, row in db.execute(f"SELECT key, article FROM {table}"))
    for table in ("articles_body_fts", "articles_title_fts"):
        found[table] = sorted((ids.get(r[0]), r[1:]) for r in db.execute(f"SELECT rowid, * FROM {table}"))
    return found


def compare(a: str, b: str) -> int:
    old, new = _store(a), _store(b)
    for name in old:
        print(f"{name:<24} {len(old[name]):>6} {len(new[name]):>6}  {'same' if old[name] == new[name] else 'DIFFER'}")
    return 0 if old == new else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    runs = commands.add_parser("run")
    runs.add_argument("out", type=Path)
    runs.add_argument("trees", nargs="+", metavar="LABEL=TREE")
    runs.add_argument("--rounds", type=int, default=2)
    runs.add_argument("--articles", type=int, default=1000)
    compared = commands.add_parser("compare")
    compared.add_argument("stores", nargs=2)
    args = parser.parse_args()
    if args.command == "compare":
        return compare(*args.stores)
    args.out.mkdir(parents=True, exist_ok=True)
    run(args.out, [tuple(t.split("=", 1)) for t in args.trees], args.rounds, args.articles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
